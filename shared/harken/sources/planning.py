"""From a watch to fetch jobs: one job per (watch, source, query), with each source's query
syntax and length limits. Pure: no network, no environment."""

from __future__ import annotations

import re
from collections.abc import Callable

from harken.models import Watch
from harken.sources.base import FetchJob

MAX_JOBS_PER_SOURCE = 25
_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_HASHTAG_STRIP = re.compile(r"[^\w]", re.UNICODE)


def query_terms(query: str | None) -> list[str]:
    """The positive words and phrases of a watch query (no operators, exclusions or filters)."""
    out: list[str] = []
    negate = False
    for match in _QUERY_TOKEN.finditer((query or "").replace("(", " ").replace(")", " ")):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if not negate and phrase.strip():
                out.append(" ".join(phrase.split()))
            negate = False
            continue
        token = word.strip("()")
        if not token:
            continue
        upper = token.upper()
        if upper in ("AND", "OR"):
            continue
        if upper == "NOT":
            negate = True
            continue
        if token.startswith("-") or negate or ":" in token:
            negate = False
            continue
        token = token.rstrip("*")
        if len(token) > 1:
            out.append(token)
    return _unique(out)


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


def search_terms(watch: Watch) -> list[str]:
    """What to search for: brand, variants, products, trademarks, people, then leads; the
    query's positive words when the watch has no terms."""
    t = watch.terms
    terms = [*t.brand, *t.variants, *t.products, *t.trademarks, *t.people, *t.leads]
    return _unique(terms) or query_terms(watch.query)


def filter_terms(watch: Watch) -> list[str]:
    """Every term a listing source (feeds, Lobsters) is filtered on before classification."""
    terms = [term for _, term in watch.terms.by_kind()] + query_terms(watch.query)
    return _unique(terms)


def _quote(term: str) -> str:
    term = term.replace('"', " ").strip()
    return f'"{term}"' if re.search(r"[\s\-:()|]", term) else term


def or_chunks(terms: list[str], *, joiner: str, max_len: int, max_terms: int = 1000) -> list[str]:
    """Terms joined with `joiner`, split so each query fits the source's limits."""
    chunks: list[str] = []
    current: list[str] = []
    for term in terms:
        quoted = _quote(term)[:max_len]
        candidate = joiner.join([*current, quoted])
        if current and (len(candidate) > max_len or len(current) >= max_terms):
            chunks.append(joiner.join(current))
            current = [quoted]
        else:
            current.append(quoted)
    if current:
        chunks.append(joiner.join(current))
    return chunks


def hashtag(term: str) -> str:
    """`Acme Cloud` → `acmecloud` (Mastodon tags are case-insensitive and have no spaces)."""
    return _HASHTAG_STRIP.sub("", term).lower()


def _per_term(watch: Watch) -> list[str]:
    return search_terms(watch)[:MAX_JOBS_PER_SOURCE]


def _lemmy(watch: Watch) -> list[str]:
    # Lemmy's default search limit is 60 requests per 10 minutes per IP: few queries per poll.
    return search_terms(watch)[:5]


def _reddit(watch: Watch) -> list[str]:
    return or_chunks(search_terms(watch), joiner=" OR ", max_len=512)[:MAX_JOBS_PER_SOURCE]


def _github(watch: Watch) -> list[str]:
    # At most five AND/OR/NOT operators per query; the qualifiers added at fetch time need room.
    return or_chunks(search_terms(watch), joiner=" OR ", max_len=200, max_terms=6)[:MAX_JOBS_PER_SOURCE]


def _youtube(watch: Watch) -> list[str]:
    # Each search costs a large share of the daily quota: as few queries as possible.
    return or_chunks(search_terms(watch), joiner="|", max_len=500)[:3]


MASTODON_SEARCH_TERMS = 5

_QUERIES: dict[str, Callable[[Watch], list[str]]] = {
    "reddit": _reddit,
    "hackernews": _per_term,
    "bluesky": _per_term,
    "stackexchange": _per_term,
    "lemmy": _lemmy,
    "github": _github,
    "youtube": _youtube,
}


def plan_jobs(watch: Watch) -> list[FetchJob]:
    """One FetchJob per (watch, source, query) for every source of the watch."""
    jobs: list[FetchJob] = []
    listing_terms = filter_terms(watch)
    for spec in watch.sources:
        source = spec.model_dump(mode="json")
        kind = source["type"]

        def job(query: str, terms: list[str] | None = None, src: dict = source) -> FetchJob:
            return FetchJob(
                watch_id=watch.id, tenant_id=watch.tenant_id, source=src, query=query, terms=terms or []
            )

        if kind in ("rss", "lobsters"):
            jobs.append(job("", listing_terms))
        elif kind == "reddit" and source.get("subreddits"):
            for sub in source["subreddits"]:
                jobs.append(job("", listing_terms, {**source, "subreddits": [sub]}))
        elif kind == "mastodon":
            tags = [hashtag(t) for t in (source.get("tags") or search_terms(watch))]
            tags = _unique([t for t in tags if t])[: 4 * 6]
            for start in range(0, len(tags), 4):
                jobs.append(job(" ".join(tags[start : start + 4]), listing_terms))
            # full-text search of the same terms; it runs only where a token is configured
            search = {**source, "mode": "search"}
            for term in search_terms(watch)[:MASTODON_SEARCH_TERMS]:
                jobs.append(job(term, listing_terms, search))
        elif kind in _QUERIES:
            for query in _QUERIES[kind](watch):
                jobs.append(job(query))
    return jobs
