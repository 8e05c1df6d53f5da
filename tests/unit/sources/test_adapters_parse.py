"""Each adapter's normaliser on the recorded payloads: ids, URLs, entities decoded once, deleted
authors, UTC times, language and community."""

import json
from datetime import UTC, datetime
from pathlib import Path

from harken.sources import (
    bluesky,
    github,
    hackernews,
    lemmy,
    lobsters,
    mastodon,
    reddit,
    stackexchange,
    youtube,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"
NOW = datetime(2026, 3, 12, tzinfo=UTC)


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_reddit_titles_decoded_once_and_deleted_author_is_none() -> None:
    items = reddit.parse_listing(load("reddit_search.json"), NOW)
    assert len(items) == 5
    first = items[0]
    assert (
        first.title == "Acme Cloud restores have been failing for 3 days & support just sends canned replies"
    )
    assert '-> "we\'re looking into it"' in first.text
    assert first.url.startswith("https://www.reddit.com/r/selfhosted/comments/1rb8k2q/")
    assert first.native_id == "t3_1rb8k2q"
    assert first.community == "selfhosted"
    assert first.published_at == datetime(2026, 3, 10, 1, 2, 9, tzinfo=UTC)
    deleted = items[2]
    assert deleted.author is None and deleted.text == ""
    link_post = items[3]
    assert "https://example.co.jp/news/2026/03/acme-cloud-pricing" in link_post.text  # &amp;utm_ removed


def test_hackernews_comments_and_stories() -> None:
    items = hackernews.parse_hits(load("hn_algolia_search_by_date.json"), NOW)
    comment, story = items[0], items[1]
    assert comment.title is None
    assert comment.url == "https://news.ycombinator.com/item?id=47312590"
    assert "backups / uploads" in comment.text and "&#x2F;" not in comment.text
    assert '"within SLA"' in comment.text
    assert story.title == "Ask HN: Which backup service should I buy for a 5-person startup?"
    assert story.text.startswith("We're choosing")
    assert story.published_at == datetime(2026, 3, 9, 18, 31, 20, tzinfo=UTC)


def test_mastodon_statuses() -> None:
    items = mastodon.parse_statuses(load("mastodon_tag_timeline.json"), NOW)
    first = items[0]
    assert first.text.startswith('Day 3 of #AcmeCloud restores failing. Support says "it\'s a known issue"')
    assert first.author == "opsgrump@hachyderm.example"
    assert first.language == "en"
    assert first.community == "hachyderm.example"
    assert first.native_id == "https://hachyderm.example/users/opsgrump/statuses/116122389981234567"
    assert items[1].language == "ja"
    cw = items[2]
    assert cw.text.startswith("shopping question, long\n")  # spoiler text first
    assert cw.language is None


def test_bluesky_posts() -> None:
    items = bluesky.parse_posts(load("bluesky_searchPosts.json"), NOW)
    first = items[0]
    assert first.url == "https://bsky.app/profile/opsgrump.bsky.social/post/3mgx2kqzbvc2s"
    assert first.native_id.startswith("at://did:plc:7iza6de2dwap2sbkpav7c6c6/")
    assert first.language == "en"
    assert items[2].published_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # back-dated createdAt kept


def test_stackexchange_questions() -> None:
    items = stackexchange.parse_questions(load("stackexchange_search_advanced.json"), NOW, "stackoverflow")
    first, closed = items[0], items[1]
    assert (
        first.title == 'Acme Cloud S3-compatible API returns 403 "SignatureDoesNotMatch" on multipart restore'
    )
    assert first.author == "Jörg Müller"
    assert "support hasn't replied" in first.text
    assert first.community == "stackoverflow"
    assert first.native_id == "stackoverflow:79990123"
    assert closed.author is None  # does_not_exist


def test_github_issues() -> None:
    items = github.parse_issues(load("github_search_issues.json"), NOW)
    assert items[0].community == "example-org/restic-acme"
    assert items[0].author == "tired-of-restores"
    assert "\r" not in items[0].text
    assert items[1].url == "https://github.com/example-org/awesome-backup/pull/88"
    ghost = items[2]
    assert ghost.author is None and ghost.text == ""  # body null, ghost user


def test_lemmy_posts_and_comments() -> None:
    items = lemmy.parse_search(load("lemmy_search.json"), NOW, {37: "en", 86: "ja"})
    post = items[0]
    assert post.url == "https://lemmy.world/post/27300111"
    assert "We're improving our service" in post.text
    assert post.community == "selfhosted@lemmy.world"
    assert post.language == "en"
    federated = items[1]
    assert federated.native_id == "https://lemmy.example.jp/post/551200"
    assert federated.author == "kumo@lemmy.example.jp"
    assert federated.language == "ja"
    deleted = items[3]
    assert deleted.author is None and deleted.text == ""


def test_lobsters_stories_and_term_filter() -> None:
    items = lobsters.parse_stories(load("lobsters_newest.json"), NOW)
    assert items[0].url == "https://lobste.rs/s/x1ab2c"
    assert items[0].published_at == datetime(2026, 3, 10, 3, 44, 51, tzinfo=UTC)  # -06:00 converted
    assert items[1].text == "Currently comparing acmecloud, B2 and rsync.net. Restore speed > price."


def test_youtube_entities_decoded_once() -> None:
    items = youtube.parse_search(load("youtube_search.json"), NOW)
    assert items[0].title == "Acme Cloud Review: I Lost 3 Days Trying to Restore My Backup 'Disaster'"
    assert items[0].text == "Honest review of Acme Cloud after 18 months. Restores, pricing & support ..."
    assert items[0].url == "https://www.youtube.com/watch?v=dQ8pR2x7LkA"
    assert items[2].text == ""


def test_one_malformed_entry_is_skipped_not_the_whole_page() -> None:
    """A field of the wrong type in one entry (written by whoever wrote the post, or a quirky
    server) raised in the parser, and the job failed at every poll with all its good items."""
    from harken.sources.normalize import tolerant

    data = load("github_search_issues.json")
    good = len(github.parse_issues(data, NOW))
    broken = {**data, "items": [{**data["items"][0], "user": "octocat"}, *data["items"][1:]]}
    items = tolerant(github.parse_issues, broken, "items", NOW)
    assert len(items) == good - 1 and all(
        i.native_id != github.parse_issues(data, NOW)[0].native_id for i in items
    )
    listing = load("reddit_search.json")
    children = listing["data"]["children"]
    bad_child = {**children[0], "data": {**children[0]["data"], "title": {"not": "text"}}}
    broken_listing = {**listing, "data": {**listing["data"], "children": [bad_child, *children[1:]]}}
    assert len(tolerant(reddit.parse_listing, broken_listing, "data.children", NOW)) == len(children) - 1


def test_a_feed_entry_with_an_impossible_date_keeps_its_neighbours() -> None:
    from harken.sources.rss import parse_feed

    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Acme one</title><link>https://e.example/1</link>"
        b"<pubDate>2026-03-09T10:00:00+25:00</pubDate></item>"
        b"<item><title>Acme two</title><link>https://e.example/2</link>"
        b"<pubDate>Mon, 09 Mar 2026 10:00:00 GMT</pubDate></item>"
        b"</channel></rss>"
    )
    items = parse_feed(feed, "https://e.example/feed", NOW)
    assert [i.title for i in items] == ["Acme one", "Acme two"]
    assert items[0].published_at == NOW


def test_mastodon_cursor_follows_numeric_ids_and_ulids() -> None:
    """GoToSocial and others use ULIDs: as ints they were all 0, the cursor stuck at "0" and the
    oldest page came back as new at every poll."""
    from harken.sources.base import Cursor

    numeric = mastodon._advanced(Cursor(state={"min_id": "99"}), [{"id": "100"}, {"id": "1000"}], "99")
    assert numeric.state["min_id"] == "1000"
    ulids = [{"id": "01HQ8Z3X0000000000000000AB"}, {"id": "01HQ8Z3Y0000000000000000AA"}]
    first = mastodon._advanced(Cursor(), ulids, None)
    assert first.state["min_id"] == "01HQ8Z3Y0000000000000000AA"
    older = mastodon._advanced(first, [{"id": "01HQ8Z3W0000000000000000ZZ"}], first.state["min_id"])
    assert older.state["min_id"] == "01HQ8Z3Y0000000000000000AA"
