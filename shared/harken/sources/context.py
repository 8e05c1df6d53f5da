"""Configuration of the source adapters for one container: where each source lives, which
credentials exist, and the limits every request obeys.

Environment variables (all optional)
------------------------------------
Base URL overrides (local stack, replay demo, tests). Each replaces the scheme and host of the
source's documented URLs; the documented paths stay as they are:

- ``HARKEN_REDDIT_BASE_URL``        https://www.reddit.com (and https://oauth.reddit.com)
- ``HARKEN_HACKERNEWS_BASE_URL``    https://hn.algolia.com
- ``HARKEN_MASTODON_BASE_URL``      the watch's ``instance`` (e.g. https://mastodon.social)
- ``HARKEN_BLUESKY_BASE_URL``       https://bsky.social
- ``HARKEN_STACKEXCHANGE_BASE_URL`` https://api.stackexchange.com
- ``HARKEN_GITHUB_BASE_URL``        https://api.github.com
- ``HARKEN_LEMMY_BASE_URL``         the watch's ``instance`` (e.g. https://lemmy.world)
- ``HARKEN_LOBSTERS_BASE_URL``      https://lobste.rs
- ``HARKEN_YOUTUBE_BASE_URL``       https://www.googleapis.com

Safety and limits:

- ``HARKEN_ALLOW_PRIVATE_URLS=1``   allow loopback/private addresses (local stack and tests only)
- ``HARKEN_SOURCE_RATE_LIMITS=off`` no per-source rate limits (the offline demo: every source is local)
- ``HARKEN_FETCH_TIMEOUT``          seconds per request (default 10)
- ``HARKEN_FETCH_MAX_BYTES``        response size cap in bytes (default 5 MiB)
- ``HARKEN_FETCH_RETRIES``          attempts per request for 5xx, timeouts, resets (default 3)
- ``HARKEN_FETCH_MAX_PAGES``        pages per job and poll when catching up (default 3)
- ``HARKEN_USER_AGENT``             replaces the descriptive default User-Agent

Credentials (the ``secrets`` mapping, read from Secrets Manager in AWS, has the same keys and
wins over the environment):

- ``HARKEN_REDDIT_CLIENT_ID`` / ``HARKEN_REDDIT_CLIENT_SECRET``  app-only OAuth (optional; the
  public JSON endpoints are used without them)
- ``HARKEN_BLUESKY_HANDLE`` / ``HARKEN_BLUESKY_APP_PASSWORD``    required for Bluesky search
- ``HARKEN_GITHUB_TOKEN``            optional (raises the search rate limit)
- ``HARKEN_STACKEXCHANGE_KEY``       optional (raises the daily quota)
- ``HARKEN_YOUTUBE_API_KEY``         required for YouTube
- ``HARKEN_MASTODON_TOKEN``          optional (instances that closed public hashtag timelines)
- ``HARKEN_LEMMY_TOKEN``             optional (private instances)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harken.net import DEFAULT_MAX_BYTES, USER_AGENT

SOURCE_NAMES = (
    "reddit", "hackernews", "mastodon", "bluesky", "stackexchange", "github", "lemmy", "lobsters", "youtube",
)  # fmt: skip

CREDENTIAL_KEYS = (
    "HARKEN_REDDIT_CLIENT_ID",
    "HARKEN_REDDIT_CLIENT_SECRET",
    "HARKEN_BLUESKY_HANDLE",
    "HARKEN_BLUESKY_APP_PASSWORD",
    "HARKEN_GITHUB_TOKEN",
    "HARKEN_STACKEXCHANGE_KEY",
    "HARKEN_YOUTUBE_API_KEY",
    "HARKEN_MASTODON_TOKEN",
    "HARKEN_LEMMY_TOKEN",
)


@dataclass
class FetchContext:
    """Everything adapters need besides the job: overrides, credentials, limits, and per-container
    caches (auth tokens, rate limiters) that survive between invocations of a warm Lambda."""

    base_urls: dict[str, str] = field(default_factory=dict)  # source -> "scheme://host[:port]"
    credentials: dict[str, str] = field(default_factory=dict)  # CREDENTIAL_KEYS -> value
    allow_private: bool = False
    timeout: float = 10.0
    connect_timeout: float = 5.0
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 3
    backoff_base: float = 0.5  # seconds; doubled per attempt, with jitter
    max_wait: float = 5.0  # longest in-invocation wait for a rate limit; longer ones fail the job
    max_pages: int = 3
    job_timeout: float = 60.0
    max_concurrency: int = 256  # jobs in flight at once across all sources
    user_agent: str = USER_AGENT
    transport: Any = None  # an httpx transport for tests; None uses the network
    rate_limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # source -> (per s, burst)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def credential(self, key: str) -> str | None:
        value = self.credentials.get(key)
        return value.strip() if value and value.strip() else None

    def base_url(self, source: str, default: str) -> str:
        """`default` (scheme://host of a documented URL) unless an override is configured."""
        override = self.base_urls.get(source)
        return (override or default).rstrip("/")

    def url(self, source: str, default_base: str, path: str) -> str:
        return self.base_url(source, default_base) + path


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    try:
        value = float(env.get(key, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def fetch_context_from_env(env: Mapping[str, str], secrets: Mapping[str, str] | None = None) -> FetchContext:
    """The adapters' configuration from environment variables (see the module docstring); values
    in `secrets` (same keys) win over the environment for credentials."""
    base_urls = {}
    for name in SOURCE_NAMES:
        value = env.get(f"HARKEN_{name.upper()}_BASE_URL", "").strip()
        if value:
            base_urls[name] = _origin(value)
    credentials = {k: env[k] for k in CREDENTIAL_KEYS if env.get(k)}
    for key, value in (secrets or {}).items():
        if value:
            credentials[key] = str(value)
    rate_limits: dict[str, tuple[float, float]] = {}
    if env.get("HARKEN_SOURCE_RATE_LIMITS", "").strip().lower() == "off":
        # Only for the offline demo, whose every source is the local replay server: the limits
        # protect real services, and here they would only hold the demo back.
        from harken.sources.http import RATE_LIMITS

        rate_limits = dict.fromkeys(RATE_LIMITS, (1000.0, 1000.0))
    return FetchContext(
        base_urls=base_urls,
        credentials=credentials,
        rate_limits=rate_limits,
        allow_private=env.get("HARKEN_ALLOW_PRIVATE_URLS", "").strip().lower() in ("1", "true", "yes"),
        timeout=_float(env, "HARKEN_FETCH_TIMEOUT", 10.0),
        max_bytes=int(_float(env, "HARKEN_FETCH_MAX_BYTES", DEFAULT_MAX_BYTES)),
        retries=int(_float(env, "HARKEN_FETCH_RETRIES", 3)),
        max_pages=int(_float(env, "HARKEN_FETCH_MAX_PAGES", 3)),
        user_agent=env.get("HARKEN_USER_AGENT", "").strip() or USER_AGENT,
    )


def load_secret_credentials(secret_id: str, client: Any) -> dict[str, str]:
    """Credentials from a Secrets Manager secret whose SecretString is a JSON object with the
    HARKEN_* keys above. `client` is a boto3 `secretsmanager` client."""
    response = client.get_secret_value(SecretId=secret_id)
    raw = response.get("SecretString") or "{}"
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the credentials secret must be a JSON object")
    return {str(k): str(v) for k, v in data.items() if v is not None and str(v) != ""}
