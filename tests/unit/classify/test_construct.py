"""The classifier builds its results without pydantic validation: they must equal validated ones."""

from harken.classify import _construct
from harken.models import Classification, Match, Sentiment
from harken.sentiment import get_backend


def test_construct_equals_validated_classification():
    values = {
        "matches": [Match(term="Acme Cloud", kind="brand", how="exact")],
        "category": "reputation",
        "sentiment": Sentiment(label="positive", score=0.5),
        "intents": ["praise"],
        "language": "en",
    }
    built = _construct(dict(values))
    validated = Classification.model_validate(values)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_copy(update={"category": "smm"}).category == "smm"
    assert built.category == "reputation"


def test_lexicon_sentiment_is_a_valid_model():
    s = get_backend().score("Acme Cloud is great!", "en")
    assert Sentiment.model_validate(s.model_dump()) == s
