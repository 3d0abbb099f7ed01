"""An evidence bundle checked from docs/FORMAT.md §12 alone, with hashlib and the `cryptography`
package's Ed25519: no GenLedger code. Returns the list of problems (empty: it holds)."""

from __future__ import annotations

import base64
import hashlib
import json


def jcs(value) -> bytes:
    """RFC 8785 for the values GenLedger writes: sorted members, no white space, UTF-8 strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check(bundle: dict, log_key: str) -> list[str]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    problems = []
    name, key_id, encoded = log_key.split("+", 2)
    raw = base64.b64decode(encoded)
    key = Ed25519PublicKey.from_public_bytes(raw[1:])
    note = bundle["checkpoint"]
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    signed = False
    for line in signatures.splitlines():
        signer, sig = line[2:].split(" ")
        sig = base64.b64decode(sig)
        if signer == name and sig[:4].hex() == key_id:
            key.verify(sig[4:], body.encode())  # raises when it does not verify
            signed = True
    if not signed:
        return ["the checkpoint is not signed by the log's key"]
    origin, size, root = body.splitlines()[:3]
    size, root = int(size), base64.b64decode(root)
    for entry in bundle["events"]:
        event, inclusion = entry["event"], entry["inclusion"]
        # A withheld payload (absent) is not checked; its digest is still in the hashed envelope.
        if "payload" in event and hashlib.sha256(jcs(event["payload"])).hexdigest() != event["payload_digest"]:
            problems.append(f"seq {event['seq']}: payload digest")
        hashed = {k: v for k, v in event.items() if k not in ("hash", "payload")}
        event_hash = hashlib.sha256(jcs(hashed)).digest()
        if event_hash.hex() != event["hash"]:
            problems.append(f"seq {event['seq']}: event hash")
        # RFC 9162 §2.1.3.2
        fn, sn = inclusion["leafIdx"], size - 1
        if fn != event["seq"] - 1 or inclusion["treeSize"] != size:
            problems.append(f"seq {event['seq']}: proof for another leaf or tree")
            continue
        r = hashlib.sha256(b"\x00" + event_hash).digest()
        for p in (base64.b64decode(h) for h in inclusion["proof"]):
            if sn == 0:
                break
            if fn & 1 or fn == sn:
                r = hashlib.sha256(b"\x01" + p + r).digest()
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = hashlib.sha256(b"\x01" + r + p).digest()
            fn >>= 1
            sn >>= 1
        if sn != 0 or r != root:
            problems.append(f"seq {event['seq']}: inclusion proof")
    return problems
