"""Errors a user can act on: each names what was wrong, where, and what to do.

Every error carries the process exit code the CLI should use, so the mapping from
failure to exit status lives next to the failure and not in every command.
"""

from __future__ import annotations


class CctraceError(Exception):
    """Base class: a message fit for the user and the exit code for the CLI."""

    exit_code: int = 1

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The input field at fault, named as the API names it (``consent_file``): the API
        # returns it so a form can mark the field; the CLI's message already names it.
        self.field = field


class InputError(CctraceError):
    """Unreadable, missing or malformed input file or argument (exit 2)."""

    exit_code = 2


class NoFaceError(CctraceError):
    """An image that must show a face shows none usable (exit 3)."""

    exit_code = 3


class ModelError(CctraceError):
    """A model file is missing, altered or unloadable (exit 5)."""

    exit_code = 5


class AuthError(CctraceError):
    """No token, an unknown one, or one that expired or was revoked (exit 4)."""

    exit_code = 4


class CorruptDataError(CctraceError):
    """Stored data fails its integrity check: wrong key, altered or truncated (exit 6).

    Kept apart from InputError because the remedy differs: the user's command was fine,
    the data folder is not (restore the key file or a backup).
    """

    exit_code = 6


class NotFoundError(InputError):
    """An id that names nothing: a case, trace run, job, user or camera (exit 2, HTTP 404)."""


class TooLargeError(InputError):
    """An upload or file over its size limit (exit 2, HTTP 413)."""
