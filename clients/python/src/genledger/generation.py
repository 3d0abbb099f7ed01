"""One generation, recorded whole: routed, asked of the gate, and completed or failed."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from .client import Appended, Client

FAILURE_MODES = ("timeout", "content-filter", "provider-error", "rate-limited", "artifacts", "character-drift",
                 "motion-incoherence", "quality-regression", "retired")


class GenerationFailure(Exception):
    """Raise inside a `generation` block to record how the provider failed (a failure mode of
    docs/EVENTS.md); any other exception is recorded as `provider-error` (`timeout` for timeouts)."""

    def __init__(self, failure_mode: str, message: str = ""):
        if failure_mode not in FAILURE_MODES:
            raise ValueError(f"failure_mode {failure_mode!r} is not one of: {', '.join(FAILURE_MODES)}")
        super().__init__(message or failure_mode)
        self.failure_mode = failure_mode
        self.message = message


def sha256_of(*, path: str | Path | None = None, data: bytes | None = None) -> str:
    """The lowercase hex SHA-256 of a file (read in 1 MiB blocks) or of bytes."""
    if (path is None) == (data is None):
        raise ValueError("give the output as path= or data=, one of them")
    digest = hashlib.sha256()
    if data is not None:
        digest.update(data)
    else:
        with open(path, "rb") as file:  # type: ignore[arg-type]
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class Generation:
    """`with client.generation("D-1", template="tpl-hero", template_version=2, seed=7,
    parameters={"aspect_ratio": "16:9", "duration_seconds": 8}) as gen:` routes the deliverable
    (or takes `model=`), records the routing decision and asks the gate for `generation.requested`
    (a denial raises PolicyDenied before the block runs: nothing is spent). In the block, call the
    provider with `gen.model` and end with `gen.completed(asset, path=...)` (or `data=`).

    On exit it records, in one atomic batch, `generation.completed` with the output's SHA-256 and
    the latency, and `cost.recorded` at the catalog price (`cost=` overrides it with the invoice's
    `{"amount", "currency"}`). An exception in the block records `generation.failed` (its failure
    mode from a GenerationFailure, `timeout` for timeouts, else `provider-error`) and propagates.
    `fallback_from=` a failed Generation routes around it and records `fallback.triggered`.

    Every write's Idempotency-Key derives from the generation id, so a retried call never records twice.
    """

    def __init__(self, client: Client, deliverable: str, *, template: str, template_version: int, seed: int,
                 parameters: Mapping[str, Any], attempt: int = 1, generation: str | None = None,
                 model: str | None = None, references: Sequence[Mapping[str, Any]] | None = None,
                 template_values: Mapping[str, str] | None = None, prompt: str | None = None,
                 fallback_from: Generation | None = None, **extra: Any):
        self.client = client
        self.deliverable = deliverable
        self.generation = generation or f"{deliverable}-G-{uuid.uuid4().hex[:12]}"
        self.template = template
        self.template_version = template_version
        self.seed = seed
        self.parameters = dict(parameters)
        self.attempt = attempt
        self.references = references
        self.template_values = template_values
        self.prompt = prompt
        self.fallback_from = fallback_from
        self.extra = extra
        self.model: str | None = model
        self.model_version: str | None = None
        self.decision: dict[str, Any] | None = None
        self.requested: Appended | None = None
        self.asset: str | None = None
        self.asset_sha256: str | None = None
        self.failure_mode: str | None = None
        self.cost: dict[str, Any] | None = None
        self.recorded: list[Appended] = []
        self._outcome: tuple[str, dict[str, Any]] | None = None
        self._started = 0.0

    def _key(self, step: str) -> str:
        return f"genledger-python {self.generation} {step}"

    def __enter__(self) -> Generation:
        after_failure = None
        if self.fallback_from is not None:
            if self.fallback_from.failure_mode is None:
                raise ValueError("fallback_from must be a generation that failed")
            after_failure = {"model": self.fallback_from.model, "failure_mode": self.fallback_from.failure_mode}
        self.decision = self.client.route(deliverable=self.deliverable, after_failure=after_failure,
                                          idempotency_key=self._key("route"))
        chosen = self.model or self.decision["model"]
        self.model = chosen
        self.model_version = self.decision.get("model_version") if chosen == self.decision["model"] else None
        if self.model_version is None:
            self.model_version = self.extra.pop("model_version", None) or "unknown"
        if self.fallback_from is not None:
            self.client.fallback_triggered(
                deliverable=self.deliverable, generation=self.fallback_from.generation,
                from_model=self.fallback_from.model or "", to_model=chosen,
                failure_mode=cast(Any, self.fallback_from.failure_mode or "provider-error"),
                table=self.decision["table"], rule=self.decision["rule"], idempotency_key=self._key("fallback"))
        fallback = {"generation": self.fallback_from.generation} if self.fallback_from is not None else None
        self.requested = self.client.generation_requested(
            deliverable=self.deliverable, generation=self.generation, attempt=self.attempt, model=chosen,
            model_version=self.model_version, template=self.template, template_version=self.template_version,
            seed=self.seed, parameters=self.parameters, routing_decision=self.decision["decision"],
            references=self.references, template_values=self.template_values, prompt=self.prompt,
            fallback_from=fallback, idempotency_key=self._key("requested"), **self.extra)
        self._started = time.monotonic()
        return self

    def completed(self, asset: str, *, path: str | Path | None = None, data: bytes | None = None,
                  sha256: str | None = None, cost: Mapping[str, Any] | None = None) -> None:
        """The provider produced `asset`: its bytes (`path=` or `data=`) or their `sha256=`."""
        self.asset = asset
        self.asset_sha256 = sha256 or sha256_of(path=path, data=data)
        self._outcome = ("completed", {"cost": dict(cost) if cost else None})

    def failed(self, failure_mode: str, message: str = "") -> None:
        """The provider failed without raising: record it with its failure mode."""
        GenerationFailure(failure_mode)  # checks the mode
        self._outcome = ("failed", {"failure_mode": failure_mode, "message": message})

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        latency_ms = int((time.monotonic() - self._started) * 1000)
        if exc is not None:
            if isinstance(exc, GenerationFailure):
                mode, message = exc.failure_mode, exc.message
            elif isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
                mode, message = "timeout", str(exc)
            else:
                mode, message = "provider-error", f"{type(exc).__name__}: {exc}"
            self._record_failure(mode, message, latency_ms)
            return False
        if self._outcome is None:
            self._record_failure("provider-error", "the generation block ended without completed() or failed()",
                                 latency_ms)
            raise RuntimeError(f"generation {self.generation}: call completed() or failed() before the block ends")
        kind, details = self._outcome
        if kind == "failed":
            self._record_failure(details["failure_mode"], details["message"], latency_ms)
            return False
        self.cost = details["cost"] or self.client.estimate_cost(self.deliverable, self.model or "", self.parameters)
        completed = {
            "type": "generation.completed", "stream": f"deliverable/{self.deliverable}",
            "payload": {"deliverable": self.deliverable, "generation": self.generation, "asset": self.asset,
                        "asset_sha256": self.asset_sha256, "latency_ms": latency_ms},
        }
        cost = {
            "type": "cost.recorded", "stream": f"deliverable/{self.deliverable}",
            "payload": {"deliverable": self.deliverable, "kind": "generation", "generation": self.generation,
                        "amount": self.cost["amount"], "currency": self.cost["currency"]},
        }
        self.recorded += self.client.append([completed, cost], idempotency_key=self._key("completed"))
        return False

    def _record_failure(self, mode: str, message: str, latency_ms: int) -> None:
        self.failure_mode = mode
        self.recorded.append(self.client.generation_failed(
            deliverable=self.deliverable, generation=self.generation, failure_mode=cast(Any, mode), latency_ms=latency_ms,
            message=message[:500] or None, idempotency_key=self._key("failed")))
