"""kobert-chat engine: everything except the window. Never imports Qt."""

__version__ = "0.1.0"
