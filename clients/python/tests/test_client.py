"""The Python client against a live `genledger serve` on loopback: a whole deliverable recorded
without one event written by hand, the gate's denial as a typed exception, local validation,
retries with the same Idempotency-Key through a connection that drops the answer, 401/403,
and the SSE follower."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from genledger import (Client, Forbidden, GenerationFailure, InvalidEvent, PolicyDenied, Unauthenticated,
                       stream_of)

HERE = Path(__file__).resolve().parent


def open_hero_deliverable(client: Client, deliverable: str) -> None:
    body = "A {subject} at golden hour, slow dolly in."
    client.template_versioned(template="tpl-hero-video", version=1, body=body,
                              body_digest=hashlib.sha256(body.encode()).hexdigest(), variables=["subject"])
    client.deliverable_opened(deliverable=deliverable, category="hero-video", stage="delivery",
                              modality="text-to-video", duration_seconds=8,
                              platforms=[{"platform": "youtube", "aspect_ratio": "16:9"}])


def generation_options(**more):
    return dict(template="tpl-hero-video", template_version=1, seed=4242,
                parameters={"aspect_ratio": "16:9", "duration_seconds": 8},
                template_values={"subject": "lighthouse"}, **more)


def test_the_generated_methods_are_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(HERE.parent / "tools" / "generate_events.py"), "--check"])
    assert result.returncode == 0, "src/genledger/events.py is stale: python3 tools/generate_events.py"


def test_a_whole_deliverable_without_one_event_by_hand(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-PY-1")

    # Attempt 1: the primary fails (rate limited); the client records the failure and re-raises.
    with pytest.raises(GenerationFailure):
        with client.generation("D-PY-1", **generation_options()) as first:
            assert first.model == "veo-3.1"
            raise GenerationFailure("rate-limited", "429 from the provider")
    assert first.failure_mode == "rate-limited"

    # The fallback the routing table names for it, recorded as such.
    with client.generation("D-PY-1", **generation_options(fallback_from=first)) as second:
        assert second.model == "sora-2-pro"
        second.completed("A-PY-1", data=b"first take bytes")
    assert second.asset_sha256 == hashlib.sha256(b"first take bytes").hexdigest()
    assert second.cost["currency"] == "USD" and second.cost["amount"] > 0

    client.asset_reviewed(deliverable="D-PY-1", asset="A-PY-1", verdict="rejected", reviewer="lead:ana",
                          reasons=["horizon tilts"], minutes=6)
    client.cost_recorded(deliverable="D-PY-1", kind="review-time", amount=9.5, currency="USD", asset="A-PY-1")
    regeneration = client.request_regeneration("D-PY-1", prior_asset="A-PY-1", reason="horizon tilts")
    assert regeneration["attempt"] == 2

    output = server.directory / "take-2.mp4"
    output.write_bytes(b"second take, a file on disk" * 1000)
    with client.generation("D-PY-1", **generation_options(attempt=2)) as third:
        third.completed("A-PY-2", path=output)
    client.refinement_applied(deliverable="D-PY-1", input_asset="A-PY-2", output_asset="A-PY-2-up",
                              output_sha256=hashlib.sha256(b"upscaled").hexdigest(), step="upscale",
                              model="topaz-video-upscale", factor=2)
    client.cost_recorded(deliverable="D-PY-1", kind="refinement", amount=1.2, currency="USD", asset="A-PY-2-up")
    client.asset_reviewed(deliverable="D-PY-1", asset="A-PY-2-up", verdict="accepted", reviewer="lead:ana")
    delivered = client.deliverable_delivered(deliverable="D-PY-1", asset="A-PY-2-up", platforms=["youtube"])
    assert delivered.gate["outcome"] in ("allowed", "warned")

    story = [e.type for e in client.events(stream="deliverable/D-PY-1", limit=100)]
    assert story == [
        "deliverable.opened",
        "routing.decided", "generation.requested", "generation.failed",
        "routing.decided", "fallback.triggered", "generation.requested", "generation.completed", "cost.recorded",
        "asset.reviewed", "cost.recorded", "regeneration.requested",
        "routing.decided", "generation.requested", "generation.completed", "cost.recorded",
        "refinement.applied", "cost.recorded", "asset.reviewed", "deliverable.delivered",
    ]
    completed = [e for e in client.events(stream="deliverable/D-PY-1", type="generation.completed")]
    assert completed[1].payload["asset_sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    costs = [e.payload for e in client.events(stream="deliverable/D-PY-1", type="cost.recorded")]
    estimate = client.estimate_cost("D-PY-1", "sora-2-pro", {"aspect_ratio": "16:9", "duration_seconds": 8})
    assert costs[0]["amount"] == estimate["amount"]
    # The ledger holds what the client wrote, and verifies.
    assert server.cli("verify").returncode == 0
    report = server.cli("report", "deliverable", "D-PY-1").stdout
    assert "A-PY-2-up" in report


def test_a_denial_is_a_typed_exception_with_its_record(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-PY-2")
    with pytest.raises(PolicyDenied) as denied:
        # A budget-tier model on delivery work: the tier-by-stage rule denies it before any spend.
        with client.generation("D-PY-2", **generation_options(model="hailuo-02", model_version="02-768p")):
            pytest.fail("the block must not run when the gate denies")
    error = denied.value
    assert (error.policy, error.version, error.rule) == ("governance", 1, "tier-by-stage")
    assert "budget" in error.reason
    record = client.events(after=error.denied_seq - 1, limit=1)[0]
    assert record.seq == error.denied_seq and record.type == "policy.denied"
    assert record.payload["rule"] == "tier-by-stage"
    assert "generation.requested" not in [e.type for e in client.events(stream="deliverable/D-PY-2")]


def test_an_invalid_event_is_refused_before_it_is_sent(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-PY-3")
    size = client.events(limit=1000)[-1].seq
    with pytest.raises(InvalidEvent) as invalid:
        client.generation_completed(deliverable="D-PY-3", generation="G-1", asset="A-1", asset_sha256="not a digest",
                                    latency_ms=10)
    assert invalid.value.status == 0 and invalid.value.field == "payload.asset_sha256"
    with pytest.raises(InvalidEvent) as invalid:
        client.cost_recorded(deliverable="D-PY-3", kind="generation", amount=1, currency="USD")
    assert "generation" in str(invalid.value)
    assert client.events(limit=1000)[-1].seq == size
    # Unchecked, the service refuses it the same way, naming the field.
    unchecked = Client(server.url, server.tokens["writer"], validate=False)
    with pytest.raises(InvalidEvent) as refused:
        unchecked.generation_completed(deliverable="D-PY-3", generation="G-1", asset="A-1",
                                       asset_sha256="not a digest", latency_ms=10)
    assert refused.value.status == 422 and refused.value.field == "payload.asset_sha256"


def test_tokens_the_service_refuses(server) -> None:
    with pytest.raises(Unauthenticated) as refused:
        Client(server.url, "glt_" + "0" * 64).events()
    assert refused.value.status == 401
    approver = Client(server.url, server.tokens["approver"])
    with pytest.raises(Forbidden) as forbidden:
        approver.campaign_opened(campaign="C-1", name="Spring")
    assert forbidden.value.status == 403 and "role" in str(forbidden.value)


class DroppingProxy:
    """A loopback TCP proxy that forwards everything to the server, except that it swallows the
    answer to the first `drops` appends (POST /v1/events) and closes the connection: the write
    commits, the client never hears so."""

    def __init__(self, target: str, drops: int):
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.drops = drops
        self.dropped = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        append_sent = threading.Event()

        def close_both() -> None:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def requests() -> None:
            try:
                while data := client.recv(65536):
                    if b"POST /v1/events " in data and self.drops > 0:
                        self.drops -= 1
                        append_sent.set()
                    upstream.sendall(data)
            except OSError:
                pass
            close_both()

        threading.Thread(target=requests, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if append_sent.is_set():
                    # The answer to the append: swallowed, and the connection cut.
                    self.dropped += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        close_both()
        client.close()
        upstream.close()


def test_a_lost_answer_is_retried_with_the_same_key_and_recorded_once(server) -> None:
    writer = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(writer, "D-PY-4")
    proxy = DroppingProxy(server.url, drops=2)
    client = Client(proxy.url, server.tokens["writer"], timeout=10, backoff=0.05)
    appended = client.cost_recorded(deliverable="D-PY-4", kind="opportunity", amount=3, currency="USD",
                                    idempotency_key="retry-test")
    assert proxy.dropped == 2, "two answers to the append were lost on the way"
    assert appended.duplicate, "the retry answered the event the lost answer had recorded"
    opportunity = writer.events(stream="deliverable/D-PY-4", type="cost.recorded")
    assert len(opportunity) == 1 and opportunity[0].seq == appended.seq


def test_follow_yields_committed_events_in_order(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    start = client.events(limit=1000)[-1].seq
    seen = []
    def follow() -> None:
        for event in client.follow(after=start, types=["deliverable.opened", "cost.recorded"]):
            seen.append(event)
            if len(seen) == 3:
                return
    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    writer = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(writer, "D-PY-5")
    writer.cost_recorded(deliverable="D-PY-5", kind="opportunity", amount=1, currency="USD")
    writer.cost_recorded(deliverable="D-PY-5", kind="opportunity", amount=2, currency="USD")
    follower.join(timeout=30)
    assert not follower.is_alive(), f"follow saw {seen}"
    assert [e.type for e in seen] == ["deliverable.opened", "cost.recorded", "cost.recorded"]
    assert [e.payload.get("amount") for e in seen[1:]] == [1, 2]
    assert seen == sorted(seen, key=lambda e: e.seq) and seen[0].seq > start


def test_streams_are_named_as_the_ledger_names_them() -> None:
    assert stream_of("seed.locked", {"scope": "campaign", "campaign": "C-1"}) == "campaign/C-1"
    assert stream_of("routing.decided", {"request": {"category": "x"}}) == "routing/requests"
    assert stream_of("model.pricing_changed", {"model": "veo-3.1"}) == "model/veo-3.1"


def test_the_readme_example_pipeline_runs_end_to_end(server) -> None:
    """examples/pipeline.py, run as the README runs it, against a live server."""
    import os

    result = subprocess.run(
        [sys.executable, str(HERE.parent / "examples" / "pipeline.py"), "D-EXAMPLE-1"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "GENLEDGER_URL": server.url, "GENLEDGER_TOKEN": server.tokens["writer"]})
    assert result.returncode == 0, result.stderr
    assert "veo-3.1 failed (rate-limited); falling back" in result.stdout
    assert "delivered D-EXAMPLE-1-A2-up" in result.stdout
    client = Client(server.url, server.tokens["auditor"])
    types = [e.type for e in client.events(stream="deliverable/D-EXAMPLE-1")]
    assert types.count("fallback.triggered") == 1 and types[-1] == "deliverable.delivered"
    assert server.cli("verify").returncode == 0


def test_the_package_type_checks_strictly() -> None:
    """The client is typed (py.typed): mypy --strict finds nothing, so pipelines that type-check
    their code get the event methods' fields, enums and the exceptions checked too."""
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(HERE.parent / "src" / "genledger")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
