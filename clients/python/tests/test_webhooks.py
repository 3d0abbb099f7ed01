"""Provider webhooks in and notifications out, against a live `genledger serve --webhooks`:
deliveries signed by the `standardwebhooks` package (an implementation nobody here wrote) land
as events; unsigned, wrongly signed, tampered and stale ones get 401 and append nothing; a
replay appends nothing; notifications are verified by the same package at a receiver on
loopback that is down at first and comes back."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import socket
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from conftest import start_server
from genledger import Client

PROVIDER_SECRET = "whsec_" + base64.b64encode(b"replicate-test-secret-32-bytes!!").decode()
NOTIFY_SECRET = "whsec_" + base64.b64encode(b"notify-test-secret-of-32-bytes!!").decode()
OUTPUT = b"\x89PNG the provider's output, as its CDN serves it" * 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Files(http.server.BaseHTTPRequestHandler):
    """The provider's CDN: /out.png, and two redirects to it, one through a host not listed."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path in ("/moved", "/away"):
            host = "127.0.0.1" if self.path == "/moved" else "localhost"
            self.send_response(302)
            self.send_header("Location", f"http://{host}:{port}/out.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(OUTPUT)))
        self.end_headers()
        self.wfile.write(OUTPUT)

    def log_message(self, *args) -> None:
        pass


class Receiver(http.server.BaseHTTPRequestHandler):
    """Verifies every notification with standardwebhooks before it counts it."""

    received: list[dict] = []
    refused: list[str] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            payload = Webhook(NOTIFY_SECRET).verify(body, dict(self.headers))
            Receiver.received.append({"id": self.headers["webhook-id"], **payload})
            self.send_response(204)
        except WebhookVerificationError as error:
            Receiver.refused.append(str(error))
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def serve(handler, port: int) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def setup():
    files = serve(Files, 0)
    files_port = files.server_address[1]
    receiver_port = free_port()  # nothing listens there yet: the receiver is down
    Receiver.received.clear()
    with tempfile.TemporaryDirectory(prefix="genledger-webhooks-") as directory:
        config = Path(directory) / "webhooks.yaml"
        config.write_text(f"""
incoming:
  replicate:
    format: replicate
    secret: {PROVIDER_SECRET}
    output_hosts: ["127.0.0.1:{files_port}"]
    max_output_bytes: 1000000
outgoing:
  - url: http://127.0.0.1:{receiver_port}/genledger
    secret: {NOTIFY_SECRET}
    notify: [approval-needed, violation]
""")
        live = start_server(Path(directory), "--webhooks", str(config))
        try:
            yield live, files_port, receiver_port
        finally:
            live.stop()
            files.shutdown()


def requested_generation(client: Client, deliverable: str, generation: str) -> None:
    if not client.events(stream=f"deliverable/{deliverable}", limit=1):
        client.deliverable_opened(deliverable=deliverable, category="key-visual", stage="draft", modality="text-to-image",
                                  platforms=[{"platform": "web", "aspect_ratio": "1:1"}])
    if not client.events(stream="template/tpl-kv", limit=1):
        client.template_versioned(template="tpl-kv", version=1, body_digest=hashlib.sha256(b"kv").hexdigest())
    decision = client.route(deliverable=deliverable)
    client.generation_requested(deliverable=deliverable, generation=generation, attempt=1, model=decision["model"],
                                model_version=decision["model_version"], template="tpl-kv", template_version=1,
                                seed=11, parameters={"aspect_ratio": "1:1", "megapixels": 2},
                                routing_decision=decision["decision"])


def deliver(url: str, prediction: dict, *, secret: str = PROVIDER_SECRET, msg_id: str | None = None,
            timestamp: datetime | None = None, tamper: bool = False, query: str = "", headers: dict | None = None):
    body = json.dumps(prediction)
    msg_id = msg_id or f"msg_{time.monotonic_ns()}"
    timestamp = timestamp or datetime.now(tz=timezone.utc)
    signature = Webhook(secret).sign(msg_id, timestamp, body)
    sent = {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}
    if headers is not None:
        sent = headers
    if tamper:
        body = body.replace("succeeded", "failed")
    return httpx.post(f"{url}/v1/webhooks/replicate?{query}", content=body, headers=sent, timeout=30)


def succeeded(files_port: int) -> dict:
    return {"id": "rj8x4d2", "status": "succeeded", "output": [f"http://127.0.0.1:{files_port}/out.png"],
            "error": None, "metrics": {"predict_time": 3.25}}


def test_a_signed_replicate_delivery_lands_as_events_and_a_replay_appends_nothing(setup) -> None:
    live, files_port, _ = setup
    client = Client(live.url, live.tokens["writer"])
    requested_generation(client, "D-WH-1", "G-WH-1")
    answer = deliver(live.url, succeeded(files_port), msg_id="msg_first",
                     query="deliverable=D-WH-1&generation=G-WH-1&asset=A-WH-1")
    assert answer.status_code == 201, answer.text
    completed, cost = [e for e in client.events(stream="deliverable/D-WH-1") if e.type in ("generation.completed", "cost.recorded")]
    assert completed.payload["asset"] == "A-WH-1"
    assert completed.payload["asset_sha256"] == hashlib.sha256(OUTPUT).hexdigest()
    assert completed.payload["latency_ms"] == 3250
    assert completed.raw["actor"] == "webhook:replicate"
    requested = client.events(stream="deliverable/D-WH-1", type="generation.requested")[0].payload
    estimate = client.estimate_cost("D-WH-1", requested["model"], requested["parameters"])
    assert (cost.payload["amount"], cost.payload["currency"]) == (estimate["amount"], estimate["currency"])
    assert cost.payload["generation"] == "G-WH-1" and cost.payload["kind"] == "generation"

    size = client.events(limit=1000)[-1].seq
    again = deliver(live.url, succeeded(files_port), msg_id="msg_first",
                    query="deliverable=D-WH-1&generation=G-WH-1&asset=A-WH-1")
    assert again.status_code == 200 and all(e["duplicate"] for e in again.json()["events"])
    assert client.events(limit=1000)[-1].seq == size


def test_a_failed_prediction_is_a_failed_generation(setup) -> None:
    live, _, _ = setup
    client = Client(live.url, live.tokens["writer"])
    requested_generation(client, "D-WH-2", "G-WH-2")
    answer = deliver(live.url, {"id": "x1", "status": "failed", "output": None,
                                "error": "NSFW content detected. Try running it again.", "metrics": {"predict_time": 1.5}},
                     query="deliverable=D-WH-2&generation=G-WH-2")
    assert answer.status_code == 201, answer.text
    failed = client.events(stream="deliverable/D-WH-2", type="generation.failed")[0].payload
    assert failed["failure_mode"] == "content-filter" and failed["latency_ms"] == 1500
    assert "NSFW" in failed["message"]


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "tampered body", "stale timestamp", "future timestamp"])
def test_a_delivery_that_does_not_prove_itself_gets_401_and_appends_nothing(setup, case: str) -> None:
    live, files_port, _ = setup
    client = Client(live.url, live.tokens["writer"])
    requested_generation(client, "D-WH-3", f"G-WH-3-{case.replace(' ', '-')}")
    size = client.events(limit=1000)[-1].seq
    query = f"deliverable=D-WH-3&generation=G-WH-3-{case.replace(' ', '-')}"
    other = "whsec_" + base64.b64encode(b"some-other-secret-of-32-bytes!!!").decode()
    answer = {
        "unsigned": lambda: deliver(live.url, succeeded(files_port), query=query, headers={"content-type": "application/json"}),
        "wrong secret": lambda: deliver(live.url, succeeded(files_port), query=query, secret=other),
        "tampered body": lambda: deliver(live.url, succeeded(files_port), query=query, tamper=True),
        "stale timestamp": lambda: deliver(live.url, succeeded(files_port), query=query,
                                           timestamp=datetime.now(tz=timezone.utc) - timedelta(minutes=6)),
        "future timestamp": lambda: deliver(live.url, succeeded(files_port), query=query,
                                            timestamp=datetime.now(tz=timezone.utc) + timedelta(minutes=6)),
    }[case]()
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "bad-signature"
    assert client.events(limit=1000)[-1].seq == size


def test_an_output_from_an_unlisted_host_is_refused(setup) -> None:
    live, _, _ = setup
    client = Client(live.url, live.tokens["writer"])
    requested_generation(client, "D-WH-4", "G-WH-4")
    size = client.events(limit=1000)[-1].seq
    prediction = {"id": "x2", "status": "succeeded", "output": "http://169.254.169.254/latest/meta-data"}
    answer = deliver(live.url, prediction, query="deliverable=D-WH-4&generation=G-WH-4")
    assert answer.status_code == 422 and "output_hosts" in answer.json()["error"]["message"]
    assert client.events(limit=1000)[-1].seq == size


def test_an_output_redirect_is_followed_only_to_a_listed_host(setup) -> None:
    live, files_port, _ = setup
    client = Client(live.url, live.tokens["writer"])
    requested_generation(client, "D-WH-R", "G-WH-R")
    size = client.events(limit=1000)[-1].seq
    away = {**succeeded(files_port), "id": "x5", "output": [f"http://127.0.0.1:{files_port}/away"]}
    answer = deliver(live.url, away, query="deliverable=D-WH-R&generation=G-WH-R")
    assert answer.status_code == 422, answer.text
    assert f"localhost:{files_port}" in answer.json()["error"]["message"] and "output_hosts" in answer.json()["error"]["message"]
    assert client.events(limit=1000)[-1].seq == size

    moved = {**succeeded(files_port), "id": "x6", "output": [f"http://127.0.0.1:{files_port}/moved"]}
    answer = deliver(live.url, moved, query="deliverable=D-WH-R&generation=G-WH-R")
    assert answer.status_code == 201, answer.text
    completed = client.events(stream="deliverable/D-WH-R", type="generation.completed")[0].payload
    assert completed["asset_sha256"] == hashlib.sha256(OUTPUT).hexdigest()


def test_an_unknown_provider_is_404(setup) -> None:
    live, _, _ = setup
    answer = httpx.post(f"{live.url}/v1/webhooks/midjourney", content=b"{}")
    assert answer.status_code == 404 and "midjourney" in answer.json()["error"]["message"]


def test_notifications_reach_a_receiver_that_was_down_once_each(setup) -> None:
    live, _, receiver_port = setup
    client = Client(live.url, live.tokens["writer"])
    client.deliverable_opened(deliverable="D-WH-5", category="key-visual", stage="delivery", modality="text-to-image",
                              platforms=[{"platform": "web", "aspect_ratio": "1:1"}])
    # A fact that breaks a rule: delivered with no accepted review and no refinement.
    requested_generation(client, "D-WH-5", "G-WH-5")
    client.generation_completed(deliverable="D-WH-5", generation="G-WH-5", asset="A-WH-5",
                                asset_sha256=hashlib.sha256(b"a").hexdigest(), latency_ms=100)
    delivered = client.deliverable_delivered(deliverable="D-WH-5", asset="A-WH-5", platforms=["web"])
    assert delivered.gate["outcome"] == "violated"
    # A request denied under a require-approval rule: regenerations past the delivery cap.
    denied_seq = None
    for _ in range(8):
        try:
            client.request_regeneration("D-WH-5", prior_asset="A-WH-5", reason="another take")
        except Exception as error:  # PolicyDenied
            denied_seq = error.denied_seq
            break
    assert denied_seq is not None
    time.sleep(1.5)
    assert Receiver.received == []  # still down
    receiver = serve(Receiver, receiver_port)  # comes back
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(Receiver.received) < 2:
            time.sleep(0.2)
        time.sleep(2)  # nothing more arrives: once per event
        kinds = sorted((n["type"], n["data"]["seq"]) for n in Receiver.received)
        assert kinds == [("genledger.approval-needed", denied_seq), ("genledger.violation", delivered.seq)], kinds
        approval = next(n for n in Receiver.received if n["type"] == "genledger.approval-needed")
        assert "D-WH-5" in approval["text"] and "regeneration-cap" in approval["text"]
        assert approval["id"] == approval["data"]["id"]
        assert Receiver.refused == []
        metrics = httpx.get(f"{live.url}/metrics", headers={"Authorization": f"Bearer {live.tokens['auditor']}"}).text
        assert "genledger_notifications_delivered_total 2" in metrics
    finally:
        receiver.shutdown()
