"""The offline demo end to end on the adapter side: the replay server, its environment and the
demo watch's sources give mentions from every source, and a second poll adds nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest
from harken.models import Watch, utcnow
from harken.sources import Cursor, fetch_context_from_env, plan_jobs, run_jobs
from harken_local.replay import ReplayServer, demo_sources, replay_env, start_replay_server

ALL_SOURCES = {
    "rss", "reddit", "hackernews", "mastodon", "bluesky", "stackexchange", "github", "lemmy", "lobsters", "youtube",
}  # fmt: skip


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = start_replay_server()
    yield server
    server.stop()


def demo_watch(base_url: str) -> Watch:
    now = utcnow()
    return Watch.model_validate(
        {
            "id": "w_demo",
            "tenant_id": "t_demo",
            "created_at": now,
            "updated_at": now,
            "name": "Acme Cloud",
            "terms": {
                "brand": ["Acme Cloud"],
                "variants": ["AcmeCloud", "アクメクラウド"],
                "people": ["Jane Roe"],
                "products": ["Acme Vault"],
                "addresses": ["12 Harbor Street, Springfield"],
                "trademarks": ["VaultSync"],
                "leads": ["which backup service should I buy", "best cloud backup"],
            },
            "sources": demo_sources(base_url),
        }
    )


def test_replay_gives_items_from_every_source_then_nothing_new(replay: ReplayServer) -> None:
    env = replay_env(replay.base_url)
    watch = demo_watch(replay.base_url)
    jobs = plan_jobs(watch)
    assert {j.source["type"] for j in jobs} == ALL_SOURCES

    ctx = fetch_context_from_env(env)
    outcomes = asyncio.run(run_jobs([(job, Cursor()) for job in jobs], ctx))
    errors = [(o.job.source["type"], o.error.kind, str(o.error)) for o in outcomes if o.error]
    assert errors == []
    per_source: Counter[str] = Counter()
    for outcome in outcomes:
        assert outcome.result is not None
        for item in outcome.result.items:
            per_source[item.source] += 1
    assert set(per_source) == ALL_SOURCES
    assert per_source["rss"] == 4 + 3 + 4

    # A later poll, from a new container (fresh context), with the stored cursors.
    ctx2 = fetch_context_from_env(env)
    again = asyncio.run(run_jobs([(o.job, o.result.cursor) for o in outcomes if o.result], ctx2))
    assert [o.error for o in again if o.error] == []
    assert sum(len(o.result.items) for o in again if o.result) == 0


def test_replay_env_points_sources_at_the_server(replay: ReplayServer) -> None:
    env = replay_env(replay.base_url)
    ctx = fetch_context_from_env(env)
    assert ctx.allow_private is True
    assert ctx.base_url("reddit", "https://www.reddit.com") == replay.base_url
    assert ctx.base_url("mastodon", "https://mastodon.social") == replay.base_url
    assert ctx.credential("HARKEN_BLUESKY_APP_PASSWORD")
    assert ctx.credential("HARKEN_YOUTUBE_API_KEY")


def test_replay_feeds_answer_conditional_requests(replay: ReplayServer) -> None:
    import httpx

    with httpx.Client() as client:
        first = client.get(replay.base_url + "/feeds/atom.xml")
        assert first.status_code == 200
        second = client.get(
            replay.base_url + "/feeds/atom.xml", headers={"If-None-Match": first.headers["etag"]}
        )
        assert second.status_code == 304
