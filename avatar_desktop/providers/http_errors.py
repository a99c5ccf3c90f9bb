"""HTTP answers and transport failures → ``AvatarServiceError`` with the right kind."""

from __future__ import annotations

from typing import Any

import httpx

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind


def _message(response: httpx.Response) -> tuple[Any, str]:
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if isinstance(body, dict):
        return body.get("code"), str(body.get("message") or body.get("error") or "")
    return None, ""


def error_for(response: httpx.Response) -> AvatarServiceError:
    code, message = _message(response)
    status = response.status_code
    lowered = message.lower()
    if status == 401 or code == 400112:
        kind = ErrorKind.BAD_API_KEY
    elif code == 10013 or "avatar not found" in lowered:
        kind = ErrorKind.AVATAR_NOT_FOUND
    elif status == 402 or "credit" in lowered:
        kind = ErrorKind.NO_CREDITS
    elif "concurrent limit" in lowered:
        kind = ErrorKind.CONCURRENT_LIMIT
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status >= 500:
        kind = ErrorKind.SERVER_ERROR
    else:
        kind = ErrorKind.BAD_RESPONSE
    return AvatarServiceError(kind, f"HTTP {status} code {code}: {message}", status)


def transport_error(exc: httpx.HTTPError) -> AvatarServiceError:
    if isinstance(exc, httpx.TimeoutException):
        return AvatarServiceError(ErrorKind.TIMEOUT, type(exc).__name__)
    return AvatarServiceError(ErrorKind.NETWORK, f"{type(exc).__name__}: {exc}")


def data_of(response: httpx.Response, ok_codes: tuple[int, ...]) -> Any:
    """The ``data`` of a successful envelope; raises for HTTP errors and non-success codes."""
    if response.is_error:
        raise error_for(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "the answer is not a JSON object")
    code = body.get("code")
    if code is not None and code not in ok_codes:
        raise error_for(response)
    return body.get("data")
