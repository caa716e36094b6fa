"""Exceptions the CLI and the UI turn into clear messages.

InputError  -> the user gave something we cannot use (CLI exit 2).
StoreError  -> the database cannot be opened safely (corrupt, newer schema; never overwritten), or a
               write to it failed (disk full, busy, read-only) and was rolled back whole.
ModelError  -> a model folder is missing, incomplete, or not loadable safely.
WriteError  -> a file could not be written (disk full, read-only); the old file is left as it was.
"""


class KobertChatError(Exception):
    """Base for errors with a message meant for the user."""


class InputError(KobertChatError, ValueError):
    pass


class StoreError(KobertChatError):
    pass


class ModelError(KobertChatError):
    pass


class WriteError(KobertChatError, OSError):
    """Also an OSError, so callers that already handle OSError keep working; `errno` is kept."""


class TrainingCancelled(KobertChatError):
    pass
