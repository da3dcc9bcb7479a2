"""Errors of the REST API as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE = "application/problem+json"

#: status -> title (RFC 9110 reason phrases)
TITLES = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
          422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


class ApiError(Exception):
    """An error answered as a problem (``type`` is a short slug under ``/problems/``)."""

    def __init__(self, status: int, detail: str, kind: str | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra or {}


def problem_body(status: int, detail: str | None, instance: str | None = None, kind: str | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": f"/problems/{kind}" if kind else "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return body


def not_found(what: str, ident: str) -> ApiError:
    """The same answer whether the id does not exist or belongs to someone else."""
    return ApiError(404, f"no {what} {ident}", "not-found")
