"""GitHub-shaped API errors."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: status, message and optional validation errors."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """Return the JSON body GitHub sends for this error."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


def not_found(message: str = "Not Found") -> ApiError:
    """Return a 404 error."""
    return ApiError(404, message)


def invalid(resource: str, field: str, code: str = "invalid") -> ApiError:
    """Return a 422 for one invalid or missing field."""
    return ApiError(
        422, "Validation Failed", [{"resource": resource, "field": field, "code": code}]
    )


def custom(resource: str, message: str) -> ApiError:
    """Return a 422 whose error carries a custom message."""
    return ApiError(
        422, "Validation Failed", [{"resource": resource, "code": "custom", "message": message}]
    )
