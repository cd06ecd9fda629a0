"""One error type for the whole product. Every refusal a user can meet is an ApplicationError with a
stable code; the API renders it as {"error": {"code", "message", "fields"}}, a WebSocket as an
error frame."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(ApplicationError):
    code = "invalid"


class NotFound(ApplicationError):
    code = "not_found"
    status = 404


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403


class RateLimited(ApplicationError):
    """Over a rate limit; `retry_after`: whole seconds until the next attempt is accepted (the API
    also sends it as the Retry-After header)."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body
