from __future__ import annotations

import pytest
from harken.models import Item, WatchIn

ACME = {
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
    "exclude": ["ACME protocol", "Wile E. Coyote", "bakery"],
    "official": ["https://www.reddit.com/r/acmecloud", "https://mastodon.social/@acmecloud"],
}


@pytest.fixture
def acme() -> WatchIn:
    return WatchIn.model_validate(ACME)


def item(text: str, url: str = "https://news.example.com/a/1", **kw) -> Item:
    return Item(source=kw.pop("source", "hackernews"), url=url, text=text, **kw)
