"""Content Credentials and W3C PROV from `genledger provenance`, read by implementations nobody
here wrote: c2pa-python (the C2PA SDK, c2pa-rs) validates the sidecar and the embedded manifests
against the test CA as trust anchor, and `prov` parses the PROV-JSON."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import c2pa
import pytest
from bundle_check import check
from conftest import REPO, run_cli
from genledger import Client
from prov.model import ProvActivity, ProvDerivation, ProvDocument, ProvEntity
from test_client import generation_options, open_hero_deliverable

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@dataclass
class Delivered:
    directory: Path
    ledger: Path
    asset: str
    media: Path
    anchor: Path
    other_anchor: Path
    key: str

    def cli(self, *arguments: str, check: bool = True):
        return run_cli(self.ledger, self.directory, *arguments, check=check)

    def events(self, kind: str) -> list[dict]:
        return [json.loads(line) for line in self.cli("log", "--type", kind, "--json").stdout.splitlines()]


@pytest.fixture(scope="module")
def delivered() -> Iterator[Delivered]:
    """A simulated history whose delivered files were written out, and one of its image-to-video
    deliveries with an upscale: the chain the issue asks Content Credentials for."""
    with tempfile.TemporaryDirectory(prefix="genledger-c2pa-") as name:
        directory = Path(name)
        ledger = directory / "ledger.db"

        def cli(*arguments: str):
            return run_cli(ledger, directory, *arguments)

        cli("init", "--origin", "c2pa.example/log")
        cli("policy", "publish", str(REPO / "policies"), "--occurred-at", "2026-04-01")
        cli("simulate", "--seed", "7", "--deliverables", "60", "--months", "1", "--policies", str(REPO / "policies"),
            "--media", str(directory / "media"))
        cli("checkpoint")
        chains = {json.loads(line)["payload"]["deliverable"][:-2]
                  for line in cli("log", "--type", "deliverable.opened", "--json").stdout.splitlines()
                  if json.loads(line)["payload"]["deliverable"].endswith("-F")}
        asset = next(event["payload"]["asset"]
                     for event in map(json.loads, cli("log", "--type", "deliverable.delivered", "--json").stdout.splitlines())
                     if event["payload"]["deliverable"] in chains and "-upscale" in event["payload"]["asset"])
        cli("provenance", "--make-test-ca", str(directory / "ca"))
        cli("provenance", "--make-test-ca", str(directory / "other-ca"))
        key = cli("key", "list").stdout.splitlines()[0]
        yield Delivered(directory, ledger, asset, directory / "media" / f"{asset}.png", directory / "ca" / "ca.pem",
                        directory / "other-ca" / "ca.pem", key)


def write_credentials(d: Delivered, ca: str = "ca", prefix: str = "out") -> dict[str, Path]:
    paths = {kind: d.directory / f"{prefix}.{kind}" for kind in ("c2pa", "png", "prov.json", "bundle.json")}
    d.cli("provenance", d.asset, "--file", str(d.media), "--c2pa", str(paths["c2pa"]), "--embed", str(paths["png"]),
          "--prov", str(paths["prov.json"]), "--bundle", str(paths["bundle.json"]),
          "--cert", str(d.directory / ca / "signer-chain.pem"), "--key", str(d.directory / ca / "signer.key"))
    return paths


def read(anchor: Path, media_type: str, data: bytes, sidecar: bytes | None = None) -> tuple[str, dict]:
    settings = c2pa.Settings.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchor.read_text()}})
    reader = c2pa.Reader(media_type, io.BytesIO(data), manifest_data=sidecar, context=c2pa.Context(settings))
    return reader.get_validation_state(), json.loads(reader.json())


def failures(report: dict) -> list[str]:
    return [status["code"] for status in report["validation_results"]["activeManifest"]["failure"]]


def test_the_embedded_and_sidecar_manifests_are_trusted_and_valid(delivered: Delivered) -> None:
    paths = write_credentials(delivered)
    state, report = read(delivered.anchor, "image/png", paths["png"].read_bytes())
    assert (state, failures(report)) == ("Trusted", [])
    state, report = read(delivered.anchor, "image/png", delivered.media.read_bytes(), paths["c2pa"].read_bytes())
    assert (state, failures(report)) == ("Trusted", [])


def test_the_actions_ingredients_and_agents_are_the_ledgers(delivered: Delivered) -> None:
    paths = write_credentials(delivered)
    _, report = read(delivered.anchor, "image/png", paths["png"].read_bytes())
    manifest = report["manifests"][report["active_manifest"]]
    actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")["data"]["actions"]

    # The ledger's own account of the chain: refinements back to the generation, and its request.
    refinements = {e["payload"]["output_asset"]: e for e in delivered.events("refinement.applied")}
    chain, current = [], delivered.asset
    while current in refinements:
        chain.insert(0, refinements[current])
        current = refinements[current]["payload"]["input_asset"]
    completed = next(e for e in delivered.events("generation.completed") if e["payload"]["asset"] == current)
    requested = next(e for e in delivered.events("generation.requested")
                     if e["payload"]["generation"] == completed["payload"]["generation"]
                     and e["payload"]["deliverable"] == completed["payload"]["deliverable"])

    created = actions[0]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == TRAINED
    assert created["softwareAgent"] == {"name": requested["payload"]["model"], "version": requested["payload"]["model_version"]}
    assert created["parameters"]["org.genledger.seq"] == completed["seq"]
    assert created["parameters"]["org.genledger.event_hash"] == completed["hash"]
    assert [(a["softwareAgent"]["name"], a["parameters"]["org.genledger.step"], a["parameters"]["org.genledger.seq"])
            for a in actions[1:]] == [(r["payload"]["model"], r["payload"]["step"], r["seq"]) for r in chain]
    assert actions[1]["action"] == "c2pa.resized"

    upstream = requested["payload"]["references"]
    assert upstream and [i["title"] for i in manifest["ingredients"]] == [r["asset"] for r in upstream]
    upstream_done = next(e for e in delivered.events("generation.completed") if e["payload"]["asset"] == upstream[0]["asset"])
    ingredient = manifest["ingredients"][0]
    assert ingredient["relationship"] == "inputTo"
    assert ingredient["metadata"]["org.genledger.sha256"] == upstream_done["payload"]["asset_sha256"]
    assert ingredient["metadata"]["org.genledger.seq"] == upstream_done["seq"]
    assert manifest["claim_generator_info"][0]["name"] == "GenLedger"


def test_the_evidence_assertion_verifies_offline(delivered: Delivered) -> None:
    paths = write_credentials(delivered)
    _, report = read(delivered.anchor, "image/png", paths["png"].read_bytes())
    manifest = report["manifests"][report["active_manifest"]]
    evidence = next(a for a in manifest["assertions"] if a["label"] == "org.genledger.evidence")["data"]
    assert evidence["subject"]["asset"] == delivered.asset
    # Prompts and routing inputs stay in the studio: only the events that record bytes are disclosed.
    disclosed = {e["event"]["type"] for e in evidence["events"] if "payload" in e["event"]}
    assert disclosed <= {"generation.completed", "refinement.applied"} and "generation.completed" in disclosed
    assert any("payload" not in e["event"] for e in evidence["events"])
    path = delivered.directory / "extracted-evidence.json"
    path.write_text(json.dumps(evidence))
    ok = delivered.cli("verify-bundle", str(path), "--key", delivered.key, "--asset", str(delivered.media), check=False)
    assert ok.returncode == 0, ok.stderr
    assert check(evidence, delivered.key) == []
    # genledger verify-bundle reads the same assertion straight from the file that carries it,
    # and holds the file's bytes without the manifest to the evidence's subject.
    for carrier in (paths["png"], paths["c2pa"]):
        ok = delivered.cli("verify-bundle", str(carrier), "--key", delivered.key, check=False)
        assert ok.returncode == 0 and "payloads withheld" in ok.stdout, ok.stderr
    changed = bytearray(paths["png"].read_bytes())
    changed[-20] ^= 0x01
    tampered = delivered.directory / "tampered.png"
    tampered.write_bytes(bytes(changed))
    refused = delivered.cli("verify-bundle", str(tampered), "--key", delivered.key, check=False)
    assert refused.returncode == 2 and "without its manifest" in refused.stderr
    plain = delivered.cli("verify-bundle", str(delivered.media), "--key", delivered.key, check=False)
    assert plain.returncode == 65 and "no Content Credentials" in plain.stderr


def test_one_changed_byte_is_a_hash_mismatch(delivered: Delivered) -> None:
    paths = write_credentials(delivered)
    embedded = bytearray(paths["png"].read_bytes())
    embedded[-20] ^= 0x01  # in the image data, after the manifest
    state, report = read(delivered.anchor, "image/png", bytes(embedded))
    assert state == "Invalid" and "assertion.dataHash.mismatch" in failures(report)
    original = bytearray(delivered.media.read_bytes())
    original[-20] ^= 0x01
    state, report = read(delivered.anchor, "image/png", bytes(original), paths["c2pa"].read_bytes())
    assert state == "Invalid" and "assertion.dataHash.mismatch" in failures(report)


def test_a_manifest_signed_by_another_ca_is_untrusted(delivered: Delivered) -> None:
    paths = write_credentials(delivered, ca="other-ca", prefix="other")
    state, report = read(delivered.anchor, "image/png", paths["png"].read_bytes())
    assert state != "Trusted" and "signingCredential.untrusted" in failures(report)
    # …and trusted by whoever trusts that CA.
    state, _ = read(delivered.other_anchor, "image/png", paths["png"].read_bytes())
    assert state == "Trusted"


def test_another_file_is_refused_and_nothing_is_written(delivered: Delivered) -> None:
    other = delivered.directory / "other.png"
    other.write_bytes(delivered.media.read_bytes() + b"\0")
    outputs = [delivered.directory / f"refused.{kind}" for kind in ("c2pa", "png", "prov.json", "bundle.json")]
    result = delivered.cli("provenance", delivered.asset, "--file", str(other), "--c2pa", str(outputs[0]),
                           "--embed", str(outputs[1]), "--prov", str(outputs[2]), "--bundle", str(outputs[3]),
                           "--cert", str(delivered.directory / "ca" / "signer-chain.pem"),
                           "--key", str(delivered.directory / "ca" / "signer.key"), check=False)
    assert result.returncode == 65 and "SHA-256" in result.stderr
    assert not any(path.exists() for path in outputs)
    wrong_key = delivered.cli("provenance", delivered.asset, "--file", str(delivered.media), "--c2pa", str(outputs[0]),
                              "--cert", str(delivered.directory / "ca" / "signer-chain.pem"),
                              "--key", str(delivered.directory / "other-ca" / "signer.key"), check=False)
    assert wrong_key.returncode == 65 and "not the one the first certificate" in wrong_key.stderr
    assert not outputs[0].exists()


def test_a_jpeg_delivery_takes_embedded_credentials(server) -> None:
    client = Client(server.url, server.tokens["writer"])
    open_hero_deliverable(client, "D-JPG-1")
    delivered = server.directory / "still.jpg"
    shutil.copy(REPO / "Tests" / "ContentCredentialsTests" / "Fixtures" / "tiny.jpg", delivered)
    with client.generation("D-JPG-1", **generation_options()) as take:
        take.completed("A-JPG-1", path=delivered)
    server.cli("checkpoint")
    server.cli("provenance", "--make-test-ca", str(server.directory / "ca"))
    out = server.directory / "still.c2pa.jpg"
    server.cli("provenance", "A-JPG-1", "--file", str(delivered), "--embed", str(out),
               "--cert", str(server.directory / "ca" / "signer-chain.pem"), "--key", str(server.directory / "ca" / "signer.key"))
    state, report = read(server.directory / "ca" / "ca.pem", "image/jpeg", out.read_bytes())
    assert (state, failures(report)) == ("Trusted", [])
    key = server.cli("key", "list").stdout.splitlines()[0]
    ok = server.cli("verify-bundle", str(out), "--key", key, check=False)
    assert ok.returncode == 0, ok.stderr
    manifest = report["manifests"][report["active_manifest"]]
    created = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")["data"]["actions"][0]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == TRAINED


def test_prov_json_parses_and_equals_the_lineage_explain_prints(delivered: Delivered) -> None:
    paths = write_credentials(delivered)
    document = ProvDocument.deserialize(str(paths["prov.json"]), format="json")
    explained = json.loads(delivered.cli("explain", delivered.asset, "--json").stdout)["data"]

    entities = {str(e.identifier).removeprefix("asset:") for e in document.get_records(ProvEntity)}
    assert entities == set(explained["assets"])
    derivations = set()
    for derivation in document.get_records(ProvDerivation):
        attributes = dict(derivation.formal_attributes)
        derivations.add((str(attributes[next(k for k in attributes if str(k) == "prov:usedEntity")]).removeprefix("asset:"),
                         str(attributes[next(k for k in attributes if str(k) == "prov:generatedEntity")]).removeprefix("asset:")))
    assert derivations == {(edge["from"], edge["to"]) for edge in explained["edges"]}
    activities = {str(a.identifier) for a in document.get_records(ProvActivity)}
    generations = {a for a in activities if a.startswith("activity:generation-")}
    refinements = {a for a in activities if a.startswith("activity:refinement-")}
    # One generation per generated asset (the video and its upstream frame), one refinement per upscale or polish.
    assert len(generations) == len([e for e in explained["edges"] if e["label"] in ("upstream-image", "character")]) + 1
    assert len(refinements) == len([e for e in explained["edges"] if e["label"] not in ("upstream-image", "character")])
    # Every element rests on a ledger seq and event hash.
    hashes = {event["seq"]: event["hash"] for event in explained["events"]}
    for record in document.get_records():
        attributes = {str(k): v for k, v in record.attributes}
        if record.is_element() and str(record.identifier).startswith("agent:"):
            continue
        assert "gl:seq" in attributes and "gl:eventHash" in attributes, record
        assert hashes.get(attributes["gl:seq"], attributes["gl:eventHash"]) == attributes["gl:eventHash"]
    # The routing decision and the policy's judgement are attributes of the generation.
    generation = next(a for a in document.get_records(ProvActivity) if str(a.identifier) in generations)
    names = {str(k) for k, _ in generation.attributes}
    assert {"gl:routingDecision", "gl:routingTable", "gl:policy", "gl:policyOutcome", "gl:model"} <= names
