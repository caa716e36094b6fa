#!/usr/bin/env bash
# One entry point for a fresh machine: creates (or reuses) .venv with pinned packages, then
#   bash run.sh            -> the desktop app
#   bash run.sh test       -> lint (ruff), format check, type check (mypy), then the whole test suite
#   bash run.sh ARGS...    -> python main.py ARGS... (chat, predict, train, ...)
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
want="dev"; [ "${1:-}" = "test" ] || want="app"
stamp="$VENV/.installed-$want-$(cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)"
if [ ! -f "$stamp" ]; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  req=requirements.txt; [ "$want" = "dev" ] && req=requirements-dev.txt
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
if [ "${1:-}" = "test" ]; then
  shift
  export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
  if [ $# -eq 0 ]; then  # the whole suite: the habits first (seconds), then the tests
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"  # kobert_chat/, configured in pyproject.toml
  fi
  exec "$VENV/bin/python" -m pytest -q "$@"
fi
exec "$VENV/bin/python" main.py "$@"
