"""/stats: counts by sentiment and category per hour or day, and the median time to handle."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from harken.api import query as q
from harken.api import stats
from harken.api.deps import deps, tenant_of
from harken.api.mention_routes import check_range, owned_watch
from harken.api.responses import errors, ok
from harken.api.schemas import IsoDateTime, Stats
from harken.models import iso, utcnow

router = Router()


@router.get(
    "/stats",
    summary="Mention counts per hour or day by sentiment and category, and time to handle",
    responses={200: ok(Stats, "the stats"), **errors(400, 401, 404)},
)
def get_stats(
    watch_id: Annotated[str | None, Query(max_length=64)] = None,
    interval: Annotated[Literal["hour", "day"], Query()] = "day",
    since: Annotated[
        IsoDateTime | None,
        Query(
            description="ISO 8601; default by hour 48 hours back, by day the first month with mentions"
            " (at most 2000 days back; 30 days when there are none)"
        ),
    ] = None,
    until: Annotated[IsoDateTime, Query(description="ISO 8601; default now")] = None,
) -> Stats:
    tenant = tenant_of(router.current_event.raw_event)
    watch_id = watch_id or None  # `?watch_id=` means the whole tenant
    since, until = check_range(since, until)
    owned_watch(tenant, watch_id)
    d = deps()
    known = d.state.months(watch_id=watch_id) if watch_id else d.state.months(tenant_id=tenant)
    if since is None and interval == "day" and known:
        # By day, the default range starts with the first month holding mentions (a quiet
        # brand's history is older than 30 days), at most MAX_BUCKETS days back.
        since = stats.default_day_start(min(known), until or utcnow())
    since, until = stats.resolve_range(interval, since, until, utcnow())
    p = q.plan(tenant, q.MentionFilters(watch_id=watch_id))
    months = q.months_in_range(known, since, until)
    items = stats.read_items(
        d.mentions.table, p.index, p.bucket_attr, p.prefix, months, iso(since), f"{iso(until)}#~"
    )
    items = [i for i in items if i.get("tenant_id") == tenant]
    return Stats.model_validate(
        stats.compute(items, interval=interval, since=since, until=until, watch_id=watch_id)
    )
