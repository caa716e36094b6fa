"""The desktop app (PySide6). Never runs SQL or torch itself: engine calls go through ui.worker."""

from .pyside_fix import keep_none_alive

keep_none_alive()  # before any PySide6 call: see ui/pyside_fix.py
