"""The launcher, `kobert-chat` / `python -m kobert_chat`: no subcommand -> the desktop app, else the CLI.

This is the top of the stack and the only engine-side module that reaches for the UI. The UI ships
inside the wheel as `kobert_chat.ui` (pyproject maps the checkout's `ui/` there); in a checkout it is
the top-level `ui` package next to `main.py`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from kobert_chat import cli


def desktop_app() -> Callable[..., int]:
    """ui.app.run_app from the wheel's kobert_chat.ui, else from a checkout's ui/."""
    try:
        module = importlib.import_module("kobert_chat.ui.app")
    except ModuleNotFoundError as e:
        if e.name not in ("kobert_chat.ui", "kobert_chat.ui.app"):
            raise  # the UI is there but something it needs is missing: say that, not "no UI"
        module = importlib.import_module("ui.app")
    return module.run_app


def main(argv: list[str] | None = None) -> int:
    args = cli.parse_args(argv)
    if args.command is None:
        return cli.guarded(lambda: desktop_app()(screenshot=args.screenshot, device=args.device))
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
