"""Korean-aware text features for the TF-IDF expert (tfidf.py): which n-grams a text is made of.

People type the same thing many ways: ㅋㅋㅋㅋㅋ or ㅋㅋ, 감사합니다 or 감사 합니다 or 감사함니다, 고마워 or
ㄱㅁ. Plain character n-grams (scikit-learn's char_wb, the baseline's) see each spelling as new. An
analyzer is a "+"-joined list of parts, each adding one kind of n-gram to the same bag:

    char_wb   character 1-4-grams inside " word " windows (scikit-learn's char_wb; the baseline's)
    nospace   character 2-4-grams of the text with every space removed: spacing-insensitive
    jamo      2-4-grams of each word spelled in jamo (감 -> ㄱㅏㅁ): a one-key typo changes one jamo,
              not a whole syllable
    cho       2-3-grams of each word's initial consonants (감사해 -> ㄱㅅㅎ): the 초성 abbreviations
              people type (ㄱㅅ, ㅇㅈ, ㅊㅋ) meet the words they stand for
    morph     morphemes and morpheme bigrams from kiwipiepy, an optional package that is not installed
              by default (106 MB with its model, ~4 s to start): measured, it did not pay for itself

"norm" as a part first collapses runs of one repeated character to two (ㅋㅋㅋㅋ -> ㅋㅋ, !!!! -> !!) for
every part. Parts other than char_wb tag their n-grams so two kinds never share a feature.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_CHARS = 512  # n-grams come from the head of very long messages only
CHAR_WB = "char_wb"  # what folders saved before analyzers existed used
PARTS = ("norm", "char_wb", "nospace", "jamo", "cho", "morph")

_REPEATS = re.compile(r"(.)\1{2,}", re.DOTALL)
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
# Compatibility jamo (the letters a keyboard types), by their index in a composed syllable.
_LEADS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_TAILS = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]


def check_analyzer(analyzer: str) -> tuple[str, ...]:
    """The analyzer's parts; ValueError for an unknown part or one with no n-grams at all."""
    parts = tuple(p for p in analyzer.split("+") if p)
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not set(parts) - {"norm"}:
        raise ValueError(f"unknown TF-IDF analyzer {analyzer!r}: use '+'-joined parts of {', '.join(PARTS)}")
    return parts


def collapse_repeats(text: str) -> str:
    """Runs of three or more of one character become two: ㅋㅋㅋㅋㅋ -> ㅋㅋ, ㅠㅠㅠ -> ㅠㅠ, !!!! -> !!."""
    return _REPEATS.sub(r"\1\1", text)


def clean(text: str, normalize: bool = False) -> str:
    """NFC, lowercased, the head of a long text only; repeats collapsed if asked."""
    text = unicodedata.normalize("NFC", text)[:MAX_CHARS].lower()
    return collapse_repeats(text) if normalize else text


def jamo(word: str) -> str:
    """Each composed Hangul syllable spelled as its jamo (감 -> ㄱㅏㅁ); anything else unchanged."""
    return "".join(_JAMO.get(ch, ch) for ch in word)


def initials(word: str) -> str:
    """The initial consonant of each Hangul syllable (감사 -> ㄱㅅ); consonant letters typed alone stay."""
    return "".join(
        _LEADS[(ord(ch) - _HANGUL_FIRST) // 588] if _HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST else ch
        for ch in word
        if _HANGUL_FIRST <= ord(ch) <= _HANGUL_LAST or ch in _LEADS
    )


def _syllable_jamo() -> dict[str, str]:
    table = {}
    for code in range(_HANGUL_FIRST, _HANGUL_LAST + 1):
        s = code - _HANGUL_FIRST
        table[chr(code)] = _LEADS[s // 588] + _VOWELS[(s % 588) // 28] + _TAILS[s % 28]
    return table


_JAMO = _syllable_jamo()


def _windows(padded: str, n_min: int, n_max: int) -> list[str]:
    return [padded[i : i + n] for n in range(n_min, n_max + 1) for i in range(len(padded) - n + 1)]


def grams(text: str, analyzer: str = CHAR_WB) -> list[str]:
    """Every n-gram of the text under the analyzer, tagged by kind (char_wb's untagged, as before)."""
    parts = _parts(analyzer)
    text = clean(text, "norm" in parts)
    words = text.split()
    out: list[str] = []
    if "char_wb" in parts:
        for word in words:
            out.extend(_windows(f" {word} ", 1, 4))
    if "nospace" in parts:
        out.extend("s\x00" + g for g in _windows("".join(words), 2, 4))
    if "jamo" in parts:
        for word in words:
            out.extend("j\x00" + g for g in _windows(f" {jamo(word)} ", 2, 4))
    if "cho" in parts:
        for word in words:
            skeleton = initials(word)
            if len(skeleton) >= 2:
                out.extend("c\x00" + g for g in _windows(f" {skeleton} ", 2, 3))
    if "morph" in parts:
        forms = [f"{t.form}/{t.tag}" for t in _kiwi().tokenize(text)]
        out.extend("m\x00" + f for f in forms)
        out.extend("m\x00" + a + " " + b for a, b in zip(forms, forms[1:], strict=False))
    return out


@functools.cache
def _kiwi():
    try:
        from kiwipiepy import Kiwi
    except ImportError as e:
        raise ValueError("the morph analyzer part needs kiwipiepy: pip install kiwipiepy==0.24.1") from e
    return Kiwi(num_workers=-1)


@functools.lru_cache(maxsize=64)
def _parts(analyzer: str) -> frozenset[str]:
    return frozenset(check_analyzer(analyzer))
