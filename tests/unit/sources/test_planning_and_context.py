from datetime import UTC, datetime

import pytest
from harken.models import Watch
from harken.sources import fetch_context_from_env, load_secret_credentials, plan_jobs
from harken.sources.base import Cursor, advance
from harken.sources.normalize import clean_url, mentions_any, parse_date
from harken.sources.planning import or_chunks, query_terms

NOW = datetime(2026, 3, 12, tzinfo=UTC)


def watch(**extra) -> Watch:
    data = {
        "id": "w_1",
        "tenant_id": "t_1",
        "created_at": NOW,
        "updated_at": NOW,
        "name": "Acme",
        "terms": {"brand": ["Acme Cloud"], "variants": ["AcmeCloud"], "leads": ["best cloud backup"]},
        "sources": [
            {"type": "rss", "url": "https://feeds.example/a.xml"},
            {"type": "reddit"},
            {"type": "reddit", "subreddits": ["acmecloud", "selfhosted"]},
            {"type": "hackernews"},
            {"type": "mastodon", "instance": "https://mastodon.social"},
            {"type": "github"},
            {"type": "lobsters"},
            {"type": "youtube"},
        ],
    }
    data.update(extra)
    return Watch.model_validate(data)


def test_plan_jobs_builds_source_specific_queries() -> None:
    jobs = plan_jobs(watch())
    by_type: dict[str, list] = {}
    for job in jobs:
        by_type.setdefault(job.source["type"], []).append(job)
    assert by_type["rss"][0].query == "" and "Acme Cloud" in by_type["rss"][0].terms
    assert by_type["lobsters"][0].query == "" and by_type["lobsters"][0].terms
    reddit_queries = [j.query for j in by_type["reddit"]]
    assert '"Acme Cloud" OR AcmeCloud OR "best cloud backup"' in reddit_queries
    assert [j.source.get("subreddits") for j in by_type["reddit"] if not j.query] == [
        ["acmecloud"],
        ["selfhosted"],
    ]
    assert [j.query for j in by_type["hackernews"]] == ["Acme Cloud", "AcmeCloud", "best cloud backup"]
    assert by_type["mastodon"][0].query == "acmecloud bestcloudbackup"
    searches = [j for j in by_type["mastodon"] if j.source.get("mode") == "search"]
    assert [j.query for j in searches] == ["Acme Cloud", "AcmeCloud", "best cloud backup"]
    assert by_type["youtube"][0].query == '"Acme Cloud"|AcmeCloud|"best cloud backup"'
    assert len({j.key for j in jobs}) == len(jobs)


def test_reddit_queries_are_split_at_512_characters() -> None:
    terms = [f"product number {i}" for i in range(60)]
    chunks = or_chunks(terms, joiner=" OR ", max_len=512)
    assert len(chunks) > 1
    assert all(len(c) <= 512 for c in chunks)
    assert sum(c.count('"product number') for c in chunks) == 60


def test_query_only_watch_uses_positive_query_words() -> None:
    assert query_terms('("acme cloud" OR acmecloud) -protocol NOT coyote site:x.com backup*') == [
        "acme cloud",
        "acmecloud",
        "backup",
    ]
    jobs = plan_jobs(watch(terms={}, query='"acme cloud" -protocol', sources=[{"type": "hackernews"}]))
    assert [j.query for j in jobs] == ["acme cloud"]


def test_context_from_env_and_secrets() -> None:
    ctx = fetch_context_from_env(
        {
            "HARKEN_REDDIT_BASE_URL": "http://127.0.0.1:9999/",
            "HARKEN_ALLOW_PRIVATE_URLS": "1",
            "HARKEN_GITHUB_TOKEN": "env-token",
            "HARKEN_FETCH_TIMEOUT": "3",
        },
        {"HARKEN_GITHUB_TOKEN": "secret-token"},
    )
    assert ctx.url("reddit", "https://www.reddit.com", "/search.json") == "http://127.0.0.1:9999/search.json"
    assert ctx.url("hackernews", "https://hn.algolia.com", "/x") == "https://hn.algolia.com/x"
    assert ctx.allow_private is True
    assert ctx.timeout == 3.0
    assert ctx.credential("HARKEN_GITHUB_TOKEN") == "secret-token"
    assert fetch_context_from_env({}).allow_private is False


def test_load_secret_credentials_reads_json_secret() -> None:
    class FakeSecrets:
        def get_secret_value(self, SecretId: str):
            assert SecretId == "harken/sources"
            return {"SecretString": '{"HARKEN_YOUTUBE_API_KEY": "k", "EMPTY": ""}'}

    assert load_secret_credentials("harken/sources", FakeSecrets()) == {"HARKEN_YOUTUBE_API_KEY": "k"}


def test_dates_are_parsed_leniently() -> None:
    assert parse_date("Mon, 09 Mar 2026 10:31:20 PST", NOW) == datetime(2026, 3, 9, 18, 31, 20, tzinfo=UTC)
    assert parse_date("2026-03-10T01:02:09.481516Z", NOW).microsecond == 481516
    assert parse_date(1773104529, NOW) == datetime(2026, 3, 10, 1, 2, 9, tzinfo=UTC)
    assert parse_date("Mi, 10 Dez 2025 08:00:00 +0100", NOW) == datetime(2025, 12, 10, 7, 0, tzinfo=UTC)
    assert parse_date("not a date", NOW) == NOW


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 09 Mar 2026 10:00:00 CEST", datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),  # was read as UTC
        ("1741514400000", datetime(2025, 3, 9, 10, 0, tzinfo=UTC)),  # milliseconds (was the fetch time)
        ("2100-01-01T00:00:00Z", None),  # in the future: the fetch time, not first in the list for ever
        ("2026-03-09T10:00:00+25:00", None),  # raised ValueError: the whole feed failed
        ("0001-01-01T00:00:00+01:00", None),  # raised OverflowError
        ("9999-12-31T23:59:59-01:00", None),
        (True, None),
        # Dates as people write them (were the fetch time, or 10:00 UTC for 10:00 EST).
        ("Monday, March 9, 2026 10:00 AM EST", datetime(2026, 3, 9, 15, 0, tzinfo=UTC)),
        ("Mar 9th, 2026 at 3pm PST", datetime(2026, 3, 9, 23, 0, tzinfo=UTC)),
        ("Sept 3, 2025 11:59 p.m. UTC", datetime(2025, 9, 3, 23, 59, tzinfo=UTC)),
        ("9 March 2026, 14:05", datetime(2026, 3, 9, 14, 5, tzinfo=UTC)),
        ("9. März 2026 14:05 MEZ", datetime(2026, 3, 9, 13, 5, tzinfo=UTC)),
        ("Tuesday, 10 December 2025 12:00 AM", datetime(2025, 12, 10, 0, 0, tzinfo=UTC)),
        ("December 32, 2025", None),
    ],
)
def test_dates_written_by_anyone_never_fail_the_job(value: object, expected: datetime | None) -> None:
    assert parse_date(value, NOW) == (expected or NOW)


def test_clean_url_unwraps_google_redirects_and_drops_tracking() -> None:
    url = "https://www.google.com/url?rct=j&sa=t&url=https://a.example/x%3Futm_source%3Dfeed%26id%3D3&ct=ga"
    assert clean_url(url) == "https://a.example/x?id=3"
    assert clean_url("/post/1", "https://b.example/blog/") == "https://b.example/post/1"
    assert clean_url("javascript:alert(1)") == ""


def test_mentions_any_ignores_case_and_spacing() -> None:
    assert mentions_any("Why our ACME-cloud restores broke", ["Acme Cloud"])
    assert not mentions_any("RFC 8555 ACME at scale", ["Acme Cloud"])
    assert mentions_any("anything", [])


def test_advance_filters_seen_and_old_items() -> None:
    from harken.models import Item

    def item(i: str, day: int) -> Item:
        return Item(
            source="x", url=f"https://x/{i}", native_id=i, published_at=datetime(2026, 3, day, tzinfo=UTC)
        )

    cursor = Cursor(watermark="2026-03-10T00:00:00Z", seen=["a"])
    fresh, new = advance(cursor, [item("a", 10), item("b", 11), item("c", 1)], now=NOW)
    assert [i.native_id for i in fresh] == ["b"]
    assert new.watermark == "2026-03-11T00:00:00Z"
    assert new.seen[:3] == ["b", "a", "c"]
    future = advance(Cursor(), [item("f", 28)], now=NOW)[1]
    assert future.watermark == "2026-03-12T00:00:00Z"  # never past the fetch time


def test_source_rate_limits_are_off_only_when_asked() -> None:
    from harken.sources.http import RATE_LIMITS

    assert fetch_context_from_env({}).rate_limits == {}
    off = fetch_context_from_env({"HARKEN_SOURCE_RATE_LIMITS": "off"}).rate_limits
    assert set(off) == set(RATE_LIMITS) and all(rate >= 1000 for rate, _burst in off.values())
