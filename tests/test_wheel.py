"""`pip install .` gives a complete app: the wheel is built from a copy of the checkout, installed into a
fresh venv outside it, and run from an empty folder on a fresh data home, as a user on another machine
would (`kobert-chat predict`, `python -m kobert_chat chat`).

The new venv gets its dependencies (torch, PySide6, ...) through a .pth file pointing at this
interpreter's site-packages, so the test installs only what the wheel itself holds; the wheel's own
metadata is checked to ask for those dependencies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT, SAFETY_TIMEOUT_S

SOURCES = ("pyproject.toml", "README.md", "kobert_chat", "ui", "resources")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout (a build writes build/ and *.egg-info beside its sources)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "screenshots")
            )
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        timeout=SAFETY_TIMEOUT_S,
        capture_output=True,
    )
    (built,) = out.glob("kobert_chat-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=SAFETY_TIMEOUT_S
    )
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # dependencies from this interpreter's environment; the app itself only from the wheel
    Path(purelib, "dev-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        timeout=SAFETY_TIMEOUT_S,
        capture_output=True,
    )
    return root


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        KOBERT_CHAT_HOME=str(home),
        XDG_CONFIG_HOME=str(home.parent / "config"),
        KOBERT_CHAT_STARTER_RECIPE="tiny",  # a real first-run build, in seconds instead of minutes
        OMP_NUM_THREADS="1",
    )
    return env


def test_wheel_holds_one_package_with_its_resources_and_no_bare_modules(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"kobert_chat"}, top  # no `main`, no bare `ui`
    for needed in (
        "kobert_chat/__main__.py",
        "kobert_chat/ui/app.py",
        "kobert_chat/resources/data/answers.csv",
        "kobert_chat/resources/style/light.qss",
        "kobert_chat/resources/icons/send.svg",
    ):
        assert needed in names, needed
    bundled = [p for p in (ROOT / "resources" / "data" / "utterances").glob("*.csv")]
    assert {f"kobert_chat/resources/data/utterances/{p.name}" for p in bundled} <= set(names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    for dep in ("torch", "transformers", "sentencepiece", "sqlite-utils", "PySide6-Essentials"):
        assert f"Requires-Dist: {dep}" in meta, dep
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kobert-chat = kobert_chat.__main__:main" in entry


def test_installed_app_predicts_and_chats_from_an_empty_folder_on_a_fresh_home(venv: Path, tmp_path: Path):
    cwd = tmp_path / "empty"
    cwd.mkdir()
    home = tmp_path / "home"
    env = _env(home)
    where = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import kobert_chat, importlib.util as u; print(kobert_chat.__file__);"
            "print(u.find_spec('ui'), u.find_spec('main'))",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(venv)), where  # the installed copy, not the checkout
    assert where[1] == "None None", where

    predicted = subprocess.run(
        [str(venv / "bin" / "kobert-chat"), "predict", "안녕", "--json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    assert '"text": "안녕"' in predicted.stdout and '"intent"' in predicted.stdout
    assert list((home / "models").iterdir()), "the starter was built from the wheel's bundled data"

    chatted = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "kobert_chat", "chat"],
        input="안녕하세요\n/quit\n",
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    assert chatted.returncode == 0, chatted.stderr[-3000:]
    assert "봇>" in chatted.stdout, chatted.stdout
    assert not list(cwd.iterdir()), "nothing written to the folder it was started from"
