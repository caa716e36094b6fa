"""Exceptions the CLI and the UI turn into clear messages.

InputError  -> the user gave something we cannot use (CLI exit 2).
StoreError  -> the database cannot be opened safely (corrupt, newer schema); never overwritten.
ModelError  -> a model folder is missing, incomplete, or not loadable safely.
"""


class KobertChatError(Exception):
    """Base for errors with a message meant for the user."""


class InputError(KobertChatError, ValueError):
    pass


class StoreError(KobertChatError):
    pass


class ModelError(KobertChatError):
    pass


class TrainingCancelled(KobertChatError):
    pass
