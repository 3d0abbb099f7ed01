"""A client of `genledger serve` for generation pipelines (docs/API.md)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema

from .errors import GenLedgerError, InvalidEvent, PolicyDenied, Unavailable, from_answer
from .events import EventMethods
from .generation import Generation

# Answers worth asking again: the service is overloaded, restarting or behind a proxy that is.
RETRIED_STATUSES = {429, 502, 503, 504}


@dataclass(frozen=True)
class Appended:
    """One event as the ledger recorded it."""

    seq: int
    id: str
    hash: str
    stream_version: int
    duplicate: bool
    gate: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Appended:
        return cls(value["seq"], value["id"], value["hash"], value.get("stream_version", 0),
                   value.get("duplicate", False), value.get("gate"))


@dataclass(frozen=True)
class Event:
    """An event of the log in its export form (docs/FORMAT.md), as `follow` and `events` yield it."""

    seq: int
    type: str
    stream: str
    payload: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Event:
        return cls(value["seq"], value["type"], value["stream"], value.get("payload"), dict(value))


def stream_of(type: str, payload: Mapping[str, Any]) -> str:
    """The stream an event belongs on: the entity it is about (docs/EVENTS.md, Streams)."""
    entity, _, _ = type.partition(".")
    if entity == "model":
        return f"model/{payload.get('model')}"
    if type in ("routing.table_published", "replay.completed"):
        return f"routing/{payload.get('table')}"
    if type == "policy.published":
        return f"policy/{payload.get('policy')}"
    if type == "template.versioned":
        return f"template/{payload.get('template')}"
    if type == "campaign.opened":
        return f"campaign/{payload.get('campaign')}"
    if type == "seed.locked":
        scope = payload.get("scope")
        return f"{scope}/{payload.get(scope) if isinstance(scope, str) else None}"
    if type == "routing.decided":
        request = payload.get("request") or {}
        deliverable = request.get("deliverable") if isinstance(request, Mapping) else None
        return f"deliverable/{deliverable}" if deliverable else "routing/requests"
    if type == "policy.denied" and not payload.get("deliverable"):
        return f"policy/{payload.get('policy')}"
    return f"deliverable/{payload.get('deliverable')}"


class Client(EventMethods):
    """Talks to one `genledger serve`.

    Every write carries an Idempotency-Key (yours, or one made per call), so the retries after a
    network error, a timeout, a 429 or a 502/503/504 append nothing twice. Events are checked
    against the service's own schema (`GET /v1/schema`) before they are sent.

        client = Client("http://127.0.0.1:8080", token=os.environ["GENLEDGER_TOKEN"])
        client.deliverable_opened(deliverable="D-1", category="hero-video", stage="delivery",
                                  modality="text-to-video", platforms=[{"platform": "youtube", "aspect_ratio": "16:9"}])
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.25,
        validate: bool = True,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.validate_events = validate
        self._schema: dict[str, Any] | None = None
        self._validator: jsonschema.protocols.Validator | None = None
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "genledger-python/0.1"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # MARK: HTTP

    def _request(self, method: str, path: str, *, json_body: Any = None, params: Mapping[str, Any] | None = None,
                 idempotency_key: str | None = None) -> tuple[int, Any]:
        """Sends one request, retrying what may be retried; answers (status, body) of a 2xx or raises."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = None if json_body is None else json.dumps(json_body).encode()
        if body is not None:
            headers["Content-Type"] = "application/json"
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self._delay(attempt, last))
            try:
                answer = self._http.request(method, path, content=body, params=params, headers=headers)
            except (httpx.TransportError, httpx.TimeoutException) as error:
                # The request may or may not have arrived; the same Idempotency-Key makes asking again safe.
                last = error
                if method != "GET" and not idempotency_key:
                    break
                continue
            if answer.status_code in RETRIED_STATUSES and (method == "GET" or idempotency_key):
                last = _Retryable(answer)
                continue
            parsed = _json(answer)
            if answer.status_code >= 400:
                raise from_answer(answer.status_code, parsed)
            return answer.status_code, parsed
        if isinstance(last, _Retryable):
            answered = from_answer(last.answer.status_code, _json(last.answer))
            raise Unavailable(f"{method} {path}: still {last.answer.status_code} after {self.retries + 1} tries: {answered.message}",
                              status=last.answer.status_code, code=answered.code, details=answered.details)
        raise Unavailable(f"{method} {path}: {self.url} did not answer after {self.retries + 1} tries ({last})")

    def _delay(self, attempt: int, last: Exception | None) -> float:
        if isinstance(last, _Retryable):
            after = last.answer.headers.get("Retry-After")
            if after and after.isdigit():
                return min(float(after), 30.0)
        return float(self.backoff * 2.0 ** (attempt - 1) * (0.5 + random.random()))

    # MARK: The vocabulary

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the events the service takes (cached)."""
        if self._schema is None:
            _, schema = self._request("GET", "/v1/schema")
            self._schema = dict(schema)
        return self._schema

    def validate(self, event: Mapping[str, Any]) -> None:
        """Raises InvalidEvent naming the field when `event` does not fit the service's schema."""
        if self._validator is None:
            schema = self.schema()
            cls = jsonschema.validators.validator_for(schema)
            self._validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(dict(event)))
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path)
            raise InvalidEvent(f"{event.get('type')}: {error.message}", details={"field": path or None})

    # MARK: Writes

    def append(self, events: Sequence[Mapping[str, Any]], *, idempotency_key: str | None = None) -> list[Appended]:
        """Appends a batch, all or nothing, through validation and the gate."""
        if self.validate_events:
            for event in events:
                self.validate(event)
        _, answer = self._request("POST", "/v1/events", json_body=list(events),
                                  idempotency_key=idempotency_key or str(uuid.uuid4()))
        return [Appended.from_json(e) for e in answer["events"]]

    def record(self, type: str, payload: Mapping[str, Any], *, stream: str | None = None, event_id: str | None = None,
               occurred_at: str | None = None, expected_version: int | None = None,
               idempotency_key: str | None = None) -> Appended:
        """Appends one event of `type` on its stream (named from the payload unless given)."""
        event: dict[str, Any] = {"type": type, "stream": stream or stream_of(type, payload), "payload": dict(payload)}
        if event_id:
            event["id"] = event_id
        if occurred_at:
            event["occurred_at"] = occurred_at
        if expected_version is not None:
            event["expected_version"] = expected_version
        return self.append([event], idempotency_key=idempotency_key)[0]

    def route(self, *, deliverable: str | None = None, dry_run: bool = False, idempotency_key: str | None = None,
              **request: Any) -> dict[str, Any]:
        """The routing decision for a deliverable (or a request's `category`, `stage`, `modality`,
        ...; `after_failure={"model", "failure_mode"}` for a fallback). Recorded unless `dry_run`."""
        body = {k: v for k, v in {"deliverable": deliverable, **request}.items() if v is not None}
        _, answer = self._request("POST", "/v1/route", json_body=body, params={"dry_run": "true"} if dry_run else None,
                                  idempotency_key=None if dry_run else idempotency_key or str(uuid.uuid4()))
        decision: dict[str, Any] = answer["decision"]
        return decision

    def request_regeneration(self, deliverable: str, prior_asset: str, reason: str, *, attempt: int | None = None,
                             idempotency_key: str | None = None) -> dict[str, Any]:
        """Asks the gate for one more attempt; answers `{"attempt", "outcome", ...}` or raises PolicyDenied."""
        body: dict[str, Any] = {"deliverable": deliverable, "prior_asset": prior_asset, "reason": reason}
        if attempt is not None:
            body["attempt"] = attempt
        _, answer = self._request("POST", "/v1/regenerations", json_body=body,
                                  idempotency_key=idempotency_key or str(uuid.uuid4()))
        if not answer.get("allowed"):
            details = {k: answer.get(k) for k in ("policy", "version", "rule", "denied_seq", "deliverable")}
            raise PolicyDenied(answer.get("reason", "denied"), status=200, code="policy-denied", details=details)
        granted: dict[str, Any] = answer
        return granted

    def grant_override(self, deliverable: str, rule: str, reason: str, *, extra_attempts: int | None = None,
                       extra_budget: Mapping[str, Any] | None = None, idempotency_key: str | None = None) -> Appended:
        """Approvers: records `policy.override_granted` with this token's name as the approver."""
        body: dict[str, Any] = {"deliverable": deliverable, "rule": rule, "reason": reason}
        if extra_attempts is not None:
            body["extra_attempts"] = extra_attempts
        if extra_budget is not None:
            body["extra_budget"] = dict(extra_budget)
        _, answer = self._request("POST", "/v1/overrides", json_body=body,
                                  idempotency_key=idempotency_key or str(uuid.uuid4()))
        return Appended.from_json(answer["event"])

    def estimate_cost(self, deliverable: str, model: str, parameters: Mapping[str, Any] | None = None,
                      on: str | None = None) -> dict[str, Any]:
        """The catalog price of one generation (`{"amount", "currency", "amount_micros", "price"}`)."""
        body: dict[str, Any] = {"deliverable": deliverable, "model": model}
        if parameters is not None:
            body["parameters"] = dict(parameters)
        if on:
            body["on"] = on
        _, answer = self._request("POST", "/v1/costs/estimate", json_body=body)
        estimate: dict[str, Any] = answer
        return estimate

    def generation(self, deliverable: str, **options: Any) -> Generation:
        """A context manager around one generation: routes (unless `model` is given), asks the gate,
        and on exit records completion with the output's SHA-256 and its catalog cost, or the
        failure. See `Generation`."""
        return Generation(self, deliverable, **options)

    # MARK: Reads

    def events(self, *, after: int = 0, limit: int = 100, stream: str | None = None,
               type: str | None = None) -> list[Event]:
        params = {k: v for k, v in {"after": after, "limit": limit, "stream": stream, "type": type}.items() if v}
        _, answer = self._request("GET", "/v1/events", params=params)
        return [Event.from_json(e) for e in answer["events"]]

    def follow(self, *, after: int = 0, types: Sequence[str] | None = None, stream: str | None = None,
               reconnect: bool = True) -> Iterator[Event]:
        """Yields events as they are committed, from seq `after` on (server-sent events). Reconnects
        with the last seq seen (`Last-Event-ID`) when the connection drops, so none is skipped or
        repeated. `types` filters on the client side when there are several."""
        wanted = set(types) if types else None
        last = after
        failures = 0
        while True:
            params: dict[str, Any] = {"after": last}
            if stream:
                params["stream"] = stream
            if wanted and len(wanted) == 1:
                params["type"] = next(iter(wanted))
            try:
                with self._http.stream("GET", "/v1/events/stream", params=params,
                                       headers={"Last-Event-ID": str(last), "Accept": "text/event-stream"},
                                       timeout=httpx.Timeout(self._http.timeout.connect, read=60.0)) as answer:
                    if answer.status_code >= 400:
                        answer.read()
                        raise from_answer(answer.status_code, _json(answer))
                    failures = 0
                    for sse in _server_sent_events(answer.iter_lines()):
                        if "data" not in sse:
                            continue
                        event = Event.from_json(json.loads(sse["data"]))
                        last = event.seq
                        if wanted is None or event.type in wanted:
                            yield event
            except (httpx.TransportError, httpx.TimeoutException) as error:
                failures += 1
                if not reconnect or failures > self.retries:
                    raise Unavailable(f"the event stream of {self.url} dropped: {error}") from error
                time.sleep(self._delay(failures, error))
                continue
            if not reconnect:
                return


class _Retryable(Exception):
    def __init__(self, answer: httpx.Response):
        super().__init__(answer.status_code)
        self.answer = answer


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {"error": {"message": answer.text[:200] or f"HTTP {answer.status_code}"}}


def _server_sent_events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Parses a text/event-stream (the WHATWG HTML standard's rules: fields per line, a blank line dispatches)."""
    event: dict[str, str] = {}
    for line in lines:
        if line == "":
            if event:
                yield event
            event = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    if event:
        yield event

