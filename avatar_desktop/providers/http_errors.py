"""HTTP answers and transport failures → ``AvatarServiceError`` with the right kind.

Classified from the status, the envelope's code and its message as each product documents them
(../shared/reference/contract.md §1.1, §4.7). What no source explains is ``REFUSED``: said in
plain words with the raw status and code kept for diagnostics, and never retried blindly.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from avatar_desktop.core.errors import AvatarServiceError, ErrorKind

Product = Literal["liveavatar", "v1"]


def _message(response: httpx.Response) -> tuple[Any, str]:
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if isinstance(body, dict):
        text = body.get("message") or body.get("error") or body.get("detail") or ""
        return body.get("code"), str(text)[:500]
    return None, ""


def retry_after_s(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (LiveAvatar also sends ``X-RateLimit-Reset``, §1.1)."""
    for header in ("Retry-After", "X-RateLimit-Reset"):
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            continue
    return None


def _liveavatar_kind(status: int, code: Any, lowered: str) -> ErrorKind:
    if status in (401, 403) or code == 4003:  # 403 {code: 4003, "Not authenticated"} (§1.1)
        return ErrorKind.BAD_API_KEY
    if "concurrent" in lowered:  # reported by users, shape SILENT (§3): whatever the status
        return ErrorKind.CONCURRENT_LIMIT
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 402 or "credit" in lowered:  # no credits for a minute (§3); shape SILENT
        return ErrorKind.NO_CREDITS
    if "avatar" in lowered and "not found" in lowered:
        return ErrorKind.AVATAR_NOT_FOUND
    if status >= 500:
        return ErrorKind.SERVER_ERROR
    return ErrorKind.REFUSED  # 422 {code: 4000, "Request validation errors…"} among others


def _v1_kind(status: int, code: Any, lowered: str) -> ErrorKind:
    if status == 401 or code == 400112:
        return ErrorKind.BAD_API_KEY
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if code == 10013 or "avatar not found" in lowered:
        return ErrorKind.AVATAR_NOT_FOUND
    if "concurrent limit" in lowered:
        return ErrorKind.CONCURRENT_LIMIT
    if status == 402 or "credit" in lowered:
        return ErrorKind.NO_CREDITS
    if status >= 500:
        return ErrorKind.SERVER_ERROR
    return ErrorKind.REFUSED


def error_for(response: httpx.Response, product: Product) -> AvatarServiceError:
    code, message = _message(response)
    status = response.status_code
    classify = _liveavatar_kind if product == "liveavatar" else _v1_kind
    kind = classify(status, code, message.lower())
    return AvatarServiceError(
        kind,
        f"HTTP {status} code {code}: {message}",
        status,
        code=code,
        retry_after_s=retry_after_s(response) if kind is ErrorKind.RATE_LIMITED else None,
    )


def transport_error(exc: httpx.HTTPError) -> AvatarServiceError:
    if isinstance(exc, httpx.TimeoutException):
        return AvatarServiceError(ErrorKind.TIMEOUT, type(exc).__name__)
    return AvatarServiceError(ErrorKind.NETWORK, f"{type(exc).__name__}: {exc}")


def data_of(response: httpx.Response, ok_codes: tuple[Any, ...], product: Product) -> Any:
    """The ``data`` of a successful envelope; raises for HTTP errors and non-success codes."""
    if response.is_error:
        raise error_for(response, product)
    try:
        body = response.json()
    except ValueError as exc:
        raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise AvatarServiceError(ErrorKind.BAD_RESPONSE, "the answer is not a JSON object")
    code = body.get("code")
    if code is not None and code not in ok_codes:
        raise error_for(response, product)
    return body.get("data")
