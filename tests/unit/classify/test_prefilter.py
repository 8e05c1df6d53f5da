"""The match prefilter: a necessary condition, never a missed match."""

from __future__ import annotations

import pytest
from harken.classify import common_words, compile_watch
from harken.match import EXACT, TYPO, build_matcher, latin_form
from harken.models import WatchIn
from harken.normalize import normalize

from .conftest import ACME, item


@pytest.fixture(scope="module")
def matcher():
    return build_matcher(
        [(0, "brand", "Acme Cloud"), (0, "variant", "AcmeCloud"), (0, "trademark", "VaultSync")],
        typo_owners=[0],
        common_words=common_words(),
    )


@pytest.mark.parametrize(
    "text",
    [
        "Acme Clod ate my files",
        "acmecloud is down",
        "Acme-Cloud again",
        "ACME  CLOUD",
        "Acme Cluod",
        "VaultSynk broke",
    ],
)
def test_prefilter_lets_through_matches_and_typos(matcher, text):
    assert matcher.prefilter.scan(text)
    assert matcher.find(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        "the cloud was low over the harbor",
        "I could not restore my backup, a loud error",
        "The bank vault is closed today",
        "Bonjour, la sauvegarde est tombée en panne",
    ],
)
def test_prefilter_rejects_ordinary_text(matcher, text):
    assert matcher.prefilter.scan(text) == 0


def test_typo_flag_only_when_a_typo_is_possible(matcher):
    assert matcher.prefilter.scan("Acme Cloud works") & EXACT
    assert matcher.prefilter.scan("Acme Clod works") & TYPO


@pytest.mark.parametrize(
    "text",
    [
        "Zéntrivo’s «ÂCME» Straße",
        "ＡＣＭＥ　Ｃｌｏｕｄ",
        "Łódź Škoda",
        "Ze\u0301ntrivo",
        "Acme Cloudのサポート",
    ],
)
def test_latin_form_keeps_every_ascii_token_of_normalize(text):
    form = latin_form(text)
    for token in normalize(text).split():
        if token.isascii():
            assert f" {token} " in form


def test_accented_and_full_width_spellings_still_match():
    compiled = compile_watch(WatchIn.model_validate(ACME))
    for text in ("ÂCMÉ Cloud is down", "ＡＣＭＥ Ｃｌｏｕｄ is down", "Âcme Clöud"):
        assert compiled.classify(item(text)) is not None, text


def test_common_word_near_a_term_word_is_not_a_typo(matcher):
    # "loud" is a common word: never a typo of "cloud", so nothing matches. ("acme clouds", a
    # plural, names the brand exactly.)
    assert not matcher.find(normalize("acme loud"))
    assert matcher.find(normalize("acme clouds"))


def test_typo_of_a_word_whose_trigger_a_glued_form_shares():
    """A glued form ("vosarvelpoint") and a spaced one ("vosarvel point") can share a fragment
    trigger; the merged entry must still be confirmed by a typo of the spaced form's word."""
    m = build_matcher(
        [
            (0, "brand", "Vosarvel Point"),
            (0, "variant", "VosarvelPoint"),
            (0, "variant", "Vosarvel Point Inc"),
        ]
        + [(0, "product", f"Vosarvel {p}") for p in ("Zenzen", "Lumsar", "Gorquo", "Bexops")],
        typo_owners=[0],
        common_words=common_words(),
    )
    for text in ("Vosarvl Point is down again", "Vosrvel Point", "I like Vosarvel Point but Vosarvl Zenzen"):
        found = m.find(normalize(text))
        assert found, text
        assert m.prefilter.scan(text) & TYPO, text
