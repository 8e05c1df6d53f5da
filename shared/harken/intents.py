"""Intents of a mention: complaint, question, purchase_intent, recommendation_request, praise.

Cue phrases per language (en, ja, ru, de, es, fr), matched on the folded text (case and Latin
accents removed), combined with the sentiment: a complaint is a complaint cue or a clearly
negative text that reports a problem; praise is a praise cue or a clearly positive statement
that is not a question.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from functools import lru_cache
from typing import Any

import ahocorasick

from harken.models import Sentiment
from harken.normalize import fold

# Patterns are written folded (no accents, lower case); \b works for Latin and Cyrillic words.
_CUES: dict[str, dict[str, str]] = {
    "question": {
        "en": r"^(?:how|what|why|which|where|when|who|does|do|is|are|can|could|should|would|will|has|have|did|anyone)\b",
        "de": r"^(?:wie|was|warum|wieso|weshalb|welche[rsnm]?|wo|wann|wer|kann|konnt|gibt|hat|ist|sind|soll|weiss|kennt)\b",
        "es": r"¿|^(?:como|que|por que|cual|cuales|donde|cuando|quien|alguien|hay|es|puedo|se puede)\b",
        "fr": r"^(?:comment|pourquoi|quel(?:le)?s?|ou|quand|qui|est-ce|quelqu'un|y a-t-il|peut-on|faut-il)\b|est-ce que",
        "ru": r"^(?:как|что|почему|зачем|какой|какая|какие|какую|где|когда|кто|можно|подскажите|есть ли)\b|\bли\b",
        "ja": r"ですか|ますか|でしょうか|かな[？?]?$|教えて|どう(?:すれば|したら|やって)|なぜ|何故|どれ|どこ",
    },
    "complaint": {
        "en": r"\b(?:refund|charged|overcharg\w*|cancel\w*|still (?:down|broken|waiting)|doesn'?t work|does not work|"
        r"not working|stopped working|won'?t (?:load|sync|restore|work)|can'?t (?:restore|log ?in|access|sync)|"
        r"(?:lost|deleted|wiped|erased) (?:my|all|our)|no (?:reply|response|answer)|support (?:is|has|never|ignored)|ignor\w+ (?:my|our|me)|"
        r"outage|down again|unacceptable|worst|ripoff|rip-off|scam|fix (?:this|it)|price (?:hike|increase)|"
        r"raised (?:the )?prices?|complain\w*|failed|broken|terrible|awful|useless|disappoint\w*|"
        r"lost\b|confusing|can'?t find|keeps? (?:logging|crashing|failing|freezing)|logg?(?:ing|s) me out|"
        r"doubled (?:the|its|their) price|leaving|crash(?:ed|es|ing)?\b|(?:is|are|was|went) down\b|"
        r"(?:so|super|really|too|painfully|extremely|very|incredibly) slow\b|never again|on hold for|hung up on|"
        r"(?:price|pricing|prices|plan) (?:just |has |have )?(?:doubled|tripled|went up|increased)|"
        r"duplicat\w* (?:files|photos|folders|copies|entries)|keeps? (?:creating|deleting|duplicating|losing|dropping)|"
        r"stuck (?:on|at|in)|froze|(?:nobody|no one|no-one)(?: \w+){0,3} (?:answers|answered|replies|replied|responds|"
        r"responded|picks up|could help|can help|helped)|never ordered|(?:charging|charged|billing|billed) me|"
        r"switch(?:es|ing)? (?:itself )?off|ate (?:my|all|our)|anyone else (?:having|getting|seeing|experiencing)|"
        r"is (?:this|that|it) (?:normal|expected)|supposed to do that|how is (?:this|that) (?:even )?legal|"
        r"how hard (?:can|could|is) it|who (?:designed|thought|decided|approved)|throttl\w+|snapped|"
        r"stopped (?:syncing|charging|turning on)|wrong (?:item|order|amount|charge)|logged me out|can'?t get (?:into|in)|"
        r"no way to|disconnect\w*|crackl\w+|hiss\w*|still (?:doesn'?t|don'?t|does not|isn'?t|not|unanswered)|"
        r"under review|unanswered|never (?:received|arrived|came|showed)|please help|is it just me or|explain why|"
        r"went from \d+ ?%? to \d+|dark patterns?|(?:service|small order|delivery) fee|delayed|miss(?:ed)? my connection|"
        r"overbooked|bumped|won'?t (?:spin|charge|turn on|connect|start)|(?:reboots|restarts) itself|one bar|"
        r"no (?:signal|service|coverage|internet|hotel)|on hold|how is it possible|lost my (?:bag|luggage|suitcase)|"
        r"(?:hasn'?t|never) shown up|nobody can tell|is a lie|drops every)",
        "de": r"(?:funktioniert nicht|geht nicht|kein(?:e)? antwort|erstattung|zuruckerstatt\w*|(?<!an)kundig\w*+(?![^.!?,;]*\ban\s*(?:[.!?,;]|$))|"
        r"ausfall|abgesturzt|verloren|geloscht|beschwerde|unverschamt|frechheit|abzocke|katastroph\w*|"
        r"preiserhohung|seit tagen|seit wochen|schon wieder|enttausch\w*|schlecht\w*|kaputt|fehler|"
        r"abgebucht|reagiert nicht|\bfehl\b|keine synchronisation|wieder kein\w*|"
        r"(?:so|zu|extrem|super|total|mega) langsam|sturzt\w*\b.{0,40}\bab\b|bitte (?:fixen|beheben|reparieren|korrigieren)|"
        r"standig|reicht'?s\b|es reicht|welche[rs]? (?:depp|idiot|genie)|wer hat (?:sich )?(?:das|entschieden|ausgedacht)|"
        r"berechnet|klemmt|hangt (?:bei|seit|schon)|friert|eingefroren|gesperrt|schaltet sich\b.{0,20}\bab\b|"
        r"falsch\w*|dauert\b.{0,40}(?:tage|wochen|stunden|monate)\b|selbst schuld|nicht mehr|nichts angekommen|"
        r"textbaustein\w*|\bkalt\b|unfreundlich|nie wieder|rausch\w*|umtausch|halt\b.{0,30}\bkeine|pennt|abgebrochen|"
        r"kein (?:netz|internet|signal|mobiles internet|wort)|bricht\b.{0,40}\bzusammen|nervt|gestrichen|verspat\w*|storung)",
        "es": r"(?:no funciona|no sirve|sin respuesta|nadie responde|reembolso|devolu\w+|cancel\w+|caid[oa]|"
        r"(?:perd|borr)\w+ (?:mis|todos|todo)|queja|reclam\w+|estafa|vergonzoso|inaceptable|subida de precio|"
        r"otra vez|desde hace|pesim\w+|horrible|decepcion\w*|fatal|falla\w*|error|"
        r"dos veces|no (?:me )?devuelv\w+|no sincroniza|no consigo|verguenza|subio los precios|"
        r"(?:muy|demasiado|super) lent[oa]|lentisim[oa]|se apaga|(?:me )?sigue (?:borrando|cobrando|fallando|sin)|"
        r"alguien mas (?:tiene|le pasa|con)|le pasa a alguien|problemas? (?:para|con|al)\b|bloque\w+|"
        r"\bfri[oa]s?\b|horas? (?:de )?tarde|con retraso|llego tarde|no vuelvo|se (?:me )?(?:ha )?(?:rompe|rompio|roto|estropeo)|"
        r"tarda\w* (?:\w+ )?(?:dias|semanas|horas|mucho)|esperando|esperar \d+ (?:minutos|horas|dias)|"
        r"ya no se que hacer|hart[oa] de|que funcionara|no (?:me )?deja\b|se desconecta\w*|malisim[oa]s?|"
        r"no me escucha\w*|me doy de baja|quitan|sube de precio|no llego|nunca llego|es normal que|esto es un robo|"
        r"sin cobertura|dejo de (?:cargar|funcionar)|no contesta\w*|se reinicia solo|siguen sin|nadie da explicaciones|"
        r"retras\w+|cancelad\w+)",
        "fr": r"(?:ne fonctionne pas|ne marche pas|marche plus|aucune reponse|pas de reponse|rembourse\w*|resili\w+|"
        r"en panne|(?:perdu|supprime|efface) (?:mes|tous|toutes)|plainte|reclamation|arnaque|inadmissible|inacceptable|"
        r"hausse de prix|encore une fois|depuis des|nul(?:le)?|horrible|decu|decevant|bug\w*|erreur|"
        r"deux fois|ne repond|ne synchronise|impossible de|galere|panne|scandal\w*|augmente ses prix|"
        r"(?:trop|super|tellement|hyper) lent(?:e|s|es)?\b|plante|plantage|insupportable|s'eteint|c'est normal|"
        r"plus jamais|froide?s?\b|de retard|en retard|qui a eu l'idee|bloque|toujours pas|ne (?:s'allume|charge) plus|"
        r"gresill\w+|instable|coupures?|a supprime|jamais arrive\w*|deconnect\w*|penible|plus de reseau|"
        r"coupe tous les|redemarre tout\w* seul\w*|heures d'attente|annule)",
        "ru": r"(?:не работает|не могу(?! не)|нет ответа|не отвечает|верните|возврат|отмен\w+|упал|лежит|сбой|"
        r"потерял\w*|удалил\w*|жалоб\w*|претензи\w+|обман\w*|мошенн\w+|безобрази\w+|подорожа\w+|опять|уже (?:неделю|несколько)|"
        r"ужасн\w+|кошмар|разочаров\w+|сломал\w*|дважды|молчит|не синхрониз\w+|позор|поднял\w* цены|"
        r"(?:очень|слишком|жутко) медленн\w*|тормозит|удаля\w+|выключа\w+|перестал\w*|у кого (?:еще |тоже )?так|"
        r"\bбрак\b|больше никогда|заблокир\w+|холодн\w+|опоздан\w+|достал[оаи]?\b|кто (?:вообще )?додумал\w+|"
        r"шаблон\w+|жрет|не (?:приходит|пришл\w+|включается|открывается|привез\w*|доставил\w*)|зависа\w+|\bзавис\w*|"
        r"\bвисит|глюч\w+|хрип\w+|шипени\w+|шипит|треск\w*|пуст\w+ (?:контейнер|коробк\w+|пакет)|до сих пор нет|"
        r"сервисн\w+ сбор|разряжа\w+|это нормально|каждый (?:вечер|день) пада\w+|задержк\w+|никаких объяснений|"
        r"застрева\w+|надоел\w*|не видит|не возвращается|не подключал\w*|перезвоните)",
        "ja": r"(?:できない|できません|使えない|つながらない|繋がらない|返金|解約|障害|落ちて|不具合|消えた|"
        r"返信がない|返事がない|対応が|最悪|ひどい|酷い|困って|値上げ|不満|がっかり|エラー|遅い|遅すぎ|"
        r"(?:し|でき|使え|動か)なく(?:なり|なっ)|(?:同期|保存|表示|反映)され(?:ない|ません)|切れてしま|初期不良|同じ症状|落ちます|落ちる|直してください|"
        r"反応しません|反応しない|まだ返信|返信がありません|にくくなって|かかるんですか|壊れ|故障|てしまいま|"
        r"起動しない|動かない|開かない|届かない|同期しない|聞こえない|効かなく|ノイズ|雑音|のまま|ボロボロ|"
        r"これはない|高くなって|伸びきって|違う商品|連打|遅延|欠航|届かなかった|連絡なし|遅くなる|再起動する|"
        r"変わらず|身に覚えのない|間に合わない)",
    },
    "purchase_intent": {
        "en": r"\b(?:buy(?:ing)?|purchas\w+|subscrib\w+|sign(?:ing)? up|upgrade to|switch(?:ing)? to|"
        r"want to (?:get|try|order)|thinking (?:of|about) (?:getting|buying|switching)|pricing for|"
        r"how much (?:is|does|for)|quote for|where (?:can|do) i (?:get|buy)|ready to pay|shopping for|"
        r"(?:going to|gonna|about to|will|i'll) (?:order|buy|get|pick up|grab)|"
        r"thinking (?:about|of) (?:booking|buying|getting|ordering)|before i (?:order|buy|book)|leaning towards)\b",
        "de": r"(?:kaufen|kaufe|bestellen|abonnieren|abschliessen|buchen|wechseln zu|umsteigen|preis fur|"
        r"was kostet|wie viel kostet|anschaffen|zulegen)",
        "es": r"(?:comprar|compro|contratar|suscribir\w*|adquirir|cambiarme a|pasarme a|cuanto cuesta|"
        r"precio de|quiero (?:probar|pagar))",
        "fr": r"(?:acheter|achete|commander|souscrire|s'abonner|abonner|m'abonner|passer a|combien coute|"
        r"(?<!au )prix de|je compte (?:reserver|acheter|prendre|commander)|je veux prendre|investir dans)",
        "ru": r"(?:купить|куплю|покупать|приобрести|оформить|подписк\w+ на|перейти на|сколько стоит|"
        r"цена на|хочу взять|заказать)",
        "ja": r"(?:購入|買いたい|買おう|買う|契約したい|申し込|乗り換え(?!て正解)|いくら|値段|導入したい|課金)",
    },
    "recommendation_request": {
        "en": r"\b(?:recommend\w*|suggest\w*|which (?:\w+ )*(?:should|would|do) (?:i|we|you)|"
        r"what(?:'s| is) the best|best (?:\w+ ){0,3}for|any (?:good )?(?:alternatives?|options?)|"
        r"alternatives?|looking for (?:a|an|some)|advice on|vs\.?|versus|worth it|"
        r"any (?:experiences?|thoughts|reviews|opinions|feedback)|which (?:\w+ ){0,3}to (?:buy|get|choose|pick|go with)|"
        r"should i (?:switch|get|buy|go with|choose|pick|move)|(?:what|which) (?:\w+ ){0,3}(?:do|would) you (?:use|recommend|suggest))\b",
        "de": r"(?:empfehl\w+|empfiehlt|welche[rsnm]? .*(?:soll|sollte|nehmen)|alternative\w* zu|"
        r"was ist (?:der|die|das) beste|erfahrungen mit|taugt|lohnt sich|suche (?:ein|eine|einen)|"
        r"welche[rsnm]? .*(?:nutzt|nehmt|kaufen|empfehlt|verwendet|am \w+sten)|was (?:nutzt|nehmt|empfehlt) ihr)",
        "es": r"(?:recomienda\w*|recomendaci\w+|que .*me recomiendan|cual .*(?:deberia|conviene|elegir)|"
        r"alternativa\w* a|el mejor .*para|la mejor .*para|opiniones sobre|vale la pena|busco (?:un|una)|recomend\w+|"
        r"que (?:\w+ ){1,3}(?:comprar|elegir|contratar)\b|que tal (?:es|son|va|funciona)|cual(?:es)? (?:es|son) (?:el|la|los|las) mejor)",
        "fr": r"(?:recommand\w+|conseill\w+|quel(?:le)? .*(?:choisir|prendre)|alternative\w* a|"
        r"le meilleur .*pour|la meilleure .*pour|avis sur|vaut le coup|cherche (?:un|une)|quel(?:le)?s? .*acheter|"
        r"des retours|vos avis|des avis|vos experiences)",
        "ru": r"(?:посоветуйте|порекомендуйте|подскажите|что лучше|какой .*выбрать|какую .*выбрать|"
        r"альтернатив\w+|стоит ли|отзывы о|ищу (?:хороший|надежный|облачн)|посовету\w+|порекоменду\w+|"
        r"как(?:ой|ую|ое|ие) .*купить)",
        "ja": r"(?:おすすめ(?:は|を|の|ありますか|教えて)|オススメ(?:は|を|の)|お勧め(?:は|を)|どれがいい|"
        r"どこがいい|何がいい|比較|代わり|乗り換え先|どっちがいい|(?:おすすめ|オススメ|お勧め)ですか|どの.{0,10}(?:おすすめ|いい))",
    },
    "praise": {
        "en": r"\b(?:love|loving|awesome|amazing|great job|kudos|shout[- ]?out|thank(?:s| you)|lifesaver|"
        r"impressed|fantastic|excellent|brilliant|rock-?solid|flawless|best (?:service|support|backup)|"
        r"highly recommend|well done|nailed it|nice (?:write-?up|work|job)|"
        r"(?:can'?t|cannot) (?:recommend|thank) (?:\w+ ){0,4}enough|could(?:n'?t| not) be happier|slick|paid off|"
        r"rock solid|reliable|happy with|pleased|(?:would|will) (?:buy|recommend) (?:it |them )?again|no complaints|"
        r"(?:so|very|really|super) (?:kind|helpful|friendly|polite)|helpful|great service|that'?s how you|"
        r"made my (?:day|night|week)|crazy good|5 stars|five stars|worth every|welcome change|game changer|"
        r"would recommend|flawless(?:ly)?|big fan|works great)\b",
        "de": r"(?:danke|super|toll|klasse|genial|hervorragend|begeistert|top|grossartig|lob|empfehle|"
        r"zufrieden|spitze|vielen dank|respekt|\bbeste[rnms]?\b|gefallt mir|wieder kaufen|\bfreundlich|\bzuverlassig|"
        r"empfehlenswert|sehr (?:gut|schnell|nett)|so muss|klare empfehlung|lohnt sich\b.{0,15}total|punktlich|"
        r"bereue nichts|daumen hoch|der beste)",
        "es": r"(?:gracias|genial|excelente|increible|me encanta|encanta|maravill\w+|recomiendo|"
        r"fantastic\w+|satisfech\w+|de lujo|bravo|nada mal|el mejor|la mejor|impecable|amable|lo mejor|un diez|"
        r"asi se hace|es mejor que|sin (?:ningun )?problemas?|ningun problema|me salvo|no me canso de recomendar|"
        r"asi da gusto|espectacular|muy contento|super facil|aguanto|comodisim\w+|bien por ellos|rapidisim\w+)",
        "fr": r"(?:merci|genial|excellent|super|bravo|top|j'adore|adore|impeccable|parfait|nickel|"
        r"recommande|ravi|satisfait|pas mal du tout|le meilleur|la meilleure|aucun souci|ne regrette rien|"
        r"ne peux que recommander|impec|au top|rien a redire|chapeau|impressionnant|a change ma vie|"
        r"vraiment interessant|ca marche bien)",
        "ru": r"(?:спасибо|отличн\w+|супер|класс|молодц\w+|рекомендую|доволен|довольн\w+|лучш\w+|"
        r"великолепн\w+|круто|благодар\w+|неплох\w+|в восторге|(?<!не)вежлив\w+|респект|не пожалел|без проблем|"
        r"ни одного сбоя|не могу не порекомендовать|не подвел\w*|отличный сервис|огонь)",
        "ja": r"(?:ありがとう|最高|素晴らしい|すばらしい|神|助かり|助かっ|感謝|満足|便利|優秀|大好き|おすすめです|"
        r"トラブルなし|悪くない|買ってよかった|親切|楽しみ|丁寧|快適|よかった|感動|ありがたい|優しい|正解|おかげで|問題なく)",
    },
}


# A problem put right ("refunded it within a minute", "hat Ersatz geschickt"): with praise, the
# post praises; the problem is its story, not a complaint.
_RESOLVED: dict[str, str] = {
    "en": r"\b(?:refunded|fixed|resolved|sorted|replaced|replacement|shipped a new|sent a new|got it back)\b",
    "de": r"(?:ersatz|erstattet|behoben|gelost|repariert|ausgetauscht)",
    "es": r"(?:reembols\w+|arregl\w+|solucion\w+|me cambio|me cambiaron|repusieron)",
    "fr": r"(?:resolu\w*|rembours\w+|repare\w*|remplace\w*|renvoye)",
    "ru": r"(?:вернули|заменили|замену|исправили|решили|починили)",
    "ja": r"(?:交換|返金して|直りました|解決|送ってくれ)",
}


# Asking for a recommendation without a question mark ("Looking for a...", "Посоветуйте...").
_REQUESTS: dict[str, str] = {
    "en": r"\b(?:looking for (?:a|an|the|some)|any advice|recommend (?:me|us)|suggestions? (?:for|on))\b",
    "de": r"(?:suche (?:ein|eine|einen|den|die|das)|empfehlt mir|erfahrungen mit)",
    "es": r"(?:busco (?:un|una|el|la)|recomiendenme|recomendadme)",
    "fr": r"(?:je cherche (?:un|une|le|la)|conseillez-moi|recommandez-moi)",
    "ru": r"(?:посоветуйте|порекомендуйте|ищу (?:хорош|надежн|облачн))",
    "ja": r"(?!)",  # "おすすめ。" recommends; the question cues cover asking
}
# "A or B?": a question comparing options is a request for a recommendation.
_COMPARE: dict[str, str] = {
    # "is it just me or...", "LDAC or just AAC", "or do I have to..." compare nothing to choose
    "en": r"(?<!just me )\b(?:or|vs\.?|versus)\b(?! (?:just|only|do|does|did|is|are|can|should|will|would|not)\b)",
    "de": r"\b(?:oder|vs\.?)\b",
    "es": r"\b(?:o|vs\.?)\b(?! (?:solo|solamente|no|tengo|hay)\b)|mas barat\w*|mejor\b",
    "fr": r"\b(?:ou|vs\.?)\b",
    "ru": r"(?:\bили\b(?! (?:только|просто)\b)|\bvs\b)",
    "ja": r"(?:か、|それとも|vs)",
}


# A question people post without its question mark ("anyone know a good backup service",
# "does anyone use Acme for work"): a sentence that opens with an unmistakable asking phrase.
# Openings that also start statements and headlines ("How I fixed...", "Why we left...") are
# not in these lists.
_OPEN = r"(?:^|[.!\n]\s*)(?:[@#][\w.]+[,:]?\s+)*"  # sentence start, after any @handles
_OPENERS: dict[str, str] = {
    "en": _OPEN + r"(?:does anyone|do any of you|has anyone|have any of you|"
    r"anyone (?:know|knows|have|has|tried|using|use|else|recommend)|"
    r"can (?:anyone|someone|somebody|i|you)|could (?:anyone|someone|somebody)|"
    r"is (?:there (?:a|an|any)|it (?:worth|possible|just me|safe))|"
    r"how (?:do|can|should|would) (?:i|we|you)|what(?:'s| is| are) the (?:best|difference)|"
    r"which (?:one|is better|\w+(?: \w+)? (?:should|would|do) (?:i|we))|should i|where (?:can|do|should) (?:i|we)|"
    r"why (?:does|do|is|are|did|can'?t|won'?t|doesn'?t|isn'?t))\b",
    "de": _OPEN + r"(?:(?:kennt|weiss|hat|nutzt) (?:jemand|ihr)|kann (?:mir )?jemand|gibt es|"
    r"wie (?:kann|soll) ich|lohnt (?:es )?sich|was ist (?:der|die|das) beste|warum (?:geht|funktioniert|ist))\b",
    "es": _OPEN + r"(?:alguien (?:sabe|conoce|usa|ha|tiene|recomienda)|(?:como|donde) puedo|"
    r"hay (?:alguna|algun)|cual es (?:el|la) mejor|vale la pena|por que no)\b",
    "fr": _OPEN + r"(?:quelqu'un (?:sait|connait|a|utilise|peut)|est-ce que|comment (?:faire|puis-je|on)|"
    r"y a-t-il|quel(?:le)? est (?:le|la) meilleur|vaut-il|pourquoi (?:est-ce|ca))\b",
    "ru": _OPEN + r"(?:кто-нибудь|кто нибудь|как (?:мне|можно)|есть ли|стоит ли|"
    r"какой (?:\w+ )?(?:лучше|выбрать)|почему (?:не|так))\b",
    "ja": r"(?!)",  # the question cues cover Japanese questions without a question mark
}


@lru_cache(maxsize=8)
def _resolved(language: str) -> re.Pattern[str]:
    return re.compile(_RESOLVED.get(language) or _RESOLVED["en"])


@lru_cache(maxsize=64)
def _extra(table: str, language: str) -> re.Pattern[str]:
    source = _REQUESTS if table == "request" else _OPENERS if table == "opener" else _COMPARE
    return re.compile(source.get(language) or source["en"])


@lru_cache(maxsize=64)
def _pattern(intent: str, language: str) -> re.Pattern[str]:
    table = _CUES[intent]
    return re.compile(table.get(language) or table["en"], re.MULTILINE)


def _required(items: Any) -> frozenset[str] | None:
    """Literal strings one of which every match of a parsed regex contains (None: unknown)."""
    best: frozenset[str] | None = None

    def consider(cand: frozenset[str] | None) -> None:
        nonlocal best
        if cand and (best is None or min(map(len, cand)) > min(map(len, best))):
            best = cand

    run: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider(frozenset({"".join(run)}))
            run = []
        if op is _c.SUBPATTERN:
            consider(_required(av[-1]))
        elif op is _c.BRANCH:
            alts = [_required(b) for b in av[1]]
            if all(a is not None for a in alts):
                consider(frozenset().union(*(a for a in alts if a is not None)))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            consider(_required(av[2]))
    if run:
        consider(frozenset({"".join(run)}))
    return best


_KEYS = (
    *(("cue", intent) for intent in _CUES),
    ("extra", "request"),
    ("extra", "compare"),
    ("extra", "opener"),
)


@lru_cache(maxsize=16)
def _gate(language: str) -> tuple[Any, frozenset[tuple[str, str]]]:
    """An automaton over the literals the language's patterns need, and the patterns without
    usable literals (always run): a pattern none of whose literals is in the text cannot match."""
    auto = ahocorasick.Automaton()
    owners: dict[str, set[tuple[str, str]]] = {}
    always: set[tuple[str, str]] = set()
    for key in _KEYS:
        regex = _pattern(key[1], language) if key[0] == "cue" else _extra(key[1], language)
        need = _required(_parser.parse(regex.pattern, regex.flags))
        if need is None or min(map(len, need)) < 2:
            always.add(key)
            continue
        for lit in need:
            owners.setdefault(lit, set()).add(key)
    for lit, keys in owners.items():
        auto.add_word(lit, frozenset(keys))
    if owners:
        auto.make_automaton()
    else:
        auto = None
    return auto, frozenset(always)


_Q_MARK = re.compile(r"[?？]")


_BITS = {key: 1 << n for n, key in enumerate(_KEYS)}
_QUESTION = _BITS[("cue", "question")]
_COMPLAINT = _BITS[("cue", "complaint")]
_PURCHASE = _BITS[("cue", "purchase_intent")]
_RECOMMEND = _BITS[("cue", "recommendation_request")]
_PRAISE = _BITS[("cue", "praise")]
_REQUEST = _BITS[("extra", "request")]
_COMPARE_BIT = _BITS[("extra", "compare")]
_OPENER_BIT = _BITS[("extra", "opener")]


@lru_cache(maxsize=16)
def _masks(language: str) -> tuple[Any, int, dict[int, re.Pattern[str]]]:
    """_gate with its key sets as bit masks (an automaton over the same literals), and the
    language's patterns by bit."""
    auto, always = _gate(language)
    masked = None
    if auto is not None:
        masked = ahocorasick.Automaton()
        for lit, keys in auto.items():
            mask = 0
            for key in keys:
                mask |= _BITS[key]
            masked.add_word(lit, mask)
        masked.make_automaton()
    always_mask = 0
    for key in always:
        always_mask |= _BITS[key]
    patterns = {
        _BITS[key]: _pattern(key[1], language) if key[0] == "cue" else _extra(key[1], language)
        for key in _KEYS
    }
    return masked, always_mask, patterns


def detect(text: str, language: str | None, sentiment: Sentiment) -> list[str]:
    """The intents of a text, in the contract's order."""
    lang = language if language in ("en", "ja", "ru", "de", "es", "fr") else "en"
    folded = fold(text)
    auto, live, patterns = _masks(lang)
    if auto is not None:
        for _end, mask in auto.iter(folded):
            live |= mask
    # Questions: a question mark. Japanese questions often end without one. (Elsewhere a
    # question-like opening counted only in a sentence ending with "?", and there is none.)
    question = "?" in folded or "？" in folded
    if not question and lang == "ja" and live & _QUESTION:
        question = bool(patterns[_QUESTION].search(folded))
    elif not question and live & _OPENER_BIT:
        question = bool(patterns[_OPENER_BIT].search(folded))
    score = sentiment.score
    out: list[str] = []
    praised = score > 0.2 and live & _PRAISE and patterns[_PRAISE].search(folded) is not None
    complains = score <= -0.5 or (score < 0.3 and live & _COMPLAINT and patterns[_COMPLAINT].search(folded))
    if complains and not (praised and _resolved(lang).search(folded)):
        out.append("complaint")
    if question:
        out.append("question")
    if live & _PURCHASE and patterns[_PURCHASE].search(folded):
        out.append("purchase_intent")
    if (
        ((question or lang == "ja") and live & _RECOMMEND and patterns[_RECOMMEND].search(folded))
        or (live & _REQUEST and patterns[_REQUEST].search(folded))
        or (question and live & _COMPARE_BIT and patterns[_COMPARE_BIT].search(folded))
    ):
        out.append("recommendation_request")
    if (score >= 0.6 and not question) or praised:
        out.append("praise")
    return out
