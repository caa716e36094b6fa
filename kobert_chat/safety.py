"""Rule-based detection of self-harm and suicide statements.

Why rules run before the model: the classifier is small, retrained by the user and can be wrong or drift
(one mislabeled example can teach it anything). A message saying someone wants to die must get the crisis
reply, with the 109 hotline, every time, whatever the model predicts. Rules are predictable, testable and
cannot be untrained.

How matching works: the text is compacted (NFKC, lowercase, only Hangul syllables, latin letters and
digits kept) so "죽 고 싶 다", "죽고싶다ㅠㅠ" and "죽.고.싶.다" look the same. Each rule is a regex over the
compact text. A hit is ignored if the rule's `unless` regex matches near it (e.g. "자살골", "유서 깊은",
"번개탄으로 고기"), or, for `word_start` rules, if the hit spans a space but starts in the middle of a word:
"피자 살까" compacts to "피자살까", which contains 자살 only because the space was removed.

Judgment calls: a mention of suicide without a clear subject ("자살 예방 캠페인 봤어") still matches; an
unneeded hotline number costs little and a missed one can cost a lot. "죽고 싶다" always matches, even
when it may be hyperbole. Everyday hyperbole that never says "want to die" ("배고파 죽겠다", "웃겨 죽겠네",
"죽이는데", "게임에서 죽었어") must not match, which is why no rule is the bare syllable 죽.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Compatibility jamo (ㅋ ㅎ ㅠ ㅜ ...) and their half-width forms are dropped before NFKC: NFKC would turn
# them into conjoining jamo that can merge with neighbours ("ㅋㅠ" -> "큐").
_LOOSE_JAMO = re.compile("[\u3131-\u318e\uffa0-\uffdc]")
_WINDOW = 12  # compact characters on each side of a hit that `unless` looks at

# Things that "die" in everyday talk: a hit right after one of these is about them, not the user.
_THINGS_DIE = (
    r"(게임|캐릭|캐릭터|보스|몹|던전|레이드|배터리|폰|핸드폰|노트북|컴퓨터|서버|화분|식물|물고기|금붕어|주인공)"
    r"(에서|한테|이|가|은|는|도)?(내가|제가|나|난|저)?(또|계속|자꾸|맨날|금방|곧|벌써|안|다)?(죽어|죽을|죽으|죽는)"
)
# Where someone lives: "서울 살기 싫어" is about the place, not about living.
_PLACE_LIVING = (
    r"(에서|데서|동네|서울|시골|도시|혼자|같이|여기|거기|원룸|기숙사|자취|나라|한국|이집|그집|아파트|빌라)"
    r"(는|은|서)?(살기|살고|사는게)"
)
# Finishing a task or a relationship: "과제 다 끝내고 싶어", "걔랑 이제 끝내고 싶어". Anchored to the verb, so
# "시험 망쳐서 다 끝내고 싶어" still counts.
_FINISHING_SOMETHING = (
    r"(숙제|과제|일|업무|야근|수업|보고서|프로젝트|빨래|청소|공부|작업|게임|드라마|책|퀘스트|설거지|자료|발표|논문"
    r"|알바|시즌|정주행|레벨|미션|마감|정리|이사|준비|관계|연애|사이|썸)"
    r"(을|를|도|은|는|이랑|랑|까지|만|좀)?(오늘|내일|이번주|주말|빨리|얼른|안에|까지|이제|그냥|그만)*(다|전부|모두)?끝내"
    r"|(오늘|내일|이번주|주말|월요일|금요일)(안에|까지|중에|는)?(그냥|빨리|얼른)?(다|전부|모두)?끝내"
    r"|(남친|여친|남자친구|여자친구|걔|그사람|그애)(이랑|랑|하고|과|와)(는|도)?(그냥|이제|그만)*(다)?끝내"
)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str  # regex over the compact text
    unless: str | None = None  # a match within _WINDOW characters of the hit cancels it
    word_start: bool = False  # a hit spanning a space must start at a word start
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)
    unless_regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Wrapped in a lookahead so finditer tries every start position: a hit cancelled by `unless`
        # must not hide an overlapping one that counts.
        object.__setattr__(self, "regex", re.compile(f"(?=({self.pattern}))"))
        object.__setattr__(self, "unless_regex", re.compile(self.unless) if self.unless else None)


RULES: tuple[Rule, ...] = (
    Rule("want_to_die", r"(죽|뒤지|디지|뒈지)(고|구|꼬)(싶|십|시퍼|시프|파)(?!지않|진않|지도않|지가않)"),
    Rule(
        "die_now",
        r"(죽어|주거|뒤져|디져|뒈져)(버리고싶|버리고십|버릴까|버릴래|버릴거|버릴꺼|버려야|벌까|벌래|"
        r"야겠|야하나|야할까|야되나|야할것같|야끝나|야편하)(?!봐|바)",
        unless=_THINGS_DIE,
    ),
    Rule(
        "die_maybe",
        r"(그냥|차라리|걍|나|난|나는|저|전|저는|이제|확|콱)(죽을|뒤질|디질|뒈질)(까|래|게|란다)(?!봐|바)"
        r"|죽을까(생각|고민|싶|하는생각)",
        unless=_THINGS_DIE,
    ),
    Rule(
        "better_dead",
        r"(죽는게|죽는편이|죽는것이|죽는것도)(낫|나을|나아|편|좋겠)|차라리죽(는|고|어|을)"
        r"|죽으면(편할|편하|다끝나|다끝날|좋겠|괜찮|누가|아무도)|죽어도아무도|(내가|제가)죽으면",
        unless=_THINGS_DIE,
    ),
    Rule(
        "suicide_word",
        r"자살",
        unless=r"자살골|자살폭탄|자살테러|자살특공|자살번트|[피과모의남여감상액글숫왕혼부]자살",
        word_start=True,
    ),
    Rule(
        "self_harm_word",
        r"자해(하|했|할|한|를|가|는|흔적|자국|상처|충동|욕구|행위|시도|중|까지|만|도했|도해|$)",
        unless=r"자해공갈|[혼여남피과모의감상액글숫왕부문양독]자해",
        word_start=True,
    ),
    Rule("extreme_choice", r"극단(적인|적)?선택(?!지)"),
    Rule(
        "end_life",
        r"목숨(을)?(끊|버리|버릴|내려놓|내놓고싶)|생을마감|삶(을)?(끝내|끝낼|마감|포기|놓고싶|그만두)"
        r"|인생(을)?(끝내|끝낼|마감)(?!주|줘|준)|스스로목숨",
        unless=r"(백수|솔로|모쏠|자취|학생|취준|수험|노예|고시|직장인|인턴|알바|청춘|싱글)(생활)?인생",
    ),
    Rule("hanging", r"목(을)?매달|목을매|목맬(까|래|끈|줄|생각|곳|데|거|자리)|목매(서|고)?죽"),
    Rule(
        "jumping",
        r"(옥상|다리|한강|창문|창밖|베란다|아파트|건물|난간|대교|절벽|고층)(에서|위에서|밖으로|으로|아래로|에)?"
        r"(그냥|확)?(뛰어내(리고싶|리고십|릴까|릴래|릴거|려버릴|려야|리면|렸|리려|릴게)|투신"
        r"|떨어지고싶|떨어져버릴|떨어질까(?!봐|바))"
        r"|뛰어내리고(싶|십)|뛰어내릴까|뛰어내려버릴|뛰어내려야겠|뛰어내리면(편|끝|다)",
        unless=r"고양이|냥이|강아지|개가|새가|다람쥐|영화|드라마|장면|주인공|스턴트|번지|패러|스카이다이빙",
    ),
    Rule("jump_word", r"투신(하|할|해|했)", word_start=True),
    Rule(
        "cutting",
        r"손목(을|에)?(칼|커터칼|커터|면도칼|면도날|가위)?(로|으로|을)?(긋|그어|그을|그었|그으|그엇|자르|잘라)"
        r"|(칼|커터칼|면도칼)로(내)?(팔|몸|허벅지)(을|에)?(긋|그어|그을|그었|그으)"
        r"|(팔|허벅지)(을|에)?(긋|그어|그었|그을)(?!진|져|놓)",
    ),
    Rule(
        "vanish",
        r"(사라지|없어지|소멸하|증발하|사라져버리|없어져버리)고(싶|십|시퍼|시프|파)(?!지않|진않)"
        r"|(사라져|없어져)(버릴까|버리고싶|버릴래)",
    ),
    # "나 사라졌으면" but not "하나 없어졌으면": the subject must be its own word.
    Rule(
        "vanish_me",
        r"(내가|나|저|제가|나같은건|나같은거|나하나)(그냥)?(사라|없어)(졌으면|져버렸으면|져도아무도|지는게낫"
        r"|지면다들|지면모두|지면다|지면편하|지면편할|지면좋아할)",
        word_start=True,
    ),
    Rule(
        "no_will_to_live",
        r"살기(가)?싫|살고싶지(가|도)?않|살고싶진않|살고싶은마음(이|도)?없|더(는|이상)살고싶"
        r"|살(아갈|아야할|아있을|아야하는)이유(가|를|도)?(없|모르|못찾|하나도없)"
        r"|살아(서|봤자)(뭐해|뭐하|뭣해|뭐할|무슨의미|뭐가달라)"
        r"|살아있(는게|기)(싫|괴롭|고통|지옥|무의미|의미없)|사는게(싫|무의미|의미(가)?없)",
        unless=_PLACE_LIVING,
    ),
    Rule(
        "leave_world",
        r"세상(을)?(떠나|등지|하직)(고싶|고십|고시퍼|려고|려구|버리고|야겠|야할까|는게낫)"
        r"|세상(을)?(떠날|등질)(까|래|거|생각|준비|결심)",
    ),
    Rule(
        "end_everything",
        r"(다|모든걸|모든것을|모든것|전부|그만|이제)(다)?끝내(고싶|고십|버리고싶|버릴까|버릴래|야겠|고말)"
        r"|끝내버리고싶|끝장내고싶",
        unless=_FINISHING_SOMETHING,
    ),
    Rule("suicide_note", r"유서", unless=r"유서(가)?깊|유서있|[자우경이]유서", word_start=True),
    Rule(
        "overdose",
        r"약(을|들을|들)?(다|전부|몽땅|왕창|잔뜩|한꺼번에|한번에|통째로|한통|한주먹)+"
        r"(털어넣|털어먹|먹어버리|먹어버릴|삼켜버리|삼켜버릴)"
        r"|약(을|들을|들)?(털어넣|입에털)"
        r"|약(을)?(한꺼번에|한번에|몽땅|왕창|통째로|한통|한주먹|잔뜩)(다)?(먹|삼키|삼켜)"
        r"|(수면제|진통제|안정제|신경안정제)(를|을)?(모으|모아|모았|한꺼번에|왕창|몽땅|한통|잔뜩|털어)"
        r"|과다복용|약(을)?먹고죽",
        unless=r"치약|예약|요약|절약|계약|공약|비약|도약|화약",
    ),
    Rule(
        "charcoal",
        r"번개탄|연탄(을)?피우(고|려|면)?(죽|자|싶)",
        unless=r"고기|캠핑|바베큐|바비큐|구워|굽|숯불|삼겹|캠프|불멍|난로|화로|장작|석쇠",
    ),
    Rule(
        "method",
        r"(죽는|죽을|자살|자해)(방법|법)|(편하게|안아프게|아프지않게|고통없이|조용히|깔끔하게|한번에)죽(는|을|고|어)"
        r"|죽을(용기|결심)",
        unless=r"안죽는|덜죽는|안죽고|" + _THINGS_DIE,
    ),
    Rule(
        "death_thoughts", r"죽음(을|만|밖에|에대해|에대한)?(생각|떠올|꿈꾸|준비|계획)|죽을생각|죽고싶은생각"
    ),
    Rule(
        "never_wake",
        r"(깨어나지않았|깨지않았|안깨어났|눈(을)?(안|못)떴|눈뜨지(않았|말았)|다시는눈(을)?안떴)으면(좋겠|해|한다|싶)"
        r"|영원히잠들고(싶|십)|영원히잠들었으면|자다가(그냥|조용히)?죽었으면",
        unless=r"아기|애기|아이|애가|강아지|고양이|동생|남편|아내|엄마|아빠|룸메",
    ),
    Rule(
        "not_born",
        r"태어나지(말|않)았(어야|으면|더라면)|태어나지말걸|안태어났(으면|더라면)|태어난게(죄|잘못|후회)",
    ),
    Rule(
        "hurt_self",
        r"(나를|날|저를|절|나자신을|내자신을|제자신을|스스로를|스스로|내몸을|제몸을|내몸|제몸)"
        r"(해치|다치게하|죽이|망가뜨리|때리)고(싶|십)(?!어하|어해|어할|어했|어한)"
        r"|상처(를)?내고(싶|십)|나자신을죽이|스스로(를)?죽이",
    ),
    Rule("river_meme", r"한강(물)?(수온|온도)|한강물온도"),
    Rule("attempt", r"죽으려(고|구|했|한|다가)", unless=_THINGS_DIE),
    Rule("english", r"suicid|killmyself|wanttodie|endmylife|selfharm|cutmyself"),
)


def _compact(text: str) -> tuple[str, list[bool]]:
    """The text reduced to letters and digits, and for each kept character whether a word starts there."""
    text = _LOOSE_JAMO.sub(" ", unicodedata.normalize("NFC", text))
    text = unicodedata.normalize("NFKC", text).lower()
    chars: list[str] = []
    starts: list[bool] = []
    gap = True
    for ch in text:
        if "가" <= ch <= "힣" or "a" <= ch <= "z" or "0" <= ch <= "9":
            chars.append(ch)
            starts.append(gap)
            gap = False
        else:
            gap = True
    return "".join(chars), starts


def _hit_counts(rule: Rule, compact: str, starts: list[bool], match: re.Match[str]) -> bool:
    begin, end = match.span(1)
    if rule.word_start and not starts[begin] and any(starts[begin + 1 : end]):
        return False  # glued across a removed space: "피자 살까" is not 자살
    if rule.unless_regex is not None:
        window = compact[max(0, begin - _WINDOW) : end + _WINDOW]
        if rule.unless_regex.search(window):
            return False
    return True


def crisis_match(text: str) -> str | None:
    """The name of the first rule that finds a self-harm or suicide statement in `text`, or None."""
    if not isinstance(text, str) or not text:
        return None
    compact, starts = _compact(text)
    for rule in RULES:
        for match in rule.regex.finditer(compact):
            if _hit_counts(rule, compact, starts, match):
                return rule.name
    return None


def is_crisis(text: str) -> bool:
    """True if `text` states self-harm or suicide intent and must get the crisis reply."""
    return crisis_match(text) is not None
