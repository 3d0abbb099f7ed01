"""docs/events.schema.json against an implementation nobody here wrote (the `jsonschema`
package): it is what `genledger schema` prints, it is a valid draft 2020-12 schema, every
example of docs/EVENTS.md fits it, and on a corpus of valid and invalid events made by mutating
those examples field by field, the schema and the Swift validator (`genledger schema
--validate`) give the same verdict for every event."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from conftest import events_md_examples


def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_the_file_is_what_genledger_schema_prints(genledger: Path, repo: Path) -> None:
    printed = subprocess.run([str(genledger), "schema"], capture_output=True, text=True, check=True).stdout
    assert printed == (repo / "docs" / "events.schema.json").read_text(), (
        "docs/events.schema.json is stale: genledger schema > docs/events.schema.json"
    )


def test_it_is_a_valid_draft_2020_12_schema(schema: dict) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]) == set(schema["properties"]["type"]["enum"])
    assert len(schema["$defs"]) == 30


def test_every_events_md_example_fits(schema: dict) -> None:
    examples = events_md_examples()
    assert len(examples) >= 25
    types = {example["type"] for example in examples}
    missing = set(schema["$defs"]) - types - {"policy.denied"}
    assert not missing, f"EVENTS.md has no example of {sorted(missing)}"
    check = validator(schema)
    for example in examples:
        errors = sorted(check.iter_errors(example), key=lambda e: list(e.path))
        assert not errors, f"{example['type']}: {[f'{list(e.path)}: {e.message}' for e in errors]}"


# A mutation is (description, function from event to mutated event). Only the payload's own
# fields are mutated; documents carried whole (policies, routing tables) are read by their own
# readers and described as opaque objects, so their insides are left alone.
def leaf_paths(value, path=()):
    if isinstance(value, dict):
        if path and path[-1] == "document":
            return
        for key, child in value.items():
            yield from leaf_paths(child, path + (key,))
            yield path + (key,)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaf_paths(child, path + (index,))


def get(value, path):
    for step in path:
        value = value[step]
    return value


def with_value(event: dict, path: tuple, new) -> dict:
    mutated = copy.deepcopy(event)
    parent = get(mutated, path[:-1])
    if new is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return mutated


DELETE = object()


def mutations(event: dict):
    yield "as written", event
    for path in sorted(set(leaf_paths(event["payload"], ("payload",))), key=str):
        original = get(event, path)
        if isinstance(path[-1], str):
            yield f"{path} removed", with_value(event, path, DELETE)
        yield f"{path} null", with_value(event, path, None)
        if isinstance(original, str):
            yield f"{path} empty", with_value(event, path, "")
            yield f"{path} bogus", with_value(event, path, "bogus value")
            yield f"{path} number", with_value(event, path, 7)
        elif isinstance(original, bool):
            yield f"{path} string", with_value(event, path, "true")
        elif isinstance(original, (int, float)):
            yield f"{path} negative", with_value(event, path, -1)
            yield f"{path} fraction", with_value(event, path, 1.5)
            yield f"{path} string", with_value(event, path, "1")
            yield f"{path} large", with_value(event, path, 1000)
        elif isinstance(original, list):
            yield f"{path} empty list", with_value(event, path, [])
            yield f"{path} object", with_value(event, path, {})
        elif isinstance(original, dict):
            yield f"{path} list", with_value(event, path, [])
    yield "gate supplied", with_value(event, ("payload", "gate"), {"outcome": "allowed"})
    yield "extra payload field", with_value(event, ("payload", "pipeline_note"), "kept as it is")
    yield "unknown envelope field", with_value(event, ("extra",), 1)
    yield "unknown type", with_value(event, ("type",), "generation.started")
    yield "no stream", with_value(event, ("stream",), DELETE)
    yield "stream of another entity kind", with_value(event, ("stream",), "campaign-x/" + event["stream"])
    yield "id not a UUID", with_value(event, ("id",), "not-a-uuid")
    yield "id a UUID", with_value(event, ("id",), "0190a8f4-5c2e-7b3a-9d4e-1f2a3b4c5d6e")
    yield "expected_version negative", with_value(event, ("expected_version",), -1)
    yield "occurred_at not a date", with_value(event, ("occurred_at",), "yesterday")


def swift_verdicts(genledger: Path, events: list[dict], tmp_path: Path) -> list[dict]:
    lines = tmp_path / "corpus.jsonl"
    lines.write_text("".join(json.dumps(event) + "\n" for event in events))
    result = subprocess.run(
        [str(genledger), "schema", "--validate", str(lines)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode in (0, 65), result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(verdicts) == len(events)
    return verdicts


# What JSON Schema cannot say, and the schema's description names: that the stream is the one of
# the entity the payload names (a value equal to another value), that a published document's
# name and version are those in the document, and that payload.erased is written only by
# genledger erase (who may write, not what is written). There, and only there, the schema is
# weaker than the ledger: it accepts what the Swift validator refuses, never the other way.
BEYOND_A_SCHEMA = ("(docs/EVENTS.md, Streams)", "differs from document.", "is written by genledger erase")


def test_schema_and_swift_validator_agree_on_a_mutated_corpus(genledger: Path, schema: dict, tmp_path: Path) -> None:
    corpus = [(f"{event['type']}: {name}", mutated) for event in events_md_examples() for name, mutated in mutations(event)]
    verdicts = swift_verdicts(genledger, [event for _, event in corpus], tmp_path)
    check = validator(schema)
    disagreements = []
    beyond = 0
    valid = invalid = 0
    for (name, event), verdict in zip(corpus, verdicts):
        schema_says = check.is_valid(event)
        if schema_says != verdict["valid"]:
            if schema_says and any(reason in verdict.get("message", "") for reason in BEYOND_A_SCHEMA):
                beyond += 1
                continue
            disagreements.append(
                f"{name}: schema {'accepts' if schema_says else 'refuses'}, Swift "
                f"{'accepts' if verdict['valid'] else 'refuses: ' + verdict.get('field', '') + ' ' + verdict.get('message', '')}"
            )
        valid += verdict["valid"]
        invalid += not verdict["valid"]
    assert not disagreements, "\n".join(disagreements[:40]) + f"\n({len(disagreements)} in all)"
    # The corpus is worth something only if it has both kinds, in numbers.
    assert valid > 200 and invalid > 1000, (valid, invalid)
    assert beyond < 120, beyond
    print(f"{len(corpus)} events: {valid} valid, {invalid} invalid, agreed; {beyond} beyond a schema")


def test_a_refused_event_names_the_field_in_both(genledger: Path, schema: dict, tmp_path: Path) -> None:
    event = next(e for e in events_md_examples() if e["type"] == "generation.requested")
    broken = with_value(event, ("payload", "parameters", "aspect_ratio"), "wide")
    [verdict] = swift_verdicts(genledger, [broken], tmp_path)
    assert verdict == {**verdict, "valid": False, "field": "payload.parameters.aspect_ratio"}
    error = jsonschema.exceptions.best_match(validator(schema).iter_errors(broken))
    assert list(error.absolute_path) == ["payload", "parameters", "aspect_ratio"]
