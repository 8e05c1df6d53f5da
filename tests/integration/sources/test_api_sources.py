"""The API adapters against a local server: request shape, credentials, sessions, rate-limit
signals and bad payloads."""

from __future__ import annotations

import asyncio
import json

from harken.sources import Cursor, FetchJob, SourceSkipped, run_jobs

from .conftest import LocalServer, Reply, Request, fixture_bytes, make_ctx


def job(source: dict, query: str = "acme cloud", terms: list[str] | None = None) -> FetchJob:
    return FetchJob(watch_id="w_1", tenant_id="t_1", source=source, query=query, terms=terms or [])


def run(pairs, ctx):
    return asyncio.run(run_jobs(pairs, ctx))


def test_reddit_public_search_sends_query_and_descriptive_user_agent(server: LocalServer) -> None:
    server.routes["/search.json"] = Reply(body=fixture_bytes("reddit_search.json"))
    [outcome] = run([(job({"type": "reddit"}), Cursor())], make_ctx(server.base_url))
    assert outcome.result is not None and len(outcome.result.items) == 5
    request = server.requests[0]
    assert request.query["q"] == ["acme cloud"] and request.query["sort"] == ["new"]
    assert request.headers["user-agent"].startswith("harken/")


def test_reddit_oauth_token_is_fetched_once_and_used(server: LocalServer) -> None:
    server.routes["/api/v1/access_token"] = Reply(body=b'{"access_token": "tok", "expires_in": 3600}')
    server.routes["/search"] = Reply(body=fixture_bytes("reddit_search.json"))
    ctx = make_ctx(
        server.base_url,
        credentials={"HARKEN_REDDIT_CLIENT_ID": "id", "HARKEN_REDDIT_CLIENT_SECRET": "sec"},
    )
    outcomes = run([(job({"type": "reddit"}, q), Cursor()) for q in ("a", "b", "c")], ctx)
    assert all(o.result is not None for o in outcomes)
    token_calls = [r for r in server.requests if r.path == "/api/v1/access_token"]
    assert len(token_calls) == 1
    assert token_calls[0].headers["authorization"].startswith("Basic ")
    assert all(r.headers["authorization"] == "bearer tok" for r in server.requests if r.path == "/search")


def test_subreddit_listing_uses_new_json(server: LocalServer) -> None:
    server.routes["/r/acmecloud/new.json"] = Reply(body=fixture_bytes("reddit_search.json"))
    [outcome] = run(
        [(job({"type": "reddit", "subreddits": ["acmecloud"]}, ""), Cursor())], make_ctx(server.base_url)
    )
    assert outcome.result is not None and len(outcome.result.items) == 5


def test_hackernews_later_poll_filters_on_watermark(server: LocalServer) -> None:
    server.routes["/api/v1/search_by_date"] = Reply(body=fixture_bytes("hn_algolia_search_by_date.json"))
    cursor = Cursor(watermark="2026-03-10T03:44:51Z", seen=["47312590"])
    [outcome] = run([(job({"type": "hackernews"}), cursor)], make_ctx(server.base_url))
    assert outcome.result is not None
    assert outcome.result.items == []  # the newest is seen, the others are older than the overlap
    assert server.requests[0].query["numericFilters"] == ["created_at_i>=1773092691"]


def test_mastodon_uses_instance_override_tags_and_min_id(server: LocalServer) -> None:
    server.routes["/api/v1/timelines/tag/acmecloud"] = Reply(body=fixture_bytes("mastodon_tag_timeline.json"))
    source = {"type": "mastodon", "instance": "https://mastodon.social", "tags": []}
    [first] = run([(job(source, "acmecloud vaultsync"), Cursor())], make_ctx(server.base_url))
    assert first.result is not None and len(first.result.items) == 4
    assert server.requests[0].query["any[]"] == ["vaultsync"]
    assert first.result.cursor.state["min_id"] == "116122390417751222"
    [second] = run([(job(source, "acmecloud vaultsync"), first.result.cursor)], make_ctx(server.base_url))
    assert server.requests[1].query["min_id"] == ["116122390417751222"]
    assert second.result is not None and second.result.items == []


def test_mastodon_closed_hashtag_feed_explains_the_token(server: LocalServer) -> None:
    server.routes["/api/v1/timelines/tag/acmecloud"] = Reply(
        status=401, body=b'{"error": "This API requires an authenticated user"}'
    )
    [outcome] = run([(job({"type": "mastodon"}, "acmecloud"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "auth"
    assert "HARKEN_MASTODON_TOKEN" in str(outcome.error)


def test_bluesky_without_app_password_is_skipped(server: LocalServer) -> None:
    [outcome] = run([(job({"type": "bluesky"}), Cursor())], make_ctx(server.base_url))
    assert isinstance(outcome.error, SourceSkipped)
    assert "HARKEN_BLUESKY_APP_PASSWORD" in str(outcome.error)
    assert server.requests == []


def test_youtube_without_key_is_skipped(server: LocalServer) -> None:
    [outcome] = run([(job({"type": "youtube"}), Cursor())], make_ctx(server.base_url))
    assert isinstance(outcome.error, SourceSkipped)
    assert server.requests == []


def _session(access: str) -> Reply:
    return Reply(body=json.dumps({"accessJwt": access, "refreshJwt": "refresh-1", "handle": "me"}).encode())


def test_bluesky_logs_in_once_and_refreshes_an_expired_token(server: LocalServer) -> None:
    server.routes["/xrpc/com.atproto.server.createSession"] = _session("access-1")
    server.routes["/xrpc/com.atproto.server.refreshSession"] = _session("access-2")

    def search(req: Request) -> Reply:
        if req.headers.get("authorization") == "Bearer access-1" and len(server.requests) > 4:
            return Reply(status=400, body=b'{"error": "ExpiredToken", "message": "Token has expired"}')
        return Reply(body=fixture_bytes("bluesky_searchPosts.json"))

    server.routes["/xrpc/app.bsky.feed.searchPosts"] = search
    ctx = make_ctx(
        server.base_url,
        credentials={"HARKEN_BLUESKY_HANDLE": "me.bsky.social", "HARKEN_BLUESKY_APP_PASSWORD": "app-pw"},
    )
    outcomes = run([(job({"type": "bluesky"}, q), Cursor()) for q in ("a", "b", "c")], ctx)
    assert all(o.result is not None and len(o.result.items) == 4 for o in outcomes)
    logins = [r for r in server.requests if r.path.endswith("createSession")]
    assert len(logins) == 1
    assert json.loads(logins[0].body) == {"identifier": "me.bsky.social", "password": "app-pw"}
    assert outcomes[0].result is not None
    assert outcomes[0].result.cursor.state["indexed_at"] == "2026-03-10T03:44:52Z"

    # Later, the cached token has expired server-side: one refresh, then the search succeeds.
    [later] = run([(job({"type": "bluesky"}, "d"), Cursor())], ctx)
    assert later.result is not None
    assert [r.path for r in server.requests if "Session" in r.path].count(
        "/xrpc/com.atproto.server.refreshSession"
    ) == 1
    assert server.requests[-1].headers["authorization"] == "Bearer access-2"


def test_stackexchange_backoff_delays_the_next_call(server: LocalServer) -> None:
    server.routes["/2.3/search/advanced"] = Reply(body=fixture_bytes("stackexchange_search_advanced.json"))
    ctx = make_ctx(server.base_url, credentials={"HARKEN_STACKEXCHANGE_KEY": "k"})
    source = {"type": "stackexchange", "site": "stackoverflow"}
    [first] = run([(job(source, "a"), Cursor())], ctx)
    assert first.result is not None and len(first.result.items) == 3
    assert server.requests[0].query["key"] == ["k"]
    assert server.requests[0].query["filter"] == ["withbody"]
    # The wrapper said `backoff: 10`: the next call waits, longer than this context allows.
    [second] = run([(job(source, "b"), Cursor())], ctx)
    assert second.error is not None and second.error.kind == "rate_limited"
    assert second.error.retry_after is not None and second.error.retry_after > 9
    assert len(server.requests) == 1


def test_stackexchange_throttle_error_reports_retry_after(server: LocalServer) -> None:
    body = {
        "error_id": 502,
        "error_name": "throttle_violation",
        "error_message": "too many requests",
        "backoff": 30,
    }
    server.routes["/2.3/search/advanced"] = Reply(status=400, body=json.dumps(body).encode())
    [outcome] = run([(job({"type": "stackexchange"}), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "rate_limited"
    assert outcome.error.retry_after == 30


def test_github_rate_limit_uses_reset_header(server: LocalServer) -> None:
    server.routes["/search/issues"] = Reply(
        status=403,
        body=b'{"message": "API rate limit exceeded"}',
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
    )
    [outcome] = run([(job({"type": "github"}), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "rate_limited"
    assert outcome.error.retry_after == 42


def test_an_exhausted_quota_holds_the_next_request_until_its_reset(server: LocalServer) -> None:
    # Reddit says no request is left in this window (other containers share the quota): the
    # next poll does not ask before the reset, it backs off instead of running into a 429.
    server.routes["/search.json"] = Reply(
        body=fixture_bytes("reddit_search.json"),
        headers={"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "300", "X-Ratelimit-Used": "10"},
    )
    ctx = make_ctx(server.base_url)
    [first] = run([(job({"type": "reddit"}), Cursor())], ctx)
    assert first.result is not None and len(first.result.items) == 5
    [second] = run([(job({"type": "reddit"}, "other"), Cursor())], ctx)
    assert second.error is not None and second.error.kind == "rate_limited"
    assert second.error.retry_after is not None and 290 <= second.error.retry_after <= 300
    assert len(server.requests) == 1


def test_a_quota_with_requests_left_changes_nothing(server: LocalServer) -> None:
    server.routes["/search.json"] = Reply(
        body=fixture_bytes("reddit_search.json"),
        headers={"X-Ratelimit-Remaining": "57.0", "X-Ratelimit-Reset": "300"},
    )
    ctx = make_ctx(server.base_url)
    outcomes = [run([(job({"type": "reddit"}, q), Cursor())], ctx)[0] for q in ("a", "b")]
    assert all(o.result is not None for o in outcomes) and len(server.requests) == 2


def test_github_search_adds_created_qualifier_on_later_polls(server: LocalServer) -> None:
    server.routes["/search/issues"] = Reply(body=fixture_bytes("github_search_issues.json"))
    ctx = make_ctx(server.base_url, credentials={"HARKEN_GITHUB_TOKEN": "ghp_x"})
    [outcome] = run(
        [(job({"type": "github"}, '"acme cloud" OR acmecloud'), Cursor(watermark="2026-03-10T00:00:00Z"))],
        ctx,
    )
    assert outcome.result is not None
    assert server.requests[0].query["q"] == ['"acme cloud" OR acmecloud created:>=2026-03-09T18:00:00Z']
    assert server.requests[0].headers["authorization"] == "Bearer ghp_x"
    # The third issue predates the watermark minus the overlap: not new.
    assert [i.native_id for i in outcome.result.items] == ["3990011223", "3989500001"]


def test_lemmy_maps_languages_via_site_once(server: LocalServer) -> None:
    server.routes["/api/v3/search"] = Reply(body=fixture_bytes("lemmy_search.json"))
    server.routes["/api/v3/site"] = Reply(
        body=b'{"all_languages": [{"id": 37, "code": "en"}, {"id": 86, "code": "ja"}]}'
    )
    source = {"type": "lemmy", "instance": "https://lemmy.world"}
    outcomes = run([(job(source, q), Cursor()) for q in ("a", "b")], make_ctx(server.base_url))
    assert all(o.result is not None and len(o.result.items) == 4 for o in outcomes)
    assert [r.path for r in server.requests].count("/api/v3/site") == 1
    assert outcomes[0].result is not None and outcomes[0].result.items[0].language == "en"


def test_lemmy_follows_its_own_base_url_override(server: LocalServer) -> None:
    """HARKEN_LEMMY_BASE_URL replaces the watch's instance (it took Mastodon's override)."""
    server.routes["/api/v3/search"] = Reply(body=fixture_bytes("lemmy_search.json"))
    server.routes["/api/v3/site"] = Reply(body=b'{"all_languages": []}')
    source = {"type": "lemmy", "instance": "https://lemmy.world"}
    ctx = make_ctx(server.base_url, base_urls={"lemmy": server.base_url})
    [outcome] = run([(job(source, "a"), Cursor())], ctx)
    assert outcome.result is not None and len(outcome.result.items) == 4
    mastodon_only = make_ctx(
        server.base_url, base_urls={"mastodon": server.base_url}, timeout=0.5, max_wait=0.01
    )
    before = len(server.requests)
    run([(job(source, "a"), Cursor())], mastodon_only)
    assert len(server.requests) == before  # went to lemmy.world (unreachable here), not to Mastodon's


def test_lobsters_is_filtered_on_terms(server: LocalServer) -> None:
    server.routes["/newest.json"] = Reply(body=fixture_bytes("lobsters_newest.json"))
    [outcome] = run(
        [(job({"type": "lobsters"}, "", ["Acme Cloud", "AcmeCloud"]), Cursor())], make_ctx(server.base_url)
    )
    assert outcome.result is not None
    assert [i.native_id for i in outcome.result.items] == ["x1ab2c", "q9zz7k"]


def test_youtube_quota_exhaustion_waits_for_reset(server: LocalServer) -> None:
    body = {"error": {"code": 403, "errors": [{"reason": "quotaExceeded"}]}}
    server.routes["/youtube/v3/search"] = Reply(status=403, body=json.dumps(body).encode())
    ctx = make_ctx(server.base_url, credentials={"HARKEN_YOUTUBE_API_KEY": "key"})
    [outcome] = run([(job({"type": "youtube"}), Cursor())], ctx)
    assert outcome.error is not None and outcome.error.kind == "rate_limited"
    assert outcome.error.retry_after is not None and 0 < outcome.error.retry_after <= 86400
    assert "key" not in str(outcome.error)


def test_invalid_and_truncated_json_are_bad_payloads(server: LocalServer) -> None:
    body = fixture_bytes("hn_algolia_search_by_date.json")
    server.routes["/api/v1/search_by_date"] = Reply(body=body[: len(body) // 2])
    server.routes["/search/issues"] = Reply(body=b"<html>502 Bad Gateway</html>")
    server.routes["/newest.json"] = Reply(body=b'{"not": "a list"}')
    outcomes = run(
        [
            (job({"type": "hackernews"}), Cursor()),
            (job({"type": "github"}), Cursor()),
            (job({"type": "lobsters"}, ""), Cursor()),
        ],
        make_ctx(server.base_url),
    )
    assert [o.error.kind if o.error else None for o in outcomes] == ["bad_payload"] * 3


def test_unknown_source_type_is_an_error_not_an_exception(server: LocalServer) -> None:
    [outcome] = run([(job({"type": "myspace"}), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "unsupported"


def _v4_search_body() -> bytes:
    """The 0.19 fixture's views, reshaped as Lemmy 1.x answers: one `search` list tagged by type_."""
    v3 = json.loads(fixture_bytes("lemmy_search.json"))
    views = [{"type_": "post", **v} for v in v3["posts"]] + [
        {"type_": "comment", **v} for v in v3["comments"]
    ]
    for view in views:
        body = view.get("post") or view.get("comment")
        body["published_at"] = body.pop("published")
    views.append({"type_": "community", "community": {"name": "selfhosted"}})
    return json.dumps({"search": views, "next_page": "cursor-2"}).encode()


def test_lemmy_1x_instance_is_searched_on_api_v4(server: LocalServer) -> None:
    server.routes["/api/v3/site"] = Reply(
        body=b'{"version": "1.0.2", "all_languages": [{"id": 37, "code": "en"}]}'
    )
    server.routes["/api/v4/search"] = Reply(body=_v4_search_body())
    source = {"type": "lemmy", "instance": "https://lemmy.world"}
    [outcome] = run([(job(source, "acme cloud"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is not None and len(outcome.result.items) == 4
    search = [r for r in server.requests if r.path.endswith("/search")]
    assert [r.path for r in search] == ["/api/v4/search"]
    assert search[0].query["search_term"] == ["acme cloud"] and "q" not in search[0].query
    assert outcome.result.items[0].language == "en"
    assert all(i.published_at.year == 2026 for i in outcome.result.items)


def test_lemmy_instance_without_api_v3_falls_back_to_v4(server: LocalServer) -> None:
    server.routes["/api/v3/site"] = Reply(status=404, body=b"{}")
    server.routes["/api/v4/site"] = Reply(body=b'{"version": "1.1.0", "all_languages": []}')
    server.routes["/api/v4/search"] = Reply(body=_v4_search_body())
    [outcome] = run(
        [(job({"type": "lemmy", "instance": "https://lemmy.world"}, "acme"), Cursor())],
        make_ctx(server.base_url),
    )
    assert outcome.result is not None and len(outcome.result.items) == 4


def test_mastodon_full_text_search_runs_with_a_token(server: LocalServer) -> None:
    statuses = json.loads(fixture_bytes("mastodon_tag_timeline.json"))
    server.routes["/api/v2/search"] = Reply(
        body=json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode()
    )
    source = {"type": "mastodon", "instance": "https://mastodon.social", "mode": "search"}
    ctx = make_ctx(server.base_url, credentials={"HARKEN_MASTODON_TOKEN": "tok"})
    [first] = run([(job(source, "Acme Cloud"), Cursor())], ctx)
    assert first.result is not None and len(first.result.items) == 4
    request = server.requests[0]
    assert request.path == "/api/v2/search"
    assert request.query["q"] == ["Acme Cloud"] and request.query["type"] == ["statuses"]
    assert request.headers["authorization"] == "Bearer tok"
    [second] = run([(job(source, "Acme Cloud"), first.result.cursor)], ctx)
    assert server.requests[1].query["min_id"] == [first.result.cursor.state["min_id"]]
    assert second.result is not None and second.result.items == []


def test_mastodon_full_text_search_is_skipped_without_a_token(server: LocalServer) -> None:
    source = {"type": "mastodon", "instance": "https://mastodon.social", "mode": "search"}
    [outcome] = run([(job(source, "Acme Cloud"), Cursor())], make_ctx(server.base_url))
    assert isinstance(outcome.error, SourceSkipped)
    assert "HARKEN_MASTODON_TOKEN" in str(outcome.error)
    assert server.requests == []


def test_bluesky_reads_every_page_since_the_last_poll(server: LocalServer) -> None:
    """150 new posts since the last poll: the adapter read one page of 100 and the next poll's
    `since` skipped the other 50 for good."""
    import copy

    template = json.loads(fixture_bytes("bluesky_searchPosts.json"))["posts"][0]

    def post(n: int) -> dict:
        p = copy.deepcopy(template)
        p["uri"] = f"at://did:plc:x/app.bsky.feed.post/{n:06d}"
        p["cid"] = f"cid{n}"
        p["indexedAt"] = p["record"]["createdAt"] = f"2026-03-10T{n // 60:02d}:{n % 60:02d}:00.000Z"
        p["record"]["text"] = f"Acme Cloud post {n}"
        return p

    newest_first = [post(n) for n in range(150, 0, -1)]

    def search(req: Request) -> Reply:
        start = int((req.query.get("cursor") or ["0"])[0])
        page = newest_first[start : start + 100]
        body = {"posts": page, "cursor": str(start + 100) if start + 100 < len(newest_first) else None}
        return Reply(body=json.dumps(body).encode())

    server.routes["/xrpc/com.atproto.server.createSession"] = _session("access-1")
    server.routes["/xrpc/app.bsky.feed.searchPosts"] = search
    ctx = make_ctx(
        server.base_url,
        credentials={"HARKEN_BLUESKY_HANDLE": "me.bsky.social", "HARKEN_BLUESKY_APP_PASSWORD": "app-pw"},
    )
    [outcome] = run([(job({"type": "bluesky"}), Cursor(state={"indexed_at": "2026-03-09T23:00:00Z"}))], ctx)
    assert outcome.result is not None, outcome.error
    assert len(outcome.result.items) == 150
    assert len([r for r in server.requests if r.path.endswith("searchPosts")]) == 2


def test_lemmy_reads_pages_back_to_the_last_poll(server: LocalServer) -> None:
    """80 new posts since the last poll, 50 a page: page 1 alone lost 30 for good."""
    import copy

    template = json.loads(fixture_bytes("lemmy_search.json"))["posts"][0]

    def view(n: int) -> dict:
        v = copy.deepcopy(template)
        v["post"]["id"] = n
        v["post"]["ap_id"] = f"https://lemmy.world/post/{n}"
        v["post"]["published"] = f"2026-03-10T{n // 60:02d}:{n % 60:02d}:00Z"
        return v

    newest_first = [view(n) for n in range(100, 0, -1)]  # 1..20 were seen by the last poll

    def search(req: Request) -> Reply:
        page = int(req.query["page"][0])
        return Reply(
            body=json.dumps({"posts": newest_first[(page - 1) * 50 : page * 50], "comments": []}).encode()
        )

    server.routes["/api/v3/search"] = search
    server.routes["/api/v3/site"] = Reply(body=b'{"all_languages": []}')
    source = {"type": "lemmy", "instance": "https://lemmy.world"}
    cursor = Cursor(watermark="2026-03-10T00:20:00Z")
    [outcome] = run([(job(source, "acme"), cursor)], make_ctx(server.base_url))
    assert outcome.result is not None, outcome.error
    assert len({i.native_id for i in outcome.result.items}) >= 80
    assert [r.query.get("page") for r in server.requests if r.path == "/api/v3/search"] == [["1"], ["2"]]
