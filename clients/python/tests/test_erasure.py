"""Erasure seen from a pipeline: a prompt that leaked a secret is erased with `genledger erase`,
and `explain` then says the prompt was erased, when and why, while the asset's recipe, the
chain and the reports still hold."""

from __future__ import annotations

import json

from genledger import Client
from test_client import generation_options, open_hero_deliverable

SECRET = "sk-live-DO-NOT-LOG-4242"


def test_an_erased_prompt_is_named_in_explain(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-ER-1")
    with client.generation("D-ER-1", prompt=f"A lighthouse at dusk --api-key {SECRET}", **generation_options()) as take:
        take.completed("A-ER-1", data=b"take")
    seq = take.requested.seq
    before = server.cli("explain", "A-ER-1").stdout
    assert SECRET in before

    erased = server.cli("erase", str(seq), "--field", "prompt", "--reason", "an API key leaked into the prompt",
                        "--by", "security@studio")
    assert f"erased prompt of seq {seq}" in erased.stdout

    after = server.cli("explain", "A-ER-1").stdout
    assert SECRET not in after
    prompt_line = next(line for line in after.splitlines() if line.startswith("| prompt"))
    assert "erased at seq" in prompt_line and "an API key leaked into the prompt" in prompt_line
    assert "seed" in after and "veo-3.1" in after  # the rest of the recipe stands
    assert server.cli("verify").returncode == 0
    assert server.cli("rebuild", "--check").returncode == 0
    # The service answers the erased form too.
    [event] = [e for e in client.events(stream="deliverable/D-ER-1", type="generation.requested")]
    assert "prompt" not in event.payload and event.raw["payload_digest"]
    record = json.loads(server.cli("log", "--type", "payload.erased", "--json").stdout.splitlines()[-1])
    assert record["payload"]["seq"] == seq and record["payload"]["fields"] == ["prompt"]
