"""Checkout launcher: `python main.py` -> the desktop app (ui/), `python main.py COMMAND` -> the CLI.

Installed, the same launcher is the `kobert-chat` command and `python -m kobert_chat`.
"""

import sys

from kobert_chat.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
