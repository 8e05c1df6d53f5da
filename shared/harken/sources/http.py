"""The HTTP side of every adapter: one pooled httpx.AsyncClient per source type, with

- an SSRF check of every request and every redirect hop (harken.net; `allow_private` from the
  context), a descriptive User-Agent and timeouts;
- retries with exponential backoff and jitter for 5xx, timeouts and connection resets;
- 429 / 503 handling from `Retry-After`, `X-Ratelimit-*` / `RateLimit-*` headers: a short wait is
  taken in place, a long one fails the job with `retry_after` so the queue retries it later;
- a per-source token bucket (documented request rates) and Stack Exchange's `backoff`;
- a response size cap through harken.net.read_capped.

Failures surface as SourceError with a `kind`: rate_limited, http_error, timeout, network,
unsafe_url, too_large, bad_payload, auth, skipped.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from harken.net import ResponseTooLarge, UnsafeURL, assert_public_url, pinned_transport, read_capped
from harken.sources.base import SourceError
from harken.sources.context import FetchContext

# Requests per second and burst per source, from each API's documented limits (SOURCES.md),
# kept a little under them. Without OAuth Reddit allows 10/min; GitHub search 10/min.
RATE_LIMITS: dict[str, tuple[float, float]] = {
    "reddit": (10 / 60, 5),
    "reddit_oauth": (90 / 60, 10),
    "hackernews": (2.5, 10),
    "mastodon": (0.9, 10),
    "bluesky": (9.0, 10),
    "stackexchange": (5.0, 5),
    "github": (9 / 60, 5),
    "github_token": (28 / 60, 10),
    "lemmy": (0.1, 6),
    "lobsters": (0.4, 4),
    "youtube": (1.0, 5),
}
_RETRY_STATUS = frozenset({500, 502, 503, 504, 520, 521, 522, 523, 524})


class RateLimiter:
    """A token bucket. No asyncio primitives inside, so one instance can live in the context of a
    warm Lambda across event loops; reservations are made without awaiting, so they are atomic."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.updated = time.monotonic()
        self.blocked_until = 0.0

    def reserve(self) -> float:
        """Take one token; return how long the caller must sleep before using it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        wait = 0.0 if self.tokens >= 0 else -self.tokens / self.rate
        return max(wait, self.blocked_until - now)

    def refund(self) -> None:
        self.tokens = min(self.burst, self.tokens + 1)

    def block_for(self, seconds: float) -> None:
        if seconds != seconds:  # NaN
            return
        self.blocked_until = max(self.blocked_until, time.monotonic() + min(seconds, MAX_BLOCK_SECONDS))

    async def acquire(self, max_wait: float, source: str) -> None:
        wait = self.reserve()
        if wait > max_wait:
            self.refund()
            raise SourceError(
                f"{source}: rate limit reached, next request allowed in {wait:.0f}s",
                kind="rate_limited",
                retry_after=wait,
            )
        if wait > 0:
            await asyncio.sleep(wait)


@dataclass
class Response:
    """A fully read (and size-capped) response."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise SourceError(f"invalid JSON from {_safe(self.url)}: {exc}", kind="bad_payload") from exc

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise SourceError(f"expected a JSON object from {_safe(self.url)}", kind="bad_payload")
        return data


MAX_BLOCK_SECONDS = 86_400.0  # whatever a server asks ("Retry-After: 1e12", "inf"), a day at most


def parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """`_parse_retry_after`, at most a day, and None for NaN."""
    wait = _parse_retry_after(headers, now)
    if wait is None or wait != wait:
        return None
    return min(wait, MAX_BLOCK_SECONDS)


def _parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date), else the rate-limit reset
    headers of Reddit (`X-Ratelimit-Reset`: seconds), Mastodon (`X-RateLimit-Reset`: a date),
    GitHub (`X-RateLimit-Reset`: epoch) and the IETF draft (`RateLimit-Reset`: seconds)."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError, IndexError):
                pass
    for key in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(key)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:
                return max(0.0, datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() - now)
            except ValueError:
                continue
        return max(0.0, number - now) if number > 1_000_000_000 else max(0.0, number)
    return None


# Sources whose servers are many (one limiter per host; the rates of the source apply to each).
_PER_HOST = frozenset({"rss", "mastodon", "lemmy"})


def _host(url: str) -> str:
    try:
        return (httpx.URL(url).host or "").lower()
    except Exception:
        return ""


def _limiter(ctx: FetchContext, key: str, source: str | None = None) -> RateLimiter:
    limiters: dict[str, RateLimiter] = ctx.cache.setdefault("rate_limiters", {})
    limiter = limiters.get(key)
    if limiter is None:
        base = key if source is None or not key.startswith(f"{source}:") else source
        rate, burst = ctx.rate_limits.get(base) or RATE_LIMITS.get(base) or (1000.0, 1000.0)
        limiter = limiters[key] = RateLimiter(rate, burst)
    return limiter


_SSL: list[Any] = []


def _ssl_context() -> Any:
    """One verifying SSL context per container: loading the CA bundle costs milliseconds per
    client otherwise."""
    if not _SSL:
        _SSL.append(httpx.create_ssl_context())
    return _SSL[0]


def build_client(ctx: FetchContext, *, max_connections: int = 100) -> httpx.AsyncClient:
    """The pooled client of one source type. Every request hop is re-checked for SSRF."""

    async def guard(request: httpx.Request) -> None:
        url = str(request.url)
        if ctx.allow_private:
            assert_public_url(url, allow_private=True)
        else:  # name resolution blocks: keep it off the event loop
            await asyncio.to_thread(assert_public_url, url, allow_private=False)

    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=32)
    kwargs: dict[str, Any] = {"verify": _ssl_context()}
    if ctx.transport is not None:
        kwargs["transport"] = ctx.transport
    elif not ctx.allow_private:
        # Connections go only to the public addresses checked at connect time (DNS rebinding).
        kwargs["transport"] = pinned_transport(verify=_ssl_context(), limits=limits, trust_env=False)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(ctx.timeout, connect=ctx.connect_timeout),
        limits=limits,
        headers={"User-Agent": ctx.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=5,
        event_hooks={"request": [guard]},
        trust_env=False,
        **kwargs,
    )


class SourceHttp:
    """What an adapter calls: `await http.request("GET", url, params=...)` → a read Response, or
    a SourceError. One per source type per run, over that source's pooled client.

    httpcore's pool does work quadratic in its connections for every request it schedules, so
    past `SHARD_SIZE` requests in flight (many feeds at once) a further client joins the pool
    instead of one client growing to hundreds of connections."""

    SHARD_SIZE = 16

    def __init__(
        self, source: str, client: httpx.AsyncClient, ctx: FetchContext, *, max_shards: int = 1
    ) -> None:
        self.source = source
        self.client = client
        self.ctx = ctx
        self.limit_key = source
        self.max_shards = max(1, max_shards)
        self.shards: list[httpx.AsyncClient] = [client]
        self.in_flight: list[int] = [0]

    def _pick(self) -> int:
        index = min(range(len(self.shards)), key=self.in_flight.__getitem__)
        if self.in_flight[index] >= self.SHARD_SIZE and len(self.shards) < self.max_shards:
            self.shards.append(build_client(self.ctx, max_connections=self.SHARD_SIZE))
            self.in_flight.append(0)
            index = len(self.shards) - 1
        return index

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.shards), return_exceptions=True)

    def limiter(self, url: str | None = None) -> RateLimiter:
        """The limiter of this source or, for sources spread over many servers (feeds, Mastodon
        and Lemmy instances), of the URL's host: one feed's 429 held every feed for an hour."""
        if url and self.source in _PER_HOST:
            return _limiter(self.ctx, f"{self.limit_key}:{_host(url)}", self.source)
        return _limiter(self.ctx, self.limit_key, self.source)

    def backoff(self, seconds: float) -> None:
        """The source asked us to pause (Stack Exchange `backoff`): later requests wait."""
        self.limiter().block_for(seconds)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        data: Any = None,
        json_body: Any = None,
        auth: Any = None,
        ok: tuple[int, ...] = (200,),
        rate_limited: bool = True,
    ) -> Response:
        """Send with retries; return the response when its status is in `ok`."""
        attempts = max(1, self.ctx.retries)
        last: SourceError | None = None
        for attempt in range(attempts):
            if rate_limited:
                await self.limiter(url).acquire(self.ctx.max_wait, self.source)
            try:
                response = await self._send(method, url, params, headers, data, json_body, auth)
            except SourceError as exc:
                if exc.kind not in ("timeout", "network"):
                    raise
                last = exc
                await self._sleep_backoff(attempt, attempts)
                continue
            if rate_limited:
                self._heed_quota(response.headers, url)
            if response.status in ok:
                return response
            if response.status == 429 or (response.status == 503 and "retry-after" in response.headers):
                wait = parse_retry_after(response.headers)
                wait = 60.0 if wait is None else wait
                if wait <= self.ctx.max_wait and attempt + 1 < attempts:
                    await asyncio.sleep(wait)
                    continue
                self.limiter(url).block_for(wait)
                raise SourceError(
                    f"{self.source}: rate limited (HTTP {response.status}), retry after {wait:.0f}s",
                    kind="rate_limited",
                    retry_after=wait,
                )
            if response.status in _RETRY_STATUS:
                last = SourceError(
                    f"{self.source}: HTTP {response.status} from {_safe(url)}",
                    kind="http_error",
                    retry_after=parse_retry_after(response.headers),
                )
                await self._sleep_backoff(attempt, attempts)
                continue
            kind = "auth" if response.status in (401, 403) else "http_error"
            raise SourceError(f"{self.source}: HTTP {response.status} from {_safe(url)}", kind=kind)
        assert last is not None
        raise last

    def _heed_quota(self, headers: httpx.Headers, url: str | None = None) -> None:
        """A service that says how many requests are left in its window (Reddit, GitHub:
        X-RateLimit-Remaining, -Reset) is not asked again before the reset once none is left:
        the source's limiter holds the next requests (a job that cannot wait backs off) instead of
        running into a 429. Other containers share the quota, so ours alone cannot see it coming."""
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left < 1:
            wait = parse_retry_after(headers)
            if wait:
                self.limiter(url).block_for(min(wait, 3600.0))

    async def _sleep_backoff(self, attempt: int, attempts: int) -> None:
        if attempt + 1 < attempts:
            delay = self.ctx.backoff_base * (2**attempt)
            await asyncio.sleep(delay * (0.5 + random.random()))

    async def _send(
        self, method: str, url: str, params: Any, headers: Any, data: Any, json_body: Any, auth: Any
    ) -> Response:
        index = self._pick()
        client = self.shards[index]
        self.in_flight[index] += 1
        try:
            request = client.build_request(
                method, url, params=params, headers=headers, data=data, json=json_body
            )
            response = await client.send(request, stream=True, auth=auth)
            try:
                body = await read_capped(response, self.ctx.max_bytes)
            finally:
                await response.aclose()
        except UnsafeURL as exc:
            raise SourceError(f"{self.source}: refused URL: {exc}", kind="unsafe_url") from exc
        except ResponseTooLarge as exc:
            raise SourceError(f"{self.source}: {exc}", kind="too_large") from exc
        except httpx.TooManyRedirects as exc:
            raise SourceError(f"{self.source}: too many redirects", kind="http_error") from exc
        except httpx.TimeoutException as exc:
            raise SourceError(f"{self.source}: timeout calling {_safe(url)}", kind="timeout") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise SourceError(
                f"{self.source}: network error calling {_safe(url)}: {type(exc).__name__}", kind="network"
            ) from exc
        finally:
            self.in_flight[index] -= 1
        return Response(
            status=response.status_code, headers=response.headers, body=body, url=str(response.url)
        )


def _safe(url: str) -> str:
    """The URL without its query string (which may hold an API key) for messages and logs."""
    return url.split("?", 1)[0]


async def single_flight(ctx: FetchContext, key: str, factory: Any) -> Any:
    """Run `factory()` once for concurrent callers with the same key (a login, a language map):
    later callers in the same event loop await the same task instead of repeating the call."""
    loop = asyncio.get_running_loop()
    tasks: dict[tuple[str, int], asyncio.Task[Any]] = ctx.cache.setdefault("in_flight", {})
    task_key = (key, id(loop))
    task = tasks.get(task_key)
    if task is None or (task.done() and task.get_loop() is not loop):
        task = loop.create_task(factory())
        tasks[task_key] = task
        task.add_done_callback(lambda _t: tasks.pop(task_key, None))
    return await asyncio.shield(task)
