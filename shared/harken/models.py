"""The domain's data: watches (what to listen for), items (what a source returned) and
mentions (an item that matched a watch). Pure pydantic, no AWS, no network."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

Category = Literal["reputation", "crowd_marketing", "smm"]
SentimentLabel = Literal["positive", "neutral", "negative"]
Intent = Literal["complaint", "question", "purchase_intent", "recommendation_request", "praise"]
TermKind = Literal["brand", "variant", "person", "product", "address", "trademark", "lead", "query"]
MatchHow = Literal["exact", "typo"]
Status = Literal["new", "in_progress", "handled", "ignored"]
DigestPeriod = Literal["hourly", "daily", "weekly", "off"]
SourceType = Literal[
    "rss",
    "reddit",
    "hackernews",
    "mastodon",
    "bluesky",
    "stackexchange",
    "github",
    "lemmy",
    "lobsters",
    "youtube",
]

CATEGORIES: tuple[str, ...] = ("reputation", "crowd_marketing", "smm")
SENTIMENTS: tuple[str, ...] = ("positive", "neutral", "negative")
INTENTS: tuple[str, ...] = ("complaint", "question", "purchase_intent", "recommendation_request", "praise")
STATUSES: tuple[str, ...] = ("new", "in_progress", "handled", "ignored")

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_TERM_MAX = 200
_TEXT_MAX, _TITLE_MAX = 20_000, 500  # = harken.text.TEXT_MAX, TITLE_MAX (not imported: it loads html)
_TERMS_MAX = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """ISO 8601 with a Z, to the second: the one timestamp format Harken writes."""
    value = as_utc(value)
    # strftime's %Y does not pad years before 1000 ("500-01-01"), and those sort wrongly.
    return f"{value.year:04d}-{value:%m-%dT%H:%M:%S}Z"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _clean_terms(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = " ".join(v.split())
        if not v:
            continue
        if len(v) > _TERM_MAX:
            raise ValueError(f"a term is longer than {_TERM_MAX} characters")
        if v not in out:
            out.append(v)
    if len(out) > _TERMS_MAX:
        raise ValueError(f"at most {_TERMS_MAX} terms of one kind")
    return out


class _Strict(_Model):
    """A part of a watch: an unknown key is a mistake to report ("brands" would silently watch
    nothing), not something to drop."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Terms(_Strict):
    """What reputation and crowd-marketing work listens for, by kind (DESIGN.md §4)."""

    brand: list[str] = Field(default_factory=list)
    variants: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    addresses: list[str] = Field(default_factory=list)
    trademarks: list[str] = Field(default_factory=list)
    leads: list[str] = Field(default_factory=list)

    _clean = field_validator("*")(classmethod(lambda cls, v: _clean_terms(v)))

    def by_kind(self) -> list[tuple[TermKind, str]]:
        """Every term with its kind, in the order kinds are listed in the contract."""
        kinds: list[tuple[TermKind, list[str]]] = [
            ("brand", self.brand),
            ("variant", self.variants),
            ("person", self.people),
            ("product", self.products),
            ("address", self.addresses),
            ("trademark", self.trademarks),
            ("lead", self.leads),
        ]
        return [(kind, term) for kind, terms in kinds for term in terms]

    def is_empty(self) -> bool:
        return not self.by_kind()


class _Source(_Strict):
    pass


# An instance of a federated network: a host name, with or without http(s):// and a port.
_INSTANCE = re.compile(r"^(?:https?://)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?/?$", re.I)


def _instance(v: str) -> str:
    if not _INSTANCE.match(v):
        raise ValueError(f"not an instance address: {v!r} (such as https://mastodon.social)")
    return v


class RssSource(_Source):
    type: Literal["rss"]
    url: str = Field(min_length=8, max_length=2048)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v, re.I):
            raise ValueError("must be an http(s) URL")
        return v


class RedditSource(_Source):
    type: Literal["reddit"]
    subreddits: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        names = []
        for raw in v:
            name = raw.strip().removeprefix("/").removeprefix("r/")
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}", name):
                raise ValueError(f"not a subreddit name: {raw!r} (such as sysadmin or r/sysadmin)")
            names.append(name)
        return names


class HackerNewsSource(_Source):
    type: Literal["hackernews"]


class MastodonSource(_Source):
    type: Literal["mastodon"]
    instance: str = Field(default="https://mastodon.social", max_length=300)
    tags: list[str] = Field(default_factory=list, max_length=4)

    _check_instance = field_validator("instance")(classmethod(lambda cls, v: _instance(v)))

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        tags = []
        for raw in v:
            tag = raw.strip().removeprefix("#")
            if not re.fullmatch(r"\w{1,100}", tag):
                raise ValueError(f"not a hashtag: {raw!r} (letters, digits and _ only)")
            tags.append(tag)
        return tags


class BlueskySource(_Source):
    type: Literal["bluesky"]


class StackExchangeSource(_Source):
    type: Literal["stackexchange"]
    site: str = Field(default="stackoverflow", max_length=100, pattern=r"^[a-z0-9.\-]+$")


class GitHubSource(_Source):
    type: Literal["github"]


class LemmySource(_Source):
    type: Literal["lemmy"]
    instance: str = Field(default="https://lemmy.world", max_length=300)

    _check_instance = field_validator("instance")(classmethod(lambda cls, v: _instance(v)))


class LobstersSource(_Source):
    type: Literal["lobsters"]


class YouTubeSource(_Source):
    type: Literal["youtube"]


SourceSpec = Annotated[
    RssSource
    | RedditSource
    | HackerNewsSource
    | MastodonSource
    | BlueskySource
    | StackExchangeSource
    | GitHubSource
    | LemmySource
    | LobstersSource
    | YouTubeSource,
    Field(discriminator="type"),
]


class Webhook(_Strict):
    url: str = Field(max_length=2048)
    format: Literal["json", "slack"] = "json"
    secret: str | None = Field(default=None, max_length=500)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v, re.I):
            raise ValueError("must be an http(s) URL")
        return v


class InstantRule(_Strict):
    """Which mentions alert at once. An empty list means any value of that field."""

    categories: list[Category] = Field(default_factory=list)
    sentiments: list[SentimentLabel] = Field(default_factory=list)
    intents: list[Intent] = Field(default_factory=list)


def _default_instant() -> InstantRule:
    return InstantRule(categories=["reputation"], sentiments=["negative"])


class Alerts(_Strict):
    email: list[str] = Field(default_factory=list, max_length=50)
    webhooks: list[Webhook] = Field(default_factory=list, max_length=20)
    # None (JSON null) turns instant alerts off; absent means "negative reputation mentions".
    instant: InstantRule | None = Field(default_factory=_default_instant)
    digest: DigestPeriod = "off"
    spikes: StrictBool = True

    @field_validator("email")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for address in v:
            if not _EMAIL.match(address) or len(address) > 254:
                raise ValueError(f"not an email address: {address!r}")
        return v


class WatchIn(_Model):
    """A watch as a user writes it (the body of POST/PUT /watches, `harken classify --watch`)."""

    name: str = Field(min_length=1, max_length=200)
    terms: Terms = Field(default_factory=Terms)
    query: str | None = Field(default=None, max_length=2000)
    exclude: list[str] = Field(default_factory=list, max_length=500)
    typos: StrictBool = True  # "yes" is an error, not true
    languages: list[str] = Field(default_factory=list, max_length=50)
    official: list[str] = Field(default_factory=list, max_length=100)
    sources: list[SourceSpec] = Field(default_factory=list, max_length=50)
    alerts: Alerts = Field(default_factory=Alerts)

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, v: list[str]) -> list[str]:
        return _clean_terms(v)

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str]) -> list[str]:
        # "english" would keep every item out, silently: only language codes are taken.
        codes = []
        for raw in v:
            code = raw.strip()
            primary = code.replace("_", "-").split("-")[0]
            if not (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3):
                raise ValueError(f"not a language code: {raw!r} (use codes such as en, ja, pt-BR)")
            codes.append(code)
        return codes

    @field_validator("official")
    @classmethod
    def _official(cls, v: list[str]) -> list[str]:
        # A page or account address, with or without http(s)://: "reddit.com/r/acmecloud",
        # "https://mastodon.social/@acmecloud". Not "javascript:…", not prose.
        for raw in v:
            url = raw.strip()
            scheme, sep, rest = url.partition("://")
            if not sep:
                rest = url
            host = rest.split("/", 1)[0]
            if (
                (sep and scheme.lower() not in ("http", "https"))
                or not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?", host)
                or ("." not in host and host.split(":")[0] != "localhost")
                or any(ch.isspace() for ch in url)
            ):
                raise ValueError(f"not a page address: {raw!r} (such as https://www.reddit.com/r/acmecloud)")
        return v

    @field_validator("query")
    @classmethod
    def _query(cls, v: str | None) -> str | None:
        if not v:
            return None
        from harken.query import parse_query  # a light module; keeps models importable alone

        parse_query(v)  # QueryError is a ValueError: "unbalanced parenthesis at position 14"
        return v

    @model_validator(mode="after")
    def _needs_something_to_match(self) -> WatchIn:
        if self.terms.is_empty() and not self.query:
            raise ValueError("a watch needs at least one term or a query")
        return self


class WatchDoc(WatchIn):
    """A watch document from a user (API body, `harken classify --watch` file), checked strictly:
    an unknown key is an error naming it ("exlude" would silently exclude nothing); the read-only
    keys of a stored watch (a document as GET returns it, sent back) are dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict) and not READ_ONLY_WATCH_KEYS.isdisjoint(data):
            data = {k: v for k, v in data.items() if k not in READ_ONLY_WATCH_KEYS}
        return data


READ_ONLY_WATCH_KEYS = frozenset({"id", "tenant_id", "created_at", "updated_at"})


class Watch(WatchIn):
    """A stored watch: what the user wrote plus identity and ownership."""

    id: str
    tenant_id: str
    created_at: datetime
    updated_at: datetime

    def public(self) -> dict[str, Any]:
        """The watch as the API shows it: webhook secrets are write-only."""
        data = self.model_dump(mode="json", exclude={"tenant_id"})
        for hook in data["alerts"]["webhooks"]:
            hook["secret"] = "********" if hook.get("secret") else None
        return data


class Item(_Model):
    """One thing a source returned, normalised: plain text, UTC time, canonical URL."""

    source: str
    url: str
    title: str | None = None
    text: str = ""
    author: str | None = None
    published_at: datetime = Field(default_factory=utcnow)
    language: str | None = None
    native_id: str | None = None
    community: str | None = None

    @field_validator("published_at", mode="before")
    @classmethod
    def _unknown_time(cls, v: Any) -> Any:
        # A source (or a `harken classify` line) that does not know when: fetched now.
        return utcnow() if v is None or v == "" else v

    @field_validator("published_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        try:
            return as_utc(v)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
            raise ValueError("the time is out of range") from None

    @field_validator("text", "title")
    @classmethod
    def _capped(cls, v: str | None, info: ValidationInfo) -> str | None:
        # Every path caps what it classifies and stores as the sources do (harken.text): an item
        # of megabytes (from `harken classify`, or a queue message written by hand) is cut, not
        # matched for minutes.
        limit = _TITLE_MAX if info.field_name == "title" else _TEXT_MAX
        if v is not None and len(v) > limit:
            from harken.text import cap

            return cap(v, limit)
        return v


class Match(_Model):
    term: str
    kind: TermKind
    how: MatchHow = "exact"


class Sentiment(_Model):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0)


class Classification(_Model):
    """What the classifier concluded about an item for one watch."""

    matches: list[Match]
    category: Category
    sentiment: Sentiment
    intents: list[Intent] = Field(default_factory=list)
    language: str | None = None


class Mention(_Model):
    """A stored mention: an item that matched a watch, with its classification and workflow."""

    id: str
    watch_id: str
    tenant_id: str = ""
    source: str
    url: str
    title: str | None = None
    text: str = ""
    author: str | None = None
    published_at: datetime
    fetched_at: datetime
    language: str | None = None
    community: str | None = None
    matches: list[Match]
    category: Category
    sentiment: Sentiment
    intents: list[Intent] = Field(default_factory=list)
    status: Status = "new"
    note: str | None = None
    assignee: str | None = None
    handled_at: datetime | None = None
    history: list[dict[str, Any]] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The mention as the API, webhooks and `harken classify` show it."""
        data = self.model_dump(mode="json", exclude={"tenant_id"})
        for key in ("published_at", "fetched_at", "handled_at"):
            value = getattr(self, key)
            data[key] = iso(value) if value else None
        return data
