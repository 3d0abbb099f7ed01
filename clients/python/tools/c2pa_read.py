#!/usr/bin/env python3
"""Reads a file's Content Credentials with c2pa-python (the C2PA SDK) as a validator would, with
the given CA certificate as the only trust anchor, and prints what it found.

    python3 clients/python/tools/c2pa_read.py TRUST_ANCHOR.pem FILE [SIDECAR.c2pa]

Exit 0 when the validation state is Trusted with no failure codes, 1 otherwise."""

from __future__ import annotations

import json
import mimetypes
import sys

import c2pa


def main(anchor: str, path: str, sidecar: str | None = None) -> int:
    settings = c2pa.Settings.from_dict({"verify": {"verify_trust": True}, "trust": {"trust_anchors": open(anchor).read()}})
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as stream:
        manifest_data = open(sidecar, "rb").read() if sidecar else None
        reader = c2pa.Reader(media_type, stream, manifest_data=manifest_data, context=c2pa.Context(settings))
        state, report = reader.get_validation_state(), json.loads(reader.json())
    manifest = report["manifests"][report["active_manifest"]]
    failures = [f"{s['code']} ({s.get('explanation', '')})" for s in report["validation_results"]["activeManifest"]["failure"]]
    signer = manifest["signature_info"]
    print(f"c2pa-python (C2PA SDK {c2pa.sdk_version()}): {path}: {state}" + ("" if not failures else ", failures: " + "; ".join(failures)))
    print(f"  signed by {signer.get('common_name')} ({signer.get('issuer')}), {signer.get('alg')}")
    for assertion in manifest["assertions"]:
        if assertion["label"] == "c2pa.actions.v2":
            for action in assertion["data"]["actions"]:
                agent = action.get("softwareAgent", {})
                version = f" {agent['version']}" if agent.get("version") else ""
                source = " (trainedAlgorithmicMedia)" if action.get("digitalSourceType", "").endswith("/trainedAlgorithmicMedia") else ""
                print(f"  {action['action']} by {agent.get('name', '?')}{version}{source}: {action.get('description', '')}")
        elif assertion["label"] == "org.genledger.evidence":
            data = assertion["data"]
            print(f"  org.genledger.evidence: {len(data['events'])} events proven against a signed checkpoint of {data['origin']}")
    for ingredient in manifest.get("ingredients", []):
        sha = ingredient.get("metadata", {}).get("org.genledger.sha256", "?")
        print(f"  ingredient ({ingredient['relationship']}): {ingredient['title']}, SHA-256 {sha}")
    return 0 if state == "Trusted" and not failures else 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
