"""The one error type users see.

Every problem with user input (a file, a configuration, a value out of range) is raised as
:class:`ImcbenchError` with a message that names the problem and what to do. The CLI prints the
message on one line and exits with status 2, without a traceback.
"""

from __future__ import annotations


class ImcbenchError(ValueError):
    """A user-facing error: the message says what is wrong and how to fix it."""

    exit_code = 2


def require(condition: bool, message: str) -> None:
    """Raise :class:`ImcbenchError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ImcbenchError(message)
