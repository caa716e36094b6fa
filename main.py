"""kobert-chat entry point: no arguments -> the desktop app; subcommands -> the CLI (same engine)."""

import sys

from kobert_chat.cli import main

if __name__ == "__main__":
    sys.exit(main())
