"""/mentions: the filtered, paginated listing, one mention, and the handling workflow (PATCH)."""

import re
from datetime import datetime
from typing import Annotated, Any, get_args

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from harken.api import query as q
from harken.api.deps import deps, tenant_of
from harken.api.errors import BadRequest, Conflict, NotFound
from harken.api.responses import errors, ok
from harken.api.schemas import IsoDateTime, MentionOut, MentionPage, MentionPatch
from harken.api.workflow import ConcurrentChange, owned_by, public_view, update_mention
from harken.models import Category, Intent, Mention, SentimentLabel, SourceType, Status, as_utc, utcnow
from harken.store.dynamo import mention_from_item

router = Router()

MentionId = Annotated[str, Path(min_length=1, max_length=64, description="the mention id (m_…)")]
NOT_FOUND = "no mention with this id for this API key"


def _tenant() -> str:
    return tenant_of(router.current_event.raw_event)


def owned_watch(tenant: str, watch_id: str | None) -> None:
    """A watch filter must name one of the tenant's own watches (404 otherwise, never 403)."""
    if watch_id and deps().watches.get(tenant, watch_id) is None:
        raise NotFound("no watch with this id for this API key", field="watch_id")


# The times a filter may name: mentions are from this era, and a year near 1 or 9999 overflows
# when its UTC offset is applied (that was a 500).
YEARS = (1970, 9998)


def check_range(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
            raise BadRequest(f"{name} must be a time between the years {YEARS[0]} and {YEARS[1]}", field=name)
    since = as_utc(since) if since else None
    until = as_utc(until) if until else None
    if since and until and since > until:
        raise BadRequest("since must not be after until", field="since")
    return since, until


_SOURCES = get_args(SourceType)
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@router.get(
    "/mentions",
    summary="Query mentions, newest first",
    responses={200: ok(MentionPage, "one page of mentions"), **errors(400, 401, 404)},
)
def list_mentions(
    watch_id: Annotated[str | None, Query(max_length=64)] = None,
    category: Annotated[Category | None, Query()] = None,
    sentiment: Annotated[SentimentLabel | None, Query()] = None,
    intent: Annotated[Intent | None, Query()] = None,
    source: Annotated[
        str | None,
        Query(
            max_length=50,
            description="rss, reddit, hackernews, mastodon, bluesky, stackexchange, github, lemmy, lobsters or youtube",
        ),
    ] = None,
    language: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[Status | None, Query()] = None,
    since: Annotated[IsoDateTime, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[IsoDateTime, Query(description="ISO 8601, inclusive")] = None,
    q_: Annotated[str | None, Query(alias="q", max_length=200, description="text contains")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="next_cursor of the previous page")
    ] = None,
) -> MentionPage:
    tenant = _tenant()
    since, until = check_range(since, until)
    text = " ".join(q_.split()) if q_ else None
    # An empty parameter (`?watch_id=`) means no filter, as if it were absent.
    watch_id, source, language, cursor = watch_id or None, source or None, language or None, cursor or None
    if source is not None and source not in _SOURCES:
        raise BadRequest(f"unknown source {source!r}; one of {', '.join(_SOURCES)}", field="source")
    if language is not None:
        language = language.strip().lower()
        if not _LANGUAGE.fullmatch(language):
            raise BadRequest("language is a language code such as en, ja or de", field="language")
    filters = q.MentionFilters(
        watch_id=watch_id,
        category=category,
        sentiment=sentiment,
        intent=intent,
        source=source,
        language=language,
        status=status,
        since=since,
        until=until,
        q=text or None,
    )
    d = deps()
    start = None
    if cursor:
        position = d.signer.decode(cursor, tenant_id=tenant, filters=filters.as_dict())
        start = (position.month, position.key)
    owned_watch(tenant, watch_id)
    p = q.plan(tenant, filters)
    months = q.months_in_range(
        d.state.months(watch_id=watch_id) if watch_id else d.state.months(tenant_id=tenant), since, until
    )
    page = q.read_page(
        d.mentions.table,
        p,
        months,
        limit=limit,
        expression=q.filter_expression(filters, p.residual),
        start=start,
        tenant_id=tenant,
    )
    next_cursor = None
    if page.next is not None:
        from harken.api.cursor import Position

        month, key = page.next
        next_cursor = d.signer.encode(Position(month, key), tenant_id=tenant, filters=filters.as_dict())
    items = [public_view(mention_from_item(item)) for item in page.items]
    return MentionPage.model_validate({"items": items, "next_cursor": next_cursor})


def _owned_mention(tenant: str, mention_id: str) -> Mention:
    mention = deps().mentions.get(mention_id) if mention_id.startswith("m_") else None
    if mention is None or not owned_by(mention, tenant):
        raise NotFound(NOT_FOUND, field="id")
    return mention


@router.get(
    "/mentions/<id>",
    summary="Read one mention",
    responses={200: ok(MentionOut, "the mention"), **errors(400, 401, 404)},
)
def get_mention(id: MentionId) -> dict[str, Any]:
    return public_view(_owned_mention(_tenant(), id))


@router.patch(
    "/mentions/<id>",
    summary="Handle a mention: status, note, assignee (every change is kept in its history)",
    responses={200: ok(MentionOut, "the updated mention"), **errors(400, 401, 404, 409, 413, 422)},
)
def patch_mention(id: MentionId, body: Annotated[MentionPatch, Body(embed=False)]) -> dict[str, Any]:
    changes = body.model_dump(include=body.model_fields_set)
    try:
        updated = update_mention(deps().mentions, id, _tenant(), changes, now=utcnow())
    except ConcurrentChange:
        raise Conflict("the mention is being changed by others right now; try again") from None
    if updated is None:
        raise NotFound(NOT_FOUND, field="id")
    return public_view(updated)
