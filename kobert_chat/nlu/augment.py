"""Augmentation: variants of a training line in the ways people actually type it.

Each rule keeps the meaning (and so the labels) and changes only the surface:
    nospace    spaces removed (띄어쓰기 없이)                 오늘 너무 피곤해 -> 오늘너무피곤해
    nopunct    punctuation removed                           괜찮아? 진짜? -> 괜찮아 진짜
    typo       the misspellings people make by ear: doubled consonants typed single (왔어 -> 왓어,
               진짜 -> 진자), a final ㅎ dropped (좋아 -> 조아), a final consonant moved onto a
               following ㅇ (있어 -> 이써), ㅐ/ㅔ swapped, 요 typed as 여/용
    speech     존댓말 <-> 반말 at the end of a clause (고마워요 <-> 고마워, 했어요 <-> 했어)
    marks      a laughing/crying mark (ㅋㅋ, ㅠㅠ, ...) appended, drawn from the marks that lines
               with the same emotion carry in the training data (so no new label cue is invented)
    repeat     a mark's or a last letter's run stretched (ㅋㅋ -> ㅋㅋㅋㅋㅋ, 진짜 -> 진짜아아)

Deterministic for a random.Random: a build with the same seed makes the same variants.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

_FIRST, _LAST = 0xAC00, 0xD7A3
_LEADS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_TAILS = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]
_LEAD_IX = {ch: i for i, ch in enumerate(_LEADS)}
_TAIL_IX = {ch: i for i, ch in enumerate(_TAILS) if ch}
_SINGLE_LEAD = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
_SINGLE_TAIL = {"ㅆ": "ㅅ", "ㄲ": "ㄱ", "ㅎ": "", "ㄶ": "ㄴ", "ㅀ": "ㄹ"}
_VOWEL_SWAP = {1: 5, 5: 1, 3: 7, 7: 3, 10: 11, 11: 10, 15: 10}  # ㅐ<->ㅔ, ㅒ<->ㅖ, ㅙ<->ㅚ, ㅞ->ㅙ
MARK = re.compile(r"[ㅋㅎㅠㅜㅡ;^]{2,}|[!?~]{2,}")
_PUNCT = re.compile(r"[.,!?~…·\"'()\[\]]+")

# 존댓말 -> 반말 at a clause end (before punctuation, marks, space or the end), longest first.
_TO_BANMAL = [
    ("습니다", "어"),  # 했습니다 -> 했어; 갑니다-style forms are left alone (no 습)
    ("합니다", "해"),
    ("입니다", "이야"),
    ("이에요", "이야"),
    ("예요", "야"),
    ("세요", "어"),
    ("어요", "어"),
    ("아요", "아"),
    ("해요", "해"),
    ("워요", "워"),
    ("와요", "와"),
    ("봐요", "봐"),
    ("줘요", "줘"),
    ("네요", "네"),
    ("죠", "지"),
    ("까요", "까"),
    ("게요", "게"),
    ("래요", "래"),
    ("대요", "대"),
]
_TO_JONDAE = [
    ("이야", "이에요"),
    ("야", "예요"),
    ("했어", "했어요"),
    ("해", "해요"),
    ("어", "어요"),
    ("아", "아요"),
    ("워", "워요"),
    ("와", "와요"),
    ("봐", "봐요"),
    ("줘", "줘요"),
    ("네", "네요"),
    ("지", "죠"),
    ("까", "까요"),
    ("게", "게요"),
    ("래", "래요"),
]
_CLAUSE_END = r"(?=[\s.,!?~…ㅋㅎㅠㅜ]*(?:$|[.,!?~…]))"


def _compose(lead: int, vowel: int, tail: int) -> str:
    return chr(_FIRST + lead * 588 + vowel * 28 + tail)


def _split(ch: str) -> tuple[int, int, int] | None:
    code = ord(ch) - _FIRST
    return (code // 588, (code % 588) // 28, code % 28) if 0 <= code <= _LAST - _FIRST else None


def nospace(text: str, rng: random.Random) -> str:
    return (
        "".join(text.split())
        if rng.random() < 0.7
        else re.sub(r"\s+", lambda m: "" if rng.random() < 0.6 else m.group(), text)
    )


def nopunct(text: str, rng: random.Random) -> str:
    return " ".join(_PUNCT.sub(" ", text).split()) or text


def typo(text: str, rng: random.Random, rate: float = 0.35) -> str:
    """Misspell some of the places where people misspell by ear (at least one if there is any)."""
    chars = list(text)
    spots = [(i, kind) for i in range(len(chars)) for kind in _typo_kinds(chars, i)]
    if not spots:
        return text
    for i, kind in [s for s in spots if rng.random() < rate] or [rng.choice(spots)]:
        _misspell(chars, i, kind, rng)
    return "".join(chars)


def _typo_kinds(chars: list[str], i: int) -> list[str]:
    parts = _split(chars[i])
    if parts is None:
        return []
    lead, vowel, tail = parts
    kinds = []
    nxt = _split(chars[i + 1]) if i + 1 < len(chars) else None
    if (
        tail
        and nxt is not None
        and nxt[0] == _LEAD_IX["ㅇ"]
        and _TAILS[tail] in _LEAD_IX
        and _TAILS[tail] != "ㅎ"
    ):
        kinds.append("liaison")  # 있어 -> 이써
    if _TAILS[tail] in _SINGLE_TAIL:
        kinds.append("tail")  # 왔 -> 왓, 좋 -> 조
    if _LEADS[lead] in _SINGLE_LEAD:
        kinds.append("lead")  # 짜 -> 자
    if vowel in _VOWEL_SWAP:
        kinds.append("vowel")  # 돼 -> 되, 게 -> 개
    if chars[i] == "요" and (i + 1 == len(chars) or _split(chars[i + 1]) is None):
        kinds.append("yo")  # 요 -> 여
    return kinds


def _misspell(chars: list[str], i: int, kind: str, rng: random.Random) -> None:
    """One misspelling at chars[i], read from its current state (an earlier one may have changed it)."""
    parts = _split(chars[i])
    if parts is None or kind not in _typo_kinds(chars, i):
        return
    lead, vowel, tail = parts
    if kind == "liaison":
        nxt = _split(chars[i + 1])
        assert nxt is not None
        moved = _TAILS[tail]
        chars[i] = _compose(lead, vowel, 0)
        chars[i + 1] = _compose(_LEAD_IX[moved], nxt[1], nxt[2])
    elif kind == "tail":
        chars[i] = _compose(lead, vowel, _TAIL_IX.get(_SINGLE_TAIL[_TAILS[tail]], 0))
    elif kind == "lead":
        chars[i] = _compose(_LEAD_IX[_SINGLE_LEAD[_LEADS[lead]]], vowel, tail)
    elif kind == "vowel":
        chars[i] = _compose(lead, _VOWEL_SWAP[vowel], tail)
    else:
        chars[i] = rng.choice(["여", "용", "욥"])


def speech(text: str, rng: random.Random) -> str:
    """존댓말 -> 반말 if the text has a polite clause end, else 반말 -> 존댓말."""
    for rules in (_TO_BANMAL, _TO_JONDAE):
        out = text
        for src, dst in rules:
            out = re.sub(re.escape(src) + _CLAUSE_END, dst, out)
        if out != text:
            return out
    return text


class Marks:
    """The laughing/crying marks each emotion's training lines carry, to append to lines without one."""

    def __init__(self, texts: Sequence[str], emotions: Sequence[str | None]):
        self.by_emotion: dict[str | None, Counter[str]] = defaultdict(Counter)
        for text, emotion in zip(texts, emotions, strict=True):
            for mark in MARK.findall(text):
                self.by_emotion[emotion][mark] += 1

    def __call__(self, text: str, emotion: str | None, rng: random.Random) -> str:
        seen = self.by_emotion.get(emotion)
        if not seen or MARK.search(text):
            return text
        marks, counts = zip(*sorted(seen.items()), strict=True)
        mark = rng.choices(marks, weights=counts)[0]
        return f"{text} {mark}" if rng.random() < 0.5 else f"{text}{mark}"


def repeat(text: str, rng: random.Random) -> str:
    found = list(MARK.finditer(text))
    if found:
        m = rng.choice(found)
        return text[: m.start()] + m.group()[0] * rng.randint(3, 7) + text[m.end() :]
    return text


RULES = ("nospace", "nopunct", "typo", "speech", "marks", "repeat")


class Augmenter:
    """A variant of a line under one or two rules drawn at random (the rules that change it)."""

    def __init__(self, texts: Sequence[str], emotions: Sequence[str | None], rules: Sequence[str] = RULES):
        unknown = set(rules) - set(RULES)
        if unknown:
            raise ValueError(f"unknown augmentation rules {sorted(unknown)}; use {', '.join(RULES)}")
        self.rules = tuple(rules)
        self.marks = Marks(texts, emotions)

    def variant(self, text: str, emotion: str | None, rng: random.Random) -> str:
        picks = rng.sample(self.rules, k=min(len(self.rules), 1 + (rng.random() < 0.4)))
        out = text
        for rule in picks:
            out = self._apply(rule, out, emotion, rng)
        return out

    def _apply(self, rule: str, text: str, emotion: str | None, rng: random.Random) -> str:
        if rule == "marks":
            return self.marks(text, emotion, rng)
        return {"nospace": nospace, "nopunct": nopunct, "typo": typo, "speech": speech, "repeat": repeat}[
            rule
        ](text, rng)
