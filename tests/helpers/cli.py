"""Running `python main.py ...` the way users and scripts do: a child process on an isolated data home.

Each command gets its own KOBERT_CHAT_HOME and XDG_CONFIG_HOME, so nothing touches the real home, and
one torch thread, so a few commands started side by side share the 2-core test machine fairly.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import ROOT, SAFETY_TIMEOUT_S


@dataclass(frozen=True)
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def events(self) -> list[dict]:
        """stdout as JSON lines (fails the test if any line is not JSON)."""
        return [json.loads(line) for line in self.out.splitlines()]

    def __str__(self) -> str:  # shown by pytest when an assert on a Result fails
        return f"{' '.join(self.args[1:])}\nexit {self.code}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


def cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KOBERT_CHAT_HOME=str(home),
        XDG_CONFIG_HOME=str(home.parent / "config"),
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return env


def command(*args: object) -> list[str]:
    return [sys.executable, "main.py", "--device", "cpu", *map(str, args)]


def start(home: Path, *args: object, stdin: str | None = None) -> Callable[[], Result]:
    """Start `main.py --device cpu ARGS` on home; returns a function that waits and gives the Result.
    Output goes to temp files, so several commands can run side by side without filling a pipe."""
    cmd = command(*args)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=cli_env(home),
        stdout=out,
        stderr=err,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
    )
    if stdin is not None:
        proc.stdin.write(stdin.encode("utf-8"))
        proc.stdin.close()

    def wait() -> Result:
        code = proc.wait(timeout=SAFETY_TIMEOUT_S)
        out.seek(0)
        err.seek(0)
        result = Result(cmd, code, out.read().decode("utf-8"), err.read().decode("utf-8"))
        out.close()
        err.close()
        return result

    return wait


def run(home: Path, *args: object, stdin: str | None = None) -> Result:
    return start(home, *args, stdin=stdin)()


def run_side_by_side(home: Path, *commands: tuple) -> list[Result]:
    """Independent commands on one home, started together; results in the same order."""
    waits = [start(home, *args) for args in commands]
    return [wait() for wait in waits]


def assert_bad_input(result: Result, *words: str) -> str:
    """Exit 2 with ONE clear line on stderr (mentioning each of `words`) and no traceback anywhere."""
    assert result.code == 2, result
    assert "Traceback" not in result.err + result.out, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result
    for word in words:
        assert word.lower() in lines[0].lower(), result
    return lines[0]


# -- small labeled files written the way users' tools write them ---------------------------------------

TOPICS = [
    "영화",
    "식당",
    "호텔",
    "수업",
    "책",
    "공연",
    "카페",
    "여행",
    "게임",
    "드라마",
    "전시회",
    "택배",
    "새 휴대폰",
    "이번 강의",
    "동네 빵집",
    "콘서트",
    "앱 업데이트",
    "헬스장",
    "미용실",
    "캠핑장",
]
SENTIMENT = {
    "positive": "{} 정말 마음에 들었어요",
    "negative": "{} 완전 실망스러웠어요",
    "neutral": "{} 그냥 평범했어요",
}
MOOD = {"좋음": "{} 덕분에 하루가 즐거웠어", "나쁨": "{} 때문에 기분이 확 상했어"}


def sentiment_rows() -> list[tuple[str, str]]:
    """60 (text, label) rows, three classes, in a mixed order."""
    return [(template.format(topic), label) for topic in TOPICS for label, template in SENTIMENT.items()]


def mood_rows() -> list[tuple[str, str]]:
    """40 (text, label) rows, two classes."""
    return [(template.format(topic), label) for topic in TOPICS for label, template in MOOD.items()]


def write_table(
    path: Path, header: list[str], rows: list[tuple], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, objects: list[dict]) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
    return path
