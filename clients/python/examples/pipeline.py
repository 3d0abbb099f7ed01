"""A pipeline recording itself: one deliverable from brief to delivery, around a fake provider.

    GENLEDGER_URL=http://127.0.0.1:8080 GENLEDGER_TOKEN=glt_... python3 examples/pipeline.py D-EXAMPLE-1

Nothing here writes an event by hand: the client names every field and stream, checks the event
against the ledger's schema, asks the gate before money is spent, and records what happened,
failures included. The "provider" fails its first call (rate limited), as providers do.
"""

from __future__ import annotations

import hashlib
import os
import sys

from genledger import Client, GenerationFailure, PolicyDenied


class FakeProvider:
    """Stands in for a provider SDK: the first call is rate limited, the rest return bytes."""

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, model: str, prompt: str, seed: int) -> bytes:
        self.calls += 1
        if self.calls == 1:
            raise GenerationFailure("rate-limited", f"{model}: 429 Too Many Requests")
        return f"{model}|{prompt}|{seed}|take {self.calls}".encode()

    def upscale(self, data: bytes) -> bytes:
        return b"upscaled:" + data


def main(deliverable: str) -> None:
    client = Client(os.environ.get("GENLEDGER_URL", "http://127.0.0.1:8080"), os.environ["GENLEDGER_TOKEN"])
    provider = FakeProvider()
    body = "A {subject} at golden hour, slow dolly in."
    if not client.events(stream="template/tpl-hero-video", limit=1):
        client.template_versioned(template="tpl-hero-video", version=1, body=body,
                                  body_digest=hashlib.sha256(body.encode()).hexdigest(), variables=["subject"])
    client.deliverable_opened(deliverable=deliverable, category="hero-video", stage="delivery",
                              modality="text-to-video", duration_seconds=8,
                              platforms=[{"platform": "youtube", "aspect_ratio": "16:9"}])
    options = dict(template="tpl-hero-video", template_version=1, seed=4242, template_values={"subject": "lighthouse"},
                   parameters={"aspect_ratio": "16:9", "duration_seconds": 8})
    prompt = body.format(subject="lighthouse")

    # Route, ask the gate, call the provider; a failure is recorded and we fall back.
    try:
        with client.generation(deliverable, **options) as first:
            first.completed(f"{deliverable}-A1", data=provider.generate(first.model, prompt, 4242))
        take = first
    except GenerationFailure as failure:
        print(f"{first.model} failed ({failure.failure_mode}); falling back")
        with client.generation(deliverable, fallback_from=first, **options) as take:
            take.completed(f"{deliverable}-A1", data=provider.generate(take.model, prompt, 4242))
    print(f"generated {take.asset} on {take.model}: sha256 {take.asset_sha256[:12]}…, "
          f"{take.cost['amount']} {take.cost['currency']} at the catalog price")

    # Review rejects it; ask the gate for another attempt (a denial would say why, and stop here).
    client.asset_reviewed(deliverable=deliverable, asset=take.asset, verdict="rejected", reviewer="lead:ana",
                          reasons=["horizon tilts"], minutes=6)
    try:
        attempt = client.request_regeneration(deliverable, prior_asset=take.asset, reason="horizon tilts")["attempt"]
    except PolicyDenied as denied:
        print(f"denied: {denied}; an approver can lift it in the web app (/pages/approvals)")
        return
    with client.generation(deliverable, attempt=attempt, **options) as second:
        second.completed(f"{deliverable}-A2", data=provider.generate(second.model, prompt, 4242))

    # Refine, review, deliver.
    upscaled = provider.upscale(b"take 2")
    client.refinement_applied(deliverable=deliverable, input_asset=second.asset, output_asset=f"{deliverable}-A2-up",
                              output_sha256=hashlib.sha256(upscaled).hexdigest(), step="upscale",
                              model="topaz-video-upscale", factor=2)
    client.cost_recorded(deliverable=deliverable, kind="refinement", amount=1.2, currency="USD",
                         asset=f"{deliverable}-A2-up")
    client.asset_reviewed(deliverable=deliverable, asset=f"{deliverable}-A2-up", verdict="accepted", reviewer="lead:ana")
    delivered = client.deliverable_delivered(deliverable=deliverable, asset=f"{deliverable}-A2-up", platforms=["youtube"])
    print(f"delivered {deliverable}-A2-up at seq {delivered.seq} (gate: {delivered.gate['outcome']})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "D-EXAMPLE-1")
