"""Typed errors. Every error the API answers becomes a `Context0Error` subclass that
carries the HTTP status, the API's error code, its message, the offending field (for
validation errors) and the raw body; network failures become `APIConnectionError`."""

from __future__ import annotations

from typing import Any

__all__ = [
    "Context0Error",
    "APIError",
    "ValidationError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
    "JobFailedError",
    "WaitTimeoutError",
    "WebhookVerificationError",
]


class Context0Error(Exception):
    """The base of every error this SDK raises."""


class APIError(Context0Error):
    """The server answered with an error status.

    `code` is the API's error code (`VALIDATION_ERROR`, `RESOURCE_NOT_FOUND`, …), `field`
    the request field a validation error is about (or None), `body` the decoded answer.
    The Context API's errors (`{"response", "error"}`) and the Context0 envelope's
    (`{"success": false, "message", "error": {"code", "details", "field"}}`) both land here.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        field: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.body = body
        self.headers = headers or {}

    def __str__(self) -> str:
        where = f" (field: {self.field})" if self.field else ""
        return f"{self.status} {self.code or 'ERROR'}: {self.message}{where}"


class ValidationError(APIError):
    """400 (a body the server cannot read) or 422 (a field that fails validation)."""


class AuthenticationError(APIError):
    """401: a missing, malformed, badly signed, expired or revoked token or API key."""


class PermissionDeniedError(APIError):
    """403 (the token lacks the scope, or the user is disabled) or 402 (disabled user on
    `/context/view/docs`, the Context API's "Invalid user")."""


class NotFoundError(APIError):
    """404: the resource does not exist or belongs to someone else."""


class RateLimitError(APIError):
    """429: beyond the hourly limit. `retry_after` is how many seconds the server asked
    the client to wait (None when it did not say)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed."""


class APIConnectionError(Context0Error):
    """No answer: the connection failed or broke before a response arrived."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


class JobFailedError(Context0Error):
    """A job waited on with `jobs.wait()` ended `failed` or `cancelled`; `job` is its record."""

    def __init__(self, job: dict[str, Any]) -> None:
        super().__init__(f"job {job.get('id')} ({job.get('kind')}) {job.get('state')}: {job.get('last_error')}")
        self.job = job


class WaitTimeoutError(Context0Error):
    """A wait helper (`jobs.wait`, `context.wait_until_indexed`) ran out of time; `last`
    is what it saw last."""

    def __init__(self, message: str, last: Any = None) -> None:
        super().__init__(message)
        self.last = last


class WebhookVerificationError(Context0Error):
    """A webhook delivery whose signature, id or timestamp does not check out."""


def error_for_status(status: int) -> type[APIError]:
    """The error class for an HTTP error status."""
    if status in (400, 422):
        return ValidationError
    if status == 401:
        return AuthenticationError
    if status in (402, 403):
        return PermissionDeniedError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return APIError
