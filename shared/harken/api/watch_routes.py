"""/watches: create, list, read, replace, delete, poll now."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from harken.api.deps import deps, tenant_of
from harken.api.errors import BadRequest, NotFound, Unavailable
from harken.api.responses import JSON, errors, ok
from harken.api.schemas import PollAccepted, WatchBody, WatchList, WatchOut
from harken.models import utcnow
from harken.service import watches as service

router = Router()

WatchId = Annotated[str, Path(min_length=1, max_length=64, description="the watch id (w_…)")]
NOT_FOUND = "no watch with this id for this API key"


def _tenant() -> str:
    return tenant_of(router.current_event.raw_event)


def _check_alerts(body: WatchBody) -> None:
    """Refuse webhook targets that are unsafe to call (SSRF) before anything is stored."""
    from harken.alerts.validate import validate_alerts

    allow_private = deps().settings.allow_private_urls
    problems = validate_alerts(body.alerts, allow_private=allow_private, require_https=not allow_private)
    if problems:
        first = problems[0]
        raise BadRequest(f"{first['field']}: {first['message']}", field=first["field"], details=problems)


def _first_poll(watch_id: str) -> None:
    """A new watch starts with its sources' recent items: queue its first poll now rather than at
    the next scheduler tick. Best effort: the scheduler polls it anyway."""
    d = deps()
    if not d.settings.fetch_queue_url:
        return
    try:
        service.poll_watch(
            d.watches, _tenant(), watch_id, sqs=d.client("sqs"), queue_url=d.settings.fetch_queue_url
        )
    except Exception:  # the watch is stored; the next scheduler tick polls it
        from harken.observability import logger

        logger.exception("first poll of a new watch was not queued", extra={"watch_id": watch_id})


def _secrets_args() -> dict[str, Any]:
    d = deps()
    prefix = d.settings.webhook_secret_prefix
    return {"secret_prefix": prefix, "secrets_client": d.client("secretsmanager") if prefix else None}


@router.post(
    "/watches",
    summary="Create a watch",
    responses={201: ok(WatchOut, "the stored watch"), **errors(400, 401, 413, 422)},
)
def create_watch(body: Annotated[WatchBody, Body(embed=False)]) -> Response[WatchOut]:
    tenant = _tenant()
    _check_alerts(body)
    watch = service.create_watch(deps().watches, tenant, body, now=utcnow(), **_secrets_args())
    _first_poll(watch.id)
    return Response(status_code=201, content_type=JSON, body=watch.public())


@router.get(
    "/watches", summary="List watches", responses={200: ok(WatchList, "the tenant's watches"), **errors(401)}
)
def list_watches() -> WatchList:
    tenant = _tenant()
    return WatchList.model_validate({"items": [w.public() for w in deps().watches.list(tenant)]})


@router.get(
    "/watches/<id>",
    summary="Read a watch",
    responses={200: ok(WatchOut, "the watch"), **errors(400, 401, 404)},
)
def get_watch(id: WatchId) -> dict[str, Any]:
    tenant = _tenant()
    watch = deps().watches.get(tenant, id)
    if watch is None:
        raise NotFound(NOT_FOUND, field="id")
    return watch.public()


@router.put(
    "/watches/<id>",
    summary="Replace a watch",
    responses={200: ok(WatchOut, "the stored watch"), **errors(400, 401, 404, 413, 422)},
)
def put_watch(id: WatchId, body: Annotated[WatchBody, Body(embed=False)]) -> dict[str, Any]:
    tenant = _tenant()
    _check_alerts(body)
    try:
        watch = service.replace_watch(deps().watches, tenant, id, body, now=utcnow(), **_secrets_args())
    except service.WatchNotFound as exc:
        raise NotFound(NOT_FOUND, field="id") from exc
    return watch.public()


@router.delete(
    "/watches/<id>",
    summary="Delete a watch (its mentions stay listed tenant-wide)",
    responses={204: {"description": "deleted"}, **errors(400, 401, 404)},
)
def delete_watch(id: WatchId) -> Response[None]:
    tenant = _tenant()
    try:
        service.delete_watch(deps().watches, tenant, id, **_secrets_args())
    except service.WatchNotFound as exc:
        raise NotFound(NOT_FOUND, field="id") from exc
    return Response(status_code=204, body=None)


@router.post(
    "/watches/<id>/poll",
    summary="Fetch this watch's sources now",
    responses={202: ok(PollAccepted, "fetch jobs queued"), **errors(400, 401, 404, 503)},
)
def poll_watch(id: WatchId) -> Response[PollAccepted]:
    tenant = _tenant()
    d = deps()
    if not d.settings.fetch_queue_url:
        raise Unavailable("polling is not configured (HARKEN_FETCH_QUEUE_URL)")
    try:
        jobs = service.poll_watch(
            d.watches, tenant, id, sqs=d.client("sqs"), queue_url=d.settings.fetch_queue_url
        )
    except service.WatchNotFound as exc:
        raise NotFound(NOT_FOUND, field="id") from exc
    return Response(status_code=202, content_type=JSON, body={"watch_id": id, "jobs": jobs})
