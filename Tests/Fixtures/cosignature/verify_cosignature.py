"""A C2SP tlog-cosignature (Ed25519, type 0x04) verifier written from the specification alone,
with the `cryptography` package's Ed25519: no GenLedger code. It also checks the log's own
signature (C2SP signed-note, type 0x01).

    python3 verify_cosignature.py CHECKPOINT_FILE LOG_VKEY WITNESS_VKEY [WITNESS_VKEY ...]

Prints one line per witness, "cosigned NAME TIMESTAMP" or "absent NAME", and exits 0 when the
log's signature verifies and every cosignature present verifies; 1 otherwise.
"""

import base64
import hashlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def parse_vkey(text: str, algorithm: int):
    name, key_id, encoded = text.strip().split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == algorithm, f"{name}: algorithm byte {raw[0]:#x}, expected {algorithm:#x}"
    public = raw[1:]
    expected = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public).digest()[:4]
    assert expected.hex() == key_id, f"{name}: key id {key_id} does not match"
    return name, expected, Ed25519PublicKey.from_public_bytes(public)


def main() -> int:
    note = open(sys.argv[1], encoding="utf-8").read()
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    lines = [line for line in signatures.split("\n") if line]
    log_name, log_id, log_key = parse_vkey(sys.argv[2], 0x01)
    ok = False
    for line in lines:
        assert line.startswith("\u2014 "), line
        name, encoded = line[2:].split(" ")
        raw = base64.b64decode(encoded)
        if name == log_name and raw[:4] == log_id:
            log_key.verify(raw[4:], body.encode())
            ok = True
    if not ok:
        print("no log signature")
        return 1
    for vkey in sys.argv[3:]:
        name, key_id, key = parse_vkey(vkey, 0x04)
        found = False
        for line in lines:
            signer, encoded = line[2:].split(" ")
            raw = base64.b64decode(encoded)
            if signer != name or raw[:4] != key_id:
                continue
            (timestamp,) = struct.unpack(">Q", raw[4:12])
            message = f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()
            try:
                key.verify(raw[12:], message)
            except InvalidSignature:
                print(f"invalid {name}")
                return 1
            print(f"cosigned {name} {timestamp}")
            found = True
        if not found:
            print(f"absent {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
