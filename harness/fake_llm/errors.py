"""Anthropic-shaped API errors: status, `error.type` and the JSON body the SDK parses."""

from __future__ import annotations

import json

# Status -> error.type, as the real API documents them.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

DEFAULT_MESSAGES: dict[str, str] = {
    "rate_limit_error": "Number of requests has exceeded your rate limit. Please try again later.",
    "api_error": "Internal server error",
    "overloaded_error": "Overloaded",
    "timeout_error": "Request timed out",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "invalid_request_error": "Invalid request",
    "not_found_error": "Not found",
}


def error_type_for(status: int) -> str:
    """The `error.type` the real API uses for `status` (api_error for unlisted 5xx)."""
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


class APIError(Exception):
    """An error response: raised anywhere in request handling, rendered by the app."""

    def __init__(
        self, status: int, message: str | None = None, *, retry_after: float | None = None
    ):
        self.status = status
        self.type = error_type_for(status)
        self.message = message or DEFAULT_MESSAGES.get(self.type, "Error")
        self.retry_after = retry_after
        super().__init__(f"{status} {self.type}: {self.message}")

    def body(self, request_id: str | None = None) -> bytes:
        payload: dict[str, object] = {
            "type": "error",
            "error": {"type": self.type, "message": self.message},
        }
        if request_id:
            payload["request_id"] = request_id
        return json.dumps(payload).encode()


def invalid(message: str) -> APIError:
    return APIError(400, message)
