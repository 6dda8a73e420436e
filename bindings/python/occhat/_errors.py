"""The exceptions of the occhat package: one base class, one subclass per family of SDK codes.

Every error has `.code` (the SDK's stable lower-case code, e.g. "auth_failed") and `.exit_code`
(what the `occhat` CLI would exit with for it), so a script can mirror the CLI's behaviour.
"""

import builtins

# The CLI's exit codes (see the CLI contract): 1 usage/invalid argument, 2 unreachable,
# 3 authentication, 4 not found, 5 not allowed, 6 rate-limited, 7 integrity, 10 anything else.
_EXIT_CODES = {
    "invalid_argument": 1,
    "unavailable": 2,
    "timeout": 2,
    "auth_failed": 3,
    "unauthenticated": 3,
    "not_found": 4,
    "not_allowed": 5,
    "rate_limited": 6,
    "integrity": 7,
}


class Error(Exception):
    """Base class of every occhat error. `code`: stable string; `exit_code`: the CLI's."""

    def __init__(self, message: str, code: str = "internal", retry_after: float = 0.0):
        super().__init__(message)
        self.message = message
        self.code = code
        self.exit_code = _EXIT_CODES.get(code, 10)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class AuthError(Error):
    """Wrong id or password (auth_failed), or not logged in / token revoked (unauthenticated)."""


class NotFoundError(Error):
    """No such user, file, friendship or request (not_found)."""


class NotAllowedError(Error):
    """The server refused: e.g. the user is not your friend (not_allowed)."""


class RateLimitedError(Error):
    """Too many attempts; `retry_after` is the number of seconds to wait (rate_limited)."""


class IntegrityError(Error):
    """A file did not match its SHA-256 (integrity)."""


class ConnectionError(Error, builtins.ConnectionError):
    """Cannot reach the server, the connection was lost (unavailable) or no answer came in time
    (timeout). Also a builtins.ConnectionError, so `except ConnectionError` catches it."""


class InvalidArgumentError(Error, ValueError):
    """The server or the SDK rejected an argument (invalid_argument); also a ValueError."""


_CLASSES = {
    "auth_failed": AuthError,
    "unauthenticated": AuthError,
    "not_found": NotFoundError,
    "not_allowed": NotAllowedError,
    "rate_limited": RateLimitedError,
    "integrity": IntegrityError,
    "unavailable": ConnectionError,
    "timeout": ConnectionError,
    "invalid_argument": InvalidArgumentError,
}


def _from_sdk(code: str, message: str, retry_after_ms: int = 0) -> Error:
    """Called by the extension to turn an occhat::Error into the matching exception instance."""
    cls = _CLASSES.get(code, Error)
    return cls(message, code, retry_after_ms / 1000.0)
