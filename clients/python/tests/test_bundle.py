"""Evidence bundles: `genledger provenance` writes one for a delivered file (refusing another
file), `genledger verify-bundle` accepts it and refuses a changed payload, a dropped event, a
wrong proof and a foreign key; a checker written from docs/FORMAT.md agrees."""

from __future__ import annotations

import copy
import json

from bundle_check import check
from genledger import Client
from test_client import generation_options, open_hero_deliverable


def test_a_bundle_proves_a_delivered_file_offline(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-BU-1")
    delivered = server.directory / "take.mp4"
    delivered.write_bytes(b"the delivered take" * 500)
    with client.generation("D-BU-1", **generation_options()) as take:
        take.completed("A-BU-1", path=delivered)
    server.cli("checkpoint")
    key = server.cli("key", "list").stdout.splitlines()[0]
    bundle_path = server.directory / "bundle.json"

    other = server.directory / "other.mp4"
    other.write_bytes(b"another file")
    refused = server.cli("provenance", "A-BU-1", "--file", str(other), "--bundle", str(bundle_path), check=False)
    assert refused.returncode == 65 and not bundle_path.exists()

    server.cli("provenance", "A-BU-1", "--file", str(delivered), "--bundle", str(bundle_path))
    bundle = json.loads(bundle_path.read_text())
    assert bundle["subject"]["asset"] == "A-BU-1" and len(bundle["events"]) >= 3
    ok = server.cli("verify-bundle", str(bundle_path), "--key", key, "--asset", str(delivered), check=False)
    assert ok.returncode == 0, ok.stderr
    assert check(bundle, key) == []

    def broken(name: str, change) -> tuple[int, list[str]]:
        copy_ = copy.deepcopy(bundle)
        change(copy_)
        path = server.directory / f"{name}.json"
        path.write_text(json.dumps(copy_))
        result = server.cli("verify-bundle", str(path), "--key", key, check=False)
        try:
            independent = check(copy_, key)
        except Exception as error:  # a signature that does not verify raises
            independent = [str(error) or type(error).__name__]
        return result.returncode, independent

    completed = next(i for i, e in enumerate(bundle["events"]) if e["event"]["type"] == "generation.completed")

    def change_payload(b):
        b["events"][completed]["event"]["payload"]["latency_ms"] += 1

    def drop_event(b):
        del b["events"][completed]

    def wrong_proof(b):
        first = b["events"][0]["inclusion"]["proof"]
        first[0] = first[0][:-4] + ("AAA=" if first[0][-4:] != "AAA=" else "BBB=")

    for name, change, independent_fails in [
        ("payload", change_payload, True), ("dropped", drop_event, False), ("proof", wrong_proof, True),
    ]:
        status, independent = broken(name, change)
        assert status == 2, name
        assert bool(independent) == independent_fails, (name, independent)

    made = server.cli("key", "approver", "--name", "python.example/log", "--out", str(server.directory / "foreign.key"))
    foreign = next(line.split(": ", 1)[1] for line in made.stdout.splitlines() if line.startswith("verifier key: "))
    stranger = server.cli("verify-bundle", str(bundle_path), "--key", foreign, check=False)
    assert stranger.returncode == 2, stranger.stderr
