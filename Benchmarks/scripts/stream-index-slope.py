"""Which index makes a SQLite append slow down as the table grows?

Inserts N rows shaped like the ledger's (a time-ordered id, 5 000 streams written round robin,
a 250-byte payload, three 32-byte digests) in transactions of 10 000, with the ledger's pragmas
(WAL, synchronous=FULL, 64 MiB page cache), and prints the rate over each 100 000 rows. Variants:
full (UNIQUE id and UNIQUE(stream, stream_version), as the ledger before schema 5), noid,
nostream, none, and heads (UNIQUE id; each stream's last version and seq in a small
stream_heads table, each event pointing at its stream's previous event: the ledger since
schema 5).

    python3 Benchmarks/scripts/stream-index-slope.py full 1000000 [streams]

Python's own cost per row caps every variant near 80 k rows/s: compare the slopes, not the rates.
"""
import os
import sqlite3
import sys
import tempfile
import time

variant = sys.argv[1]; N = int(sys.argv[2]); S = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
path = os.path.join(tempfile.gettempdir(), f"stream-index-slope-{variant}.db")
for s in ["", "-wal", "-shm"]:
    try: os.remove(path + s)
    except FileNotFoundError: pass
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL"); db.execute("PRAGMA cache_size=-65536")
idx = {"full": "id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, sv INTEGER NOT NULL",
       "nostream": "id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, sv INTEGER NOT NULL",
       "noid": "id TEXT NOT NULL, stream TEXT NOT NULL, sv INTEGER NOT NULL",
       "none": "id TEXT NOT NULL, stream TEXT NOT NULL, sv INTEGER NOT NULL",
       "heads": "id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, sv INTEGER NOT NULL"}[variant]
heads = variant == "heads"
db.execute(f"CREATE TABLE events(seq INTEGER PRIMARY KEY, {idx}, payload BLOB, h1 BLOB, h2 BLOB, h3 BLOB"
           + (", prev INTEGER" if heads else "")
           + (", UNIQUE(stream, sv))" if variant in ("full", "noid") else ")"))
if heads:
    db.execute("CREATE TABLE stream_heads(stream TEXT PRIMARY KEY, version INTEGER NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID")
payload = os.urandom(250); h = os.urandom(32)
versions = {}; last = {}
t0 = time.time(); win = t0; B = 10000
for b in range(0, N, B):
    rows = []; moved = []
    for i in range(b, b + B):
        s = f"deliverable/D-{i % S}"
        v = versions.get(s, 0) + 1; versions[s] = v
        row = (i + 1, f"{i:016x}-7000-8000-000000000000", s, v, payload, h, h, h)
        if heads:
            row += (last.get(s),); last[s] = i + 1; moved.append((s, v, i + 1))
        rows.append(row)
    db.execute("BEGIN")
    db.executemany("INSERT INTO events VALUES (" + ",".join("?" * len(rows[0])) + ")", rows)
    if heads:
        db.executemany("INSERT INTO stream_heads VALUES (?,?,?) ON CONFLICT(stream) DO UPDATE SET version = excluded.version, seq = excluded.seq", moved)
    db.execute("COMMIT")
    done = b + B
    if done % 100000 == 0:
        now = time.time(); print(variant, done, int(100000 / (now - win)), flush=True); win = now
