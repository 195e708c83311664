"""The Context0 SDK for Python.

    from context0 import Client

    client = Client(api_key="your-api-key")
    memory = client.memories.create(text="Important meeting today")
"""

from ._http import DEFAULT_BASE_URL, RateLimit
from ._version import __version__
from .client import AsyncClient, Client
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    Context0Error,
    JobFailedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from .signatures import sign_webhook, verify_webhook

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "DEFAULT_BASE_URL",
    "RateLimit",
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
    "verify_webhook",
    "sign_webhook",
]
