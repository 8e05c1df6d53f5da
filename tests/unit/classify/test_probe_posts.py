"""Posts written after the corpus by probes (round 3: 267 fresh posts in six languages, four
watches; round 4: 240 more, three other watches; round 5: 245 more, three more watches), each of which came out wrong before the rules and words it led to: complaints asked
as questions, problem reports without opinion words, praise in everyday words, sarcasm aimed
at the damage itself, negations that reach further ("nunca he tenido un problema"), "can't not
recommend", and requests whose superlatives ask rather than praise. Labels are the probe's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harken.classify import compile_watch
from harken.models import Item, WatchIn

POSTS = [
    json.loads(line)
    for line in (Path(__file__).resolve().parents[2] / "data" / "probe_posts.jsonl")
    .read_text("utf-8")
    .splitlines()
    if line.strip()
]
WATCHES = {
    "acme": {
        "brand": ["Acme Cloud"],
        "variants": ["AcmeCloud", "アクメクラウド"],
        "people": ["Jane Roe"],
        "products": ["Acme Vault"],
        "trademarks": ["VaultSync"],
        "leads": [
            "best cloud backup",
            "welchen Backup-Dienst",
            "mejor copia de seguridad en la nube",
            "quel service de sauvegarde",
            "какой облачный бэкап",
            "おすすめのクラウドバックアップ",
        ],
    },
    "kettlo": {
        "brand": ["Kettlo"],
        "variants": ["ケトロ", "Кеттло"],
        "products": ["Kettlo Pro 2", "Kettlo Mini"],
        "trademarks": ["BoilSense"],
        "leads": [
            "which electric kettle to buy",
            "welchen Wasserkocher kaufen",
            "qué hervidor eléctrico comprar",
            "quelle bouilloire électrique acheter",
            "какой электрочайник купить",
            "おすすめの電気ケトル",
        ],
    },
    "nordbank": {
        "brand": ["Nordbank"],
        "variants": ["ノルドバンク", "Нордбанк"],
        "people": ["Lena Berg"],
        "trademarks": ["FlexCard"],
        "leads": ["welche Bank für Selbstständige", "qué banco me recomendáis", "какой банк выбрать"],
    },
    "bolt": {"brand": ["Bolt"], "variants": ["ボルト"], "products": ["Bolt Food"]},
    # round 4
    "lockwise": {
        "brand": ["Lockwise"],
        "variants": ["ロックワイズ", "Локвайз"],
        "people": ["Mara Ellison"],
        "products": ["Lockwise Vault"],
        "leads": [
            "which password manager should I use",
            "best password manager",
            "welcher Passwort-Manager",
            "mejor gestor de contraseñas",
            "quel gestionnaire de mots de passe",
            "какой менеджер паролей",
            "おすすめのパスワード管理アプリ",
        ],
    },
    "dashly": {
        "brand": ["Dashly"],
        "variants": ["ダッシュリー", "Дэшли"],
        "products": ["Dashly Plus"],
        "leads": [
            "best food delivery app",
            "welcher Lieferdienst",
            "mejor app de delivery",
            "meilleure appli de livraison",
            "какой сервис доставки еды",
            "おすすめのデリバリーアプリ",
        ],
    },
    "sonora": {
        "brand": ["Sonora"],
        "variants": ["ソノーラ", "Сонора"],
        "products": ["Sonora Q5"],
        "leads": [
            "best noise cancelling headphones",
            "which headphones should I buy",
            "welche Kopfhörer",
            "mejores auriculares",
            "quel casque",
            "какие наушники купить",
            "おすすめのヘッドホン",
        ],
    },
    # round 5
    "corvia": {
        "brand": ["Corvia"],
        "variants": ["Corvia Airlines", "CorviaAir", "Корвия", "コルビア航空", "コルビア"],
        "people": ["Ingrid Halvorsen"],
        "products": ["CorviaPass", "Corvia Comfort"],
        "trademarks": ["SkyNest"],
        "leads": [
            "which airline should I fly",
            "welche Airline ist besser",
            "qué aerolínea me recomiendan",
            "quelle compagnie aérienne choisir",
            "какую авиакомпанию выбрать",
            "おすすめの航空会社",
        ],
    },
    "brumo": {
        "brand": ["Brumo"],
        "variants": ["Brumo Robotics", "Брумо", "ブルーモ"],
        "products": ["Brumo X9", "Brumo Mini", "ブルーモX9"],
        "trademarks": ["MopLift"],
        "leads": ["which robot vacuum to buy", "welchen Saugroboter kaufen", "qué robot aspirador comprar"],
    },
    "telvanta": {
        "brand": ["Telvanta"],
        "variants": ["Телванта", "テルヴァンタ", "テルバンタ"],
        "people": ["Olaf Brenner"],
        "products": ["Telvanta Flex", "Telvanta Fiber"],
        "trademarks": ["VantaBox"],
        "leads": ["which mobile carrier is best", "quel opérateur choisir", "おすすめの格安SIM"],
    },
}


@pytest.fixture(scope="module")
def classifiers():
    return {
        name: compile_watch(WatchIn.model_validate({"name": name, "terms": terms, "typos": True}))
        for name, terms in WATCHES.items()
    }


@pytest.mark.parametrize("post", POSTS, ids=[f"{p['language']}-{n}" for n, p in enumerate(POSTS)])
def test_fresh_post(post, classifiers):
    item = Item(source="reddit", url="https://www.reddit.com/r/x/comments/1", text=post["text"])
    result = classifiers[post["watch"]].classify(item)
    assert result is not None, "not a mention"
    assert result.sentiment.label in post["sentiment"], result.sentiment
    got = set(result.intents)
    assert set(post["intents"]) <= got <= set(post["allowed"]), result.intents


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        # Sincere thanks and love stay praise beside the same words.
        ("Thanks Acme Cloud for restoring my deleted files!", "en", "positive"),
        ("Love how easy Acme Cloud makes sharing.", "en", "positive"),
        ("I love that Acme Cloud doubled the storage for free.", "en", "positive"),
        ("Acme Cloud raised 10M in funding. Great job team!", "en", "positive"),
        ("Danke Acme Cloud für die schnelle Erstattung der doppelten Abbuchung!", "de", "positive"),
        ("Merci Acme Cloud pour le remboursement rapide.", "fr", "positive"),
        # Praise aimed at the damage is not.
        ("Love how Acme Cloud raised prices again.", "en", "negative"),
        ("Спасибо Acme Cloud за то, что заблокировали карту в отпуске.", "ru", "negative"),
        # Negations: "can't not", "wouldn't say", ne … que, long reach of "never"/"nobody".
        ("I can't not recommend Acme Cloud.", "en", "positive"),
        ("I wouldn't say Acme Cloud is great.", "en", "negative"),
        ("Je ne peux que recommander Acme Cloud.", "fr", "positive"),
        ("Nobody at reception could help me with Acme Cloud.", "en", "negative"),
        ("Не могу войти в Acme Cloud.", "ru", "negative"),
        # A request's superlative asks.
        ("Looking for the best backup like Acme Cloud for my NAS", "en", "neutral"),
    ],
)
def test_rules_keep_their_limits(text, language, label):
    from harken.sentiment import score

    assert score(text, language).label == label


@pytest.mark.parametrize(
    ("text", "language", "label", "intents"),
    [
        # Round 5 (a fresh probe after rounds 3 and 4): rules that misfired.
        ("Die Hotline hat mir ganz toll geholfen.", "de", "positive", set()),  # "ganz toll" was always irony
        ("Acme hat schon wieder die Preise erhöht. Ganz toll.", "de", "negative", {"complaint"}),
        (
            "Acme kündigt neue Preise für Geschäftskunden an.",
            "de",
            "neutral",
            set(),
        ),  # ankündigen, not kündigen
        ("Olaf Brenner kündigte an, dass Acme expandiert.", "de", "neutral", set()),
        ("Ich habe Acme gekündigt.", "de", None, {"complaint"}),
        ("おすすめの格安SIMを教えてください。", "ja", "neutral", set()),  # a request, not praise
        ("¿Es normal que Acme se apague sola cada noche?", "es", None, {"complaint", "question"}),
        ("Это нормально, что Acme каждый вечер падает?", "ru", None, {"complaint", "question"}),
    ],
)
def test_round_five_rules(text, language, label, intents):
    from harken import intents as intents_mod
    from harken.sentiment import score

    sentiment = score(text, language)
    if label:
        assert sentiment.label == label, sentiment
    assert intents <= set(intents_mod.detect(text, language, sentiment))
