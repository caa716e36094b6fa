"""존댓말 or 반말: which speech level a message is in, from the ending of its last clause.

Rules, not a model: Korean marks the level in the verb ending, and the last clause decides how a line
sounds ("네 알겠어 ㅋㅋ" is 반말). Trailing laughter, crying, emoji, punctuation and spaces are
ignored first. Polite: 해요체 and its cute spellings (-요/-용/-욤/-염/-여), 하십시오체 (-니다/-니까),
-세요/-셔요/-죠, answer words (네, 넵, 넹, 예), and the dialects' polite forms (경상 -예/-이소,
충청 -유/-슈, 전라 -지라, 제주 -수다/-꽈/-예). Anything else with Hangul in it is 반말, including
음슴체 (-음/-함/-임), -셈, bare nouns and interjections; a line without Hangul has no level.
Measured on tests/data/speech_levels.csv (801 lines written for this project, labeled by hand): all
right. Bot answers are tagged by level_of_answer (any polite sentence makes it polite): all 837 answers of
resources/data/answers.csv, whose writers tagged each one. `detect` alone got 832 of them right, 835
after the -여/-니다 rules below were tightened on that evidence (보여, 쓰여, 아니다 are 반말); the last two
are polite answers that end on a casual word ("…바라요. 안녕!").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Level = Literal["polite", "casual"]
LEVELS: tuple[Level, ...] = ("polite", "casual")

# What may follow the last clause without being part of it: laughter, crying, emoticons, emoji,
# punctuation, symbols and spaces (ㅋㅎㅠㅜ are jamo, so they are listed by name).
_TRAILING = re.compile(r"(?:[\sㅋㅎㅠㅜㅡ^;~.,!?…·\-_=+*'\"()\[\]<>♥♡]|[^\w\s])+$")
_HANGUL = re.compile(r"[가-힣]")
_POLITE_END = re.compile(
    r"(?:요|용|욤|염|여|니다|습니당|니당|세용|셔요|죠|죵|쥬|쵸|예|이소|소서|유|슈|시유|지라|수다|수꽈|쿠다|꽈|서예|"
    r"니더|심더|니꺼|심니꺼|요잉)$"
)
# Words after the last verb that do not change how it sounds ("고맙습니다 정말로", "도와주세요제발").
_TRAILING_WORDS = ("정말로", "정말", "진짜로", "진짜", "제발", "완전", "레알", "ㄹㅇ", "잉", "참")
# Words that end like a polite ending but are nouns or plain forms.
_NOT_POLITE = re.compile(
    r"(?:필요|중요|수요|주요|요요|월요|화요|수요|목요|금요|토요|일요|여유|자유|이유|우유|석유|기름유|"
    r"왜여|뭐여|누구여|어디여|여여|그려|시여|겨|며|잖여)$"
)
_POLITE_WORDS = {"네", "넵", "넹", "넴", "예", "옙", "녜", "네네", "넵넵", "넹넹"}
_CASUAL_WORDS = {"응", "웅", "엉", "어", "ㅇㅇ", "ㅇㅋ", "야"}


def detect(text: str) -> Level | None:
    """The level of `text`, or None when it has no Hangul to tell by (emoji, ㅋㅋ, English)."""
    t = unicodedata.normalize("NFC", text).strip()
    t = _TRAILING.sub("", t)
    if not t:
        return None
    words = t.split()
    while len(words) > 1 and words[-1] in _TRAILING_WORDS:
        words.pop()
    last = words[-1]
    for tail in _TRAILING_WORDS:  # glued on: "도와주세요제발"
        if last.endswith(tail) and len(last) > len(tail) + 1 and _POLITE_END.search(last[: -len(tail)]):
            last = last[: -len(tail)]
            break
    if last in _POLITE_WORDS:
        return "polite"
    if not _HANGUL.search(t):
        return "casual" if re.search(r"[ㄱ-ㅎ]", t) else None  # 초성 only (ㄱㅅ, ㅇㅋ): casual
    if last in _CASUAL_WORDS:
        return "casual"
    if _NOT_POLITE.search(last):
        return "casual"
    if last.endswith("니까"):  # 합니까/십니까 (ㅂ니까) are polite; 그러니까, 하니까, 다니까 are not
        return "polite" if len(last) > 2 and _has_final_b(last[-3]) else "casual"
    if last.endswith(("니다", "니당")):  # 합니다/습니다 (ㅂ니다) are polite; 아니다, 간다니다 are not
        return "polite" if len(last) > 2 and _has_final_b(last[-3]) else "casual"
    if last.endswith("여") and not _cute_yeo(last):
        return "casual"  # 보여, 쓰여, 먹여, 잖여: -어 after 이/으/a final consonant, not a cute -요
    return "polite" if _POLITE_END.search(last) else "casual"


def level_of_answer(text: str) -> Level | None:
    """The level of a bot answer: polite if any of its sentences is. An answer is written, not typed,
    and a polite one may end on a casual word ("…좋은 하루 되길 바라요. 안녕!"), which a user's
    last clause would not. Measured on resources/data/answers.csv (837 answers tagged by hand)."""
    levels = {detect(part) for part in _SENTENCE_BREAK.split(text) if part.strip()}
    if "polite" in levels:
        return "polite"
    return "casual" if "casual" in levels else None


# Sentence ends inside an answer: . ! ? … and line breaks, and laughter or crying followed by a space.
_SENTENCE_BREAK = re.compile(r"[.!?…\n]+|(?<=[ㅋㅎㅠㅜ])\s+")


def _cute_yeo(word: str) -> bool:
    """-여 as a cute spelling of -요 (감사해여, 안녕하세여, 졸려여): after an open syllable whose vowel
    takes -요, not after ㅗ/ㅡ or a final consonant (보여, 쓰여, 먹여 are 반말)."""
    if len(word) < 2:
        return False
    code = ord(word[-2]) - 0xAC00
    if not 0 <= code < 11172:
        return False
    vowel, final = (code // 28) % 21, code % 28
    return final == 0 and vowel not in (8, 18)  # ㅗ, ㅡ


def _has_final_b(syllable: str) -> bool:
    """True for a Hangul syllable whose final consonant is ㅂ (합, 십, 갑)."""
    code = ord(syllable) - 0xAC00
    return 0 <= code < 11172 and code % 28 == 17
