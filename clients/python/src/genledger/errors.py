"""The errors a GenLedger service answers, as exceptions that carry what it said."""

from __future__ import annotations

from typing import Any


class GenLedgerError(Exception):
    """An error answered by the service (`{"error": {...}}`) or found before sending.

    `status` is the HTTP status (0 when the client refused the event itself), `code` the
    service's code (`invalid-events`, `conflict`, ...), `field` the JSON path at fault."""

    def __init__(self, message: str, *, status: int = 0, code: str = "", details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details: dict[str, Any] = details or {}

    @property
    def field(self) -> str | None:
        return self.details.get("field")

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.message}{where}"


class InvalidEvent(GenLedgerError):
    """The event does not fit the vocabulary: refused by the client's schema check (status 0)
    or by the service (422). `field` names the JSON path, `errors` every problem found."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.details.get("errors", []))


class PolicyDenied(GenLedgerError):
    """The gate denied a request. Nothing but the `policy.denied` record was appended."""

    @property
    def policy(self) -> str | None:
        return self.details.get("policy")

    @property
    def version(self) -> int | None:
        return self.details.get("version")

    @property
    def rule(self) -> str | None:
        return self.details.get("rule")

    @property
    def reason(self) -> str:
        return self.message

    @property
    def denied_seq(self) -> int | None:
        """The seq of the `policy.denied` event that records the denial."""
        return self.details.get("denied_seq")

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.details.get("findings", []))

    @property
    def requires_approval(self) -> bool:
        """An approver can lift this denial with an override."""
        return any(f.get("action") == "require-approval" for f in self.findings) or self.details.get(
            "action"
        ) == "require-approval"

    def __str__(self) -> str:
        return f"denied by policy {self.policy!r} v{self.version}, rule {self.rule!r}: {self.message} (policy.denied seq {self.denied_seq})"


class Unauthenticated(GenLedgerError):
    """401: the service did not accept the token (missing, mistyped or revoked)."""


class Forbidden(GenLedgerError):
    """403: the token's role may not do this (a writer approving, an approver appending)."""


class Conflict(GenLedgerError):
    """409: an `expected_version` did not hold, or an id or Idempotency-Key was reused for other content."""


class NotFound(GenLedgerError):
    """404: no such deliverable, model, seq or asset."""


class Unavailable(GenLedgerError):
    """The service could not be reached, or kept answering 429/5xx, after every retry."""


def from_answer(status: int, body: Any) -> GenLedgerError:
    """The exception for an error answer of the service."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    message = error.get("message") or f"HTTP {status}"
    code = error.get("code", "")
    details = {k: v for k, v in error.items() if k not in ("message", "code", "status")}
    if status == 401:
        return Unauthenticated(
            f"{message}: the service refused the token (is it the one `genledger token create` printed, and not revoked?)",
            status=status, code=code, details=details)
    if status == 403 and code == "policy-denied":
        return PolicyDenied(message, status=status, code=code, details=details)
    if status == 403:
        return Forbidden(f"{message}: the token's role may not do this (docs/API.md, Tokens and roles)",
                         status=status, code=code, details=details)
    if status == 404:
        return NotFound(message, status=status, code=code, details=details)
    if status == 409:
        return Conflict(message, status=status, code=code, details=details)
    if status == 422:
        if code == "invalid-events" and error.get("errors"):
            first = error["errors"][0]
            details = {**details, "field": first.get("field"), "index": first.get("index")}
            message = first.get("message", message)
        return InvalidEvent(message, status=status, code=code, details=details)
    return GenLedgerError(message, status=status, code=code, details=details)
