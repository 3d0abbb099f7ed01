"""Fixtures: the built `genledger` binary, the repository's files, and a live `genledger serve`
on a loopback port over a fresh ledger with the shipped policies published and one token per
role (the same set-up as Tests/LedgerServiceTests/LiveServer.swift)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def genledger_binary() -> Path:
    """The binary `make test` built (GENLEDGER_BIN overrides)."""
    path = Path(os.environ.get("GENLEDGER_BIN", REPO / ".build" / "debug" / "genledger"))
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `swift build` first (make test does)")
    return path


@pytest.fixture(scope="session")
def genledger() -> Path:
    return genledger_binary()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def schema() -> dict:
    return json.loads((REPO / "docs" / "events.schema.json").read_text())


def events_md_examples() -> list[dict]:
    """Every event example of docs/EVENTS.md, in order."""
    text = (REPO / "docs" / "EVENTS.md").read_text()
    examples = []
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("{") and '"stream"' in line:
                examples.append(json.loads(line))
    return examples


@dataclass
class LiveServer:
    """A running `genledger serve` and the CLI over the same ledger."""

    directory: Path
    ledger: Path
    process: subprocess.Popen
    url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def cli(self, *arguments: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return run_cli(self.ledger, self.directory, *arguments, stdin=stdin, check=check)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_cli(ledger: Path, cwd: Path, *arguments: str, stdin: str | None = None, check: bool = True):
    result = subprocess.run(
        [str(genledger_binary()), *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "GENLEDGER_LEDGER": str(ledger)},
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"genledger {' '.join(arguments)} exited {result.returncode}: {result.stderr}")
    return result


def start_server(directory: Path, *arguments: str, prepare=None) -> LiveServer:
    ledger = directory / "ledger.db"
    run_cli(ledger, directory, "init", "--origin", "python.example/log")
    run_cli(ledger, directory, "policy", "publish", str(REPO / "policies"), "--occurred-at", "2026-01-01")
    if prepare:
        prepare(ledger)
    tokens = {}
    for role in ("writer", "approver", "auditor", "admin"):
        name = {"approver": "approver:lena"}.get(role, f"{role}:test")
        tokens[role] = run_cli(ledger, directory, "token", "create", "--role", role, "--name", name).stdout.strip()
    log = open(directory / "serve.log", "w")
    process = subprocess.Popen(
        [str(genledger_binary()), "serve", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        cwd=directory,
        env={**os.environ, "GENLEDGER_LEDGER": str(ledger)},
    )
    deadline = time.monotonic() + 60
    url = None
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if match:
            url = f"http://127.0.0.1:{match.group(1)}"
            break
    if url is not None:
        # Keep reading what the server prints, so that it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    if url is None:
        process.kill()
        raise AssertionError(f"genledger serve did not start: {(directory / 'serve.log').read_text()}")
    return LiveServer(directory, ledger, process, url, tokens)


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="genledger-py-") as directory:
        live = start_server(Path(directory))
        try:
            yield live
        finally:
            live.stop()
