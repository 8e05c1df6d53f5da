from __future__ import annotations

import io
import json
from typing import get_args

import pytest
from harken.classify_cli import main
from harken.models import SourceType, WatchIn
from harken.query import QueryError, parse_query
from harken.sentiment import ComprehendBackend, get_backend
from pydantic import ValidationError


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ("(acme OR cloud", 0, "unbalanced parenthesis"),
        ("acme OR cloud)", 13, "unbalanced parenthesis"),
        ('"acme cloud', 0, "unterminated quote"),
        ("acme OR", 7, "expected a term after OR"),
        ("site:", 0, "missing value after site:"),
        ("acme lang:english", 5, "lang: takes a language code such as en or ja, not 'english'"),
        (
            "acme source:twitter",
            5,
            "unknown source 'twitter' (one of " + ", ".join(get_args(SourceType)) + ")",
        ),
    ],
)
def test_bad_query_names_the_position(query, position, reason):
    with pytest.raises(QueryError) as err:
        parse_query(query)
    assert err.value.position == position
    assert str(err.value) == f"{reason} at position {position}"


@pytest.mark.parametrize(
    ("query", "position"),
    [("(" * 400 + "acme" + ")" * 400, 32), ("NOT " * 400 + "acme", 128), ("-(" * 300 + "a" + ")" * 300, 32)],
)
def test_deeply_nested_query_is_refused_not_a_recursion_error(query, position):
    """A 2,000-character query can nest hundreds of levels: that was a RecursionError (a 500
    from the API, which does not catch it as bad input)."""
    with pytest.raises(QueryError) as err:
        parse_query(query)
    assert str(err.value) == f"nested more than 32 levels deep at position {position}"
    with pytest.raises(ValidationError, match="nested more than 32 levels"):
        WatchIn.model_validate({"name": "x", "query": query, "sources": [{"type": "reddit"}]})


def test_query_nested_32_levels_is_fine():
    from harken.query import QueryContext

    node = parse_query("(" * 16 + "NOT " * 16 + "acme" + ")" * 16)
    assert node.evaluate(QueryContext(text=" acme ", host="x", path="", language="en", source="rss"))


def test_lang_filter_takes_a_regional_code_as_its_language():
    from harken.query import QueryContext

    node = parse_query("acme lang:en-US")
    assert node.evaluate(QueryContext(text=" acme cloud ", host="x", path="", language="en", source="rss"))


def test_watch_with_bad_query_fails_validation_with_position():
    with pytest.raises(ValidationError, match="position"):
        WatchIn.model_validate({"name": "x", "terms": {"brand": ["a"]}, "query": "a AND (b"})


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("Acme Cloud is great", "en", "positive"),
        ("Acme Cloud is not great", "en", "negative"),
        ("Yeah right, Acme Cloud is great. Thanks a lot 🙄", "en", "negative"),
        ("Acme Cloud ist nicht gut", "de", "negative"),
        ("Acme Cloud es excelente", "es", "positive"),
        ("Acme Cloud est nul", "fr", "negative"),
        ("Acme Cloud не работает", "ru", "negative"),
        ("アクメクラウドは良くない", "ja", "negative"),
        ("Acme Cloud opens an office in Lyon", "en", "neutral"),
    ],
)
def test_lexicon_sentiment_in_six_languages(text, language, label):
    assert get_backend().score(text, language).label == label


class FakeComprehend:
    def __init__(self):
        self.calls = []

    def detect_sentiment(self, Text, LanguageCode):
        self.calls.append(LanguageCode)
        return {"Sentiment": "NEGATIVE", "SentimentScore": {"Positive": 0.1, "Negative": 0.8}}


def test_comprehend_backend_uses_the_client_and_falls_back_for_russian():
    client = FakeComprehend()
    backend = get_backend("comprehend", client=client)
    assert isinstance(backend, ComprehendBackend)
    result = backend.score("Acme Cloud lost my files", "en")
    assert result.label == "negative" and result.score == pytest.approx(-0.7)
    backend.score("Acme Cloud не работает", "ru")
    assert client.calls == ["en"]


def test_cli_writes_one_line_per_input_and_flags_bad_lines(tmp_path):
    watch = tmp_path / "w.json"
    watch.write_text(json.dumps({"id": "w_demo", "name": "Acme", "terms": {"brand": ["Acme Cloud"]}}))
    lines = [
        {
            "source": "reddit",
            "url": "https://r.example/1",
            "title": None,
            "text": "Acme Cloud is down again",
            "author": None,
            "published_at": "2026-03-09T06:12:41Z",
        },
        "not json",
        {
            "source": "reddit",
            "url": "https://r.example/2",
            "text": "nothing here",
            "published_at": "2026-03-09T06:12:41Z",
        },
    ]
    stdin = io.StringIO("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--watch", str(watch)], stdin, out, err) == 1
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert rows[0]["watch_id"] == "w_demo" and rows[0]["category"] == "reputation"
    assert rows[0]["matches"] == [{"term": "Acme Cloud", "kind": "brand", "how": "exact"}]
    assert rows[1]["line"] == 2 and "line 2" in err.getvalue()
    assert rows[2] == {"matched": False}


def test_cli_takes_an_item_whose_time_is_unknown(tmp_path):
    watch = tmp_path / "w.json"
    watch.write_text(json.dumps({"name": "Acme", "terms": {"brand": ["Acme Cloud"]}}))
    line = {"source": "rss", "url": "https://r.example/1", "text": "Acme Cloud is down", "published_at": None}
    out, err = io.StringIO(), io.StringIO()
    assert main(["--watch", str(watch)], io.StringIO(json.dumps(line) + "\n"), out, err) == 0
    row = json.loads(out.getvalue())
    assert row["published_at"].endswith("Z") and row["matches"][0]["term"] == "Acme Cloud"


def test_cli_survives_hostile_lines_and_keeps_the_good_ones(tmp_path):
    """Each of these stopped the run with a traceback (losing every later line) or lost a line."""
    watch = tmp_path / "w.json"
    watch.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"name": "Acme", "terms": {"brand": ["Acme Cloud"]}}).encode()
    )
    good = {"source": "rss", "url": "https://r.example/1", "text": "Acme Cloud is down"}
    lines = [
        "\ufeff" + json.dumps(good),  # a byte-order mark before the first line
        json.dumps({**good, "published_at": "0001-01-01T00:00:00+01:00"}),  # before year 1 in UTC
        json.dumps({**good, "extra": "[" * 0})[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({**good, "text": "Acme Cloud " + "x" * 50_000}),  # capped as the sources cap
        json.dumps(good),
    ]
    out, err = io.StringIO(), io.StringIO()
    assert main(["--watch", str(watch)], io.StringIO("\n".join(lines) + "\n"), out, err) == 1
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == 5
    assert rows[0]["matches"][0]["term"] == "Acme Cloud"
    assert rows[1] == {"error": "published_at: the time is out of range", "line": 2}
    assert rows[2] == {"error": "not an item: the JSON nests too deeply", "line": 3}
    assert len(rows[3]["text"]) <= 20_000 and rows[3]["matches"]
    assert rows[4]["matches"]


def test_cli_reads_utf8_whatever_the_locale_and_isolates_bad_bytes(tmp_path):
    """With a strict non-UTF-8 stdin (PYTHONIOENCODING=ascii, or a locale), one line of bad bytes
    was a UnicodeDecodeError that lost every line; now it is that line's error."""
    import os
    import subprocess
    import sys

    watch = tmp_path / "w.json"
    watch.write_text(json.dumps({"name": "Acme", "terms": {"brand": ["Acme Cloud"]}}))
    good = json.dumps({"source": "rss", "url": "https://r.example/1", "text": "Acme Cloud é down"}).encode()
    data = (
        good + b"\n" + b'{"source":"rss","url":"https://r.example/2","text":"Acme \xff\xfe"}\n' + good + b"\n"
    )
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from harken.cli import main; sys.exit(main())",
            "classify",
            "--watch",
            str(watch),
        ],
        input=data,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr.decode()
    rows = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines()]
    assert [("error" in r, r.get("line")) for r in rows] == [(False, None), (True, 2), (False, None)]
    assert "é" in rows[0]["text"]


def test_cli_rejects_a_bad_query_before_reading_input(tmp_path):
    watch = tmp_path / "w.json"
    watch.write_text(json.dumps({"name": "Acme", "query": "(acme"}))
    err = io.StringIO()
    assert main(["--watch", str(watch)], io.StringIO(""), io.StringIO(), err) == 2
    assert "unbalanced parenthesis at position 0" in err.getvalue()


@pytest.mark.parametrize(
    ("text", "label", "intents"),
    [
        ("Why I’m leaving Acme Cloud", "negative", {"complaint"}),
        (
            "Acme Cloud just doubled the price of the cold tier — alternatives?",
            "negative",
            {"recommendation_request"},
        ),
        (
            "Acme Cloud Review: I Lost 3 Days Trying to Restore My Backup 'Disaster'",
            "negative",
            {"complaint"},
        ),
        ("Is Acme Cloud any good for video editors?", "neutral", {"question"}),
        ("Acme Cloud a augmenté ses prix sans prévenir, scandaleux.", "negative", set()),
        ("Acme Cloud oder Dropbox, was sollte ich nehmen?", None, {"recommendation_request"}),
    ],
)
def test_dev_tuned_cues(text, label, intents):
    from harken import intents as intents_mod
    from harken import language

    lang = language.detect(text)
    sentiment = get_backend().score(text, lang)
    if label:
        assert sentiment.label == label
    assert intents <= set(intents_mod.detect(text, lang, sentiment))


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("anyone know a good backup service for a small office", "en", {"question"}),
        ("which kettle should I buy for a small office", "en", {"question", "recommendation_request"}),
        ("Why does Acme Cloud keep logging me out", "en", {"question"}),
        ("@acmecloud why is my invoice doubled", "en", {"question"}),
        ("Love the new app. Does anyone else get sync errors since the update", "en", {"question"}),
        ("Kennt jemand eine gute Alternative zu Acme Cloud", "de", {"question"}),
        ("Alguien sabe cómo recuperar archivos borrados en Acme Cloud", "es", {"question"}),
        ("Quelqu'un utilise Acme Cloud pour le travail", "fr", {"question"}),
        ("Кто-нибудь пользуется Acme Cloud для работы", "ru", {"question"}),
    ],
)
def test_questions_without_a_question_mark(text, language, expected):
    from harken import intents as intents_mod

    found = set(intents_mod.detect(text, language, get_backend().score(text, language)))
    assert expected <= found, found


@pytest.mark.parametrize(
    "text", ["Acme Cloud is down", "AcmeClod app crashed", "The Acme Drive app keeps crashing"]
)
def test_outage_and_crash_reports_are_complaints(text):
    from harken import intents as intents_mod

    assert "complaint" in intents_mod.detect(text, "en", get_backend().score(text, "en"))


@pytest.mark.parametrize(
    "text",
    [
        "How I fixed my Acme Cloud sync in ten minutes",
        "Why we moved our backups off Acme Cloud",
        "What Acme Cloud gets right about restores",
        "Is Acme Cloud down again. Third time this week.",
    ],
)
def test_statements_and_headlines_are_not_questions(text):
    from harken import intents as intents_mod

    assert "question" not in intents_mod.detect(text, "en", get_backend().score(text, "en"))


def test_negation_stops_at_punctuation():
    # "sin" negates "avisar", not "vergüenza" after the comma.
    assert get_backend().score("Subió los precios sin avisar, qué vergüenza.", "es").label == "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Me encanta Acme Cloud", "es"),  # "me" is English and Spanish: the lexicon decides
        ("J'adore Acme Cloud", "fr"),  # an elision is French
        ("Acme Cloud m'a facturé deux fois, inadmissible", "fr"),
        ("Acme Cloud is down", "en"),
        ("Acme Cloud", "en"),  # nothing to tell it by: English
    ],
)
def test_language_of_short_posts(text, expected):
    from harken import language

    assert language.detect(text) == expected


def test_german_outrage_is_negative():
    assert get_backend().score("Acme Cloud hat mein Konto gesperrt, unverschämt!", "de").label == "negative"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("アクメクラウドの新しいアプリは使いにくい。", "negative"),
        ("アクメクラウドはとても使いやすい。", "positive"),
        ("今回のアップデートは改悪だ。", "negative"),
        ("同期が不安定で困る。", "negative"),
    ],
)
def test_japanese_review_words(text, label):
    assert get_backend().score(text, "ja").label == label


@pytest.mark.parametrize(
    ("text", "label", "intent"),
    [
        ("I can't recommend Acme Cloud enough", "positive", "praise"),
        ("Couldn't be happier with Acme Cloud", "positive", "praise"),
        ("Could not be more pleased with Acme Cloud", "positive", None),
        ("Acme Cloud support couldn't be worse", "negative", None),
        ("It is not good enough", "negative", None),
        ("I cannot recommend it, it is broken.", "negative", None),
        ("Shout out to the Acme Cloud team for the quick refund", "positive", "praise"),
        ("Thinking about moving our backups to Acme Cloud, any experiences?", None, "recommendation_request"),
        ("Is it just me or is Acme Cloud super slow today", "negative", "complaint"),
    ],
)
def test_english_idioms(text, label, intent):
    from harken import intents as intents_mod

    sentiment = get_backend().score(text, "en")
    if label:
        assert sentiment.label == label, sentiment
    found = intents_mod.detect(text, "en", sentiment)
    if intent:
        assert intent in found, found
    if text.startswith("Is it just me"):
        assert "recommendation_request" not in found  # "or" here compares nothing


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("Ich kann Acme Cloud nur empfehlen", "de", "positive"),
        ("Acme Cloud geht gar nicht", "de", "negative"),
        ("Finger weg von Acme Cloud!", "de", "negative"),
        ("Acme Cloud ist der Hammer", "de", "positive"),
        ("Acme Cloud es una basura", "es", "negative"),
        ("Fuyez Acme Cloud !", "fr", "negative"),
        ("Acme Cloud — полный отстой", "ru", "negative"),
        ("アクメクラウド、もう無理", "ja", "negative"),
    ],
)
def test_colloquial_verdicts(text, language, label):
    from harken import language as language_mod

    assert language_mod.detect(text) == language
    assert get_backend().score(text, language).label == label


def test_japanese_questions_ask_rather_than_praise():
    # As in the spaced languages, a positive word in a question is damped ("which is good?").
    assert get_backend().score("アクメクラウドとドロップボックス、どっちがいい？", "ja").label == "neutral"
    assert get_backend().score("アクメクラウドは最高！", "ja").label == "positive"


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("Acme Cloud ist leider total unzuverlässig", "de", "negative"),  # a 13-letter stem
        ("Der Kundenservice von Acme Cloud ist unterirdisch", "de", "negative"),
        ("Acme Cloud ist ihr Geld nicht wert", "de", "negative"),
        ("Acme Cloud hat mir heute den Tag gerettet", "de", "positive"),
    ],
)
def test_german_review_words(text, language, label):
    assert get_backend().score(text, language).label == label


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Warum ist Acme Cloud so langsam?", "de"),
        ("Acme Cloud es muy lento", "es"),
        ("Acme Cloud est trop lent", "fr"),
        ("Acme Cloud жутко тормозит", "ru"),
    ],
)
def test_slowness_is_a_complaint_in_every_language(text, language):
    from harken import intents as intents_mod

    assert "complaint" in intents_mod.detect(text, language, get_backend().score(text, language))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("El soporte de Acme Cloud es lamentable", "es"),
        ("Acme Cloud no sirve para nada", "es"),
        ("Acme Cloud m'a encore lâché, ras le bol", "fr"),
        ("Acme Cloud ne sert à rien", "fr"),
        ("Acme Cloud бесполезен", "ru"),
    ],
)
def test_everyday_complaints_are_negative(text, language):
    assert get_backend().score(text, language).label == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Acme Cloud deleted my files. Great job.", "en"),
        ("Acme Cloud wiped my photos overnight. Amazing.", "en"),
        ("Third outage this week. Great job, Acme Cloud.", "en"),
        ("Charged twice again by Acme Cloud. Brilliant.", "en"),
        ("Great job Acme Cloud, you locked me out of my account for 3 days", "en"),
        ("Acme Cloud is down again. Perfect timing.", "en"),
        ("Acme Cloud lost my files over the weekend. Great job.", "en"),
        ("Acme Cloud hat meine Dateien gelöscht. Super gemacht.", "de"),
        ("Acme Cloud a supprimé mes fichiers. Bravo.", "fr"),
        ("Acme Cloud borró todos mis archivos. Genial.", "es"),
        ("Acme Cloud удалил все мои файлы. Отлично.", "ru"),
    ],
)
def test_stock_praise_beside_damage_is_sarcasm(text, language):
    """No marker word ("yeah right", 🙄): the praise is ironic because it stands alone right
    beside what went wrong. These were all positive praise."""
    from harken import intents as intents_mod

    sentiment = get_backend().score(text, language)
    assert sentiment.label == "negative", sentiment
    intents = intents_mod.detect(text, language, sentiment)
    assert "praise" not in intents and "complaint" in intents


@pytest.mark.parametrize(
    "text",
    [
        "Acme Cloud restored my files in minutes. Great job!",
        "Acme Cloud support was slow but they fixed it. Great job.",
        "Lost my phone yesterday. Acme Cloud had everything backed up. Amazing!",
        "Dropbox lost my files twice. Switched to Acme Cloud. Love it.",
        "Laptop stolen, all files gone. Acme Cloud to the rescue. Thanks!",
        "The outage is over. Great job, team!",
    ],
)
def test_praise_after_a_rescue_or_a_turn_stays_sincere(text):
    assert get_backend().score(text, "en").label == "positive"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Acme Cloud: nothing was lost. Great job!", "en"),
        ("Acme Cloud never lost a file. Great job!", "en"),
        ("My laptop died but nothing was lost thanks to Acme Cloud", "en"),
        ("J'adore Acme Vault, la restauration a pris cinq minutes et rien n'a été perdu. Bravo !", "fr"),
        ("Acme Cloud: nichts ging verloren. Super!", "de"),
        ("Не потерял ни одного файла с Acme Cloud. Отлично!", "ru"),
        ("No perdí nada gracias a Acme Cloud. ¡Genial!", "es"),
    ],
)
def test_praise_for_damage_that_did_not_happen(text, language):
    """A negated loss is good news, and a negation is spent on the first opinion word after it
    ("nothing was lost, thanks": not "thanks"). These were negative complaints."""
    from harken import intents as intents_mod

    sentiment = get_backend().score(text, language)
    assert sentiment.label == "positive", sentiment
    assert "complaint" not in intents_mod.detect(text, language, sentiment)


@pytest.mark.parametrize(
    "text",
    [
        "Acme Cloud never lost a file. Great job!",
        "Wow, Acme Cloud really outdid itself: a 40 GB restore took only four days",
        "No data lost, Acme Cloud restored everything",
    ],
)
def test_english_with_few_function_words_is_english(text):
    """ "a" is English too (it was only a French vote), so these were French."""
    from harken import language

    assert language.detect(text) == "en"


@pytest.mark.parametrize(
    ("text", "language", "label", "intent"),
    [
        (
            "Acme Cloud support kept me on hold for two hours and then hung up. Never again.",
            "en",
            "negative",
            "complaint",
        ),
        ("Acme Cloud me borró todas las fotos de la boda. Estoy furioso.", "es", "negative", "complaint"),
        ("Acme Cloud plante à chaque synchronisation, c'est insupportable.", "fr", "negative", "complaint"),
        ("Acme Cloud ist wieder down, super ärgerlich.", "de", "negative", "complaint"),
        ("Acme Cloud est super lent", "fr", "negative", "complaint"),
        ("Acme Cloud ist super!", "de", "positive", None),
        ("¿Acme Cloud permite compartir carpetas con usuarios externos?", "es", "neutral", "question"),
        ("What is the best cloud backup for a Linux home server?", "en", "neutral", "question"),
    ],
)
def test_fresh_posts(text, language, label, intent):
    """Posts written after the corpus (a probe of 131 new posts): each came out wrong."""
    from harken.classify import compile_watch
    from harken.models import Item, WatchIn

    watch = WatchIn.model_validate(
        {"name": "Acme", "terms": {"brand": ["Acme Cloud"], "leads": ["cloud backup"]}}
    )
    result = compile_watch(watch).classify(
        Item(source="rss", url="https://e.example/1", text=text, language=language)
    )
    assert result is not None
    assert result.sentiment.label == label, result.sentiment
    if intent:
        assert intent in result.intents, result.intents


@pytest.mark.parametrize(
    "text",
    [
        "Is there an alternative to Acme Cloud? Their pricing just doubled.",
        "VaultSync keeps creating duplicate files on my Mac",
    ],
)
def test_a_complaint_without_opinion_words_is_negative(text):
    from harken.classify import compile_watch
    from harken.models import Item, WatchIn

    watch = WatchIn.model_validate(
        {"name": "Acme", "terms": {"brand": ["Acme Cloud"], "trademarks": ["VaultSync"]}}
    )
    result = compile_watch(watch).classify(Item(source="rss", url="https://e.example/1", text=text))
    assert result is not None and "complaint" in result.intents
    assert result.sentiment.label == "negative" and result.sentiment.score < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("アクメクラウド、1GBに3時間。すごいですね（皮肉）", "negative"),  # an explicit irony marker
        ("Acme Cloud is great (皮肉)", "negative"),
        ("アクメクラウドはすごいですね", "positive"),
        ("アクメクラウドはすごく遅い", "negative"),
    ],
)
def test_japanese_irony_marker_and_sugoi(text, label):
    assert get_backend().score(text, "ja").label == label
