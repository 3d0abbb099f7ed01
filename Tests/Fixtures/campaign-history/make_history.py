#!/usr/bin/env python3
"""Writes history.jsonl: one spring campaign's history, written by hand, event by event.

The events below are the fixture; this script only adds what a person cannot compute by hand:
the policy document's digest, template body digests, asset SHA-256s and the approver's Ed25519
signature on the override (docs/POLICIES.md, approvers; the key is derived from a fixed seed so
the file is reproducible). Run from the repository root after `genledger policy publish
policies` semantics change:  python3 Tests/Fixtures/campaign-history/make_history.py
HistoryImportTests.swift works out every figure of this history by hand.
"""
import base64, hashlib, json, os
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

def canon(value):  # RFC 8785 for the values used here (strings, integers, short decimals)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()

# The approver's key: seed fixed for the fixture, so the signature below is reproducible.
seed = hashlib.sha256(b"genledger campaign-history fixture: approver:lena").digest()
lena = Ed25519PrivateKey.from_private_bytes(seed)
public = lena.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key_id = hashlib.sha256(b"approver:lena\n\x01" + public).digest()[:4]
lena_key = "approver:lena+" + key_id.hex() + "+" + base64.b64encode(b"\x01" + public).decode()

with open(os.path.join(ROOT, "policies", "governance.yaml")) as f:
    policy = yaml.safe_load(f)
policy["version"] = 2
policy["rationale"] = "Spring campaign: key visuals get two attempts before an approver must sign; Lena signs on the command line."
policy["approvers"] = [{"id": "approver:lena", "key": lena_key}, "approver:marcus"]
policy["regeneration_caps"].append({"category": "key-visual", "stage": "delivery", "max_attempts": 2, "action": "require-approval"})

with open(os.path.join(ROOT, "policies", "models.yaml")) as f:
    versions = {m["id"]: str(m["version"]) for m in yaml.safe_load(f)["models"]}

events = []
def ev(at, type, stream, payload, actor="pipeline:spring-farm", **extra):
    line = {"type": type, "stream": stream, "payload": payload, "occurred_at": at, "actor": actor}
    line.update(extra)
    events.append(line)

def day(d, t):
    return "2026-07-%02dT%s:00Z" % (d, t)

# --- policy v2 and templates ---------------------------------------------------------------
ev(day(1, "08:00"), "policy.published", "policy/governance",
   {"policy": "governance", "version": 2, "document": policy, "digest": sha(canon(policy)), "author": "governance@studio.example"},
   actor="governance@studio.example")
templates = {
    "tpl-hero": "{product} hero film, slow dolly in, golden hour, brand palette {palette}",
    "tpl-kv": "{product} key visual, studio light, negative space top left for the headline",
    "tpl-prod": "animate the still: gentle parallax, {product} rotates 15 degrees",
    "tpl-social": "{product} 10 second vertical teaser, fast cuts, bold captions",
}
for name, body in templates.items():
    ev(day(1, "08:10"), "template.versioned", "template/" + name,
       {"template": name, "version": 1, "body": body, "body_digest": sha(body), "note": "spring campaign"}, actor="author:prompt-team")

# --- the campaign and its deliverables -------------------------------------------------------
ev(day(1, "09:00"), "campaign.opened", "campaign/C-SPRING",
   {"campaign": "C-SPRING", "name": "Spring launch", "budget": {"amount": 5000, "currency": "USD"}}, actor="producer:amira")
ev(day(1, "09:01"), "seed.locked", "campaign/C-SPRING", {"scope": "campaign", "campaign": "C-SPRING", "seed": 777}, actor="producer:amira")
def opened(d, category, modality, platform, ratio, duration=None):
    p = {"deliverable": d, "campaign": "C-SPRING", "category": category, "stage": "delivery", "modality": modality,
         "platforms": [{"platform": platform, "aspect_ratio": ratio}]}
    if duration is not None: p["duration_seconds"] = duration
    ev(day(1, "09:05"), "deliverable.opened", "deliverable/" + d, p, actor="producer:amira")
opened("D-HERO", "hero-video", "text-to-video", "youtube", "16:9", 20)
opened("D-KV", "key-visual", "text-to-image", "web", "16:9")
opened("D-PROD", "product-video", "image-to-video", "instagram", "9:16", 8)
opened("D-SOC", "social-short", "text-to-video", "tiktok", "9:16", 10)

def decided(at, d, decision, table, rule, tier, model, modality, category, duration=None, candidates=None):
    request = {"deliverable": d, "campaign": "C-SPRING", "category": category, "stage": "delivery", "modality": modality}
    if duration is not None: request["duration_seconds"] = duration
    ev(at, "routing.decided", "deliverable/" + d,
       {"decision": decision, "request": request, "table": table, "table_version": 1, "rule": rule, "tier": tier,
        "model": model, "model_version": versions[model],
        "candidates": candidates or [{"model": model, "role": "primary", "eligible": True, "chosen": True, "reason": "chosen: primary, active"}]})

def requested(at, d, g, attempt, model, template, seed, decision, parameters, **more):
    p = {"deliverable": d, "generation": g, "attempt": attempt, "model": model, "model_version": versions[model],
         "template": template, "template_version": 1, "seed": seed, "parameters": parameters, "routing_decision": decision}
    p.update(more)
    ev(at, "generation.requested", "deliverable/" + d, p)

def completed(at, d, g, asset, latency):
    ev(at, "generation.completed", "deliverable/" + d,
       {"deliverable": d, "generation": g, "asset": asset, "asset_sha256": sha("bytes of " + asset), "latency_ms": latency})

def cost(at, d, kind, amount, **subject):
    p = {"deliverable": d, "kind": kind, "amount": amount, "currency": "USD"}
    p.update(subject)
    ev(at, "cost.recorded", "deliverable/" + d, p)

def reviewed(at, d, asset, verdict, reasons=None):
    p = {"deliverable": d, "asset": asset, "verdict": verdict, "reviewer": "reviewer:ana"}
    if reasons: p["reasons"] = reasons
    ev(at, "asset.reviewed", "deliverable/" + d, p, actor="reviewer:ana")

def regeneration(at, d, prior, attempt, reason):
    ev(at, "regeneration.requested", "deliverable/" + d, {"deliverable": d, "prior_asset": prior, "attempt": attempt, "reason": reason})

def refined(at, d, source, output, model):
    ev(at, "refinement.applied", "deliverable/" + d,
       {"deliverable": d, "input_asset": source, "output_asset": output, "output_sha256": sha("bytes of " + output),
        "step": "upscale", "model": model, "factor": 2})

def delivery(at, d, asset, platform, ask=True):
    if ask:
        ev(at, "delivery.requested", "deliverable/" + d, {"deliverable": d, "asset": asset, "platforms": [platform]})
    ev(at, "deliverable.delivered", "deliverable/" + d, {"deliverable": d, "asset": asset, "platforms": [platform]}, actor="producer:amira")

# --- D-HERO: a provider failure and its fallback, a rejected attempt, a regeneration ----------
decided(day(2, "10:00"), "D-HERO", "R-HERO-1", "video", "hero-cinematic", "cinematic", "veo-3.1", "text-to-video", "hero-video", 20,
        [{"model": "veo-3.1", "role": "primary", "eligible": True, "chosen": True, "reason": "chosen: primary, active"},
         {"model": "sora-2-pro", "role": "fallback:default", "eligible": True, "chosen": False, "reason": "eligible, not needed"}])
hero = {"aspect_ratio": "16:9", "duration_seconds": 20, "cfg_scale": 7, "steps": 40}
requested(day(2, "10:01"), "D-HERO", "G-H1", 1, "veo-3.1", "tpl-hero", 777, "R-HERO-1", hero)
ev(day(2, "10:11"), "generation.failed", "deliverable/D-HERO",
   {"deliverable": "D-HERO", "generation": "G-H1", "failure_mode": "timeout", "latency_ms": 600000, "message": "queue timeout"})
ev(day(2, "10:12"), "fallback.triggered", "deliverable/D-HERO",
   {"deliverable": "D-HERO", "generation": "G-H1", "from_model": "veo-3.1", "to_model": "sora-2-pro", "failure_mode": "timeout",
    "table": "video", "rule": "hero-cinematic"})
requested(day(2, "10:13"), "D-HERO", "G-H2", 1, "sora-2-pro", "tpl-hero", 777, "R-HERO-1", hero,
          fallback_from={"generation": "G-H1", "failure_mode": "timeout"})
completed(day(2, "10:16"), "D-HERO", "G-H2", "A-H1", 150000)
cost(day(2, "10:16"), "D-HERO", "generation", 10.00, generation="G-H2")
reviewed(day(2, "11:00"), "D-HERO", "A-H1", "rejected", ["logo distorted in the last shot"])
cost(day(2, "11:00"), "D-HERO", "review-time", 3.00, asset="A-H1")
cost(day(2, "11:00"), "D-HERO", "opportunity", 20.00, asset="A-H1")
regeneration(day(2, "11:05"), "D-HERO", "A-H1", 2, "client asked for the logo to stay sharp")
requested(day(2, "11:06"), "D-HERO", "G-H3", 2, "veo-3.1", "tpl-hero", 777, "R-HERO-1", hero)
completed(day(2, "11:08"), "D-HERO", "G-H3", "A-H2", 95000)
cost(day(2, "11:08"), "D-HERO", "generation", 8.00, generation="G-H3")
reviewed(day(2, "12:00"), "D-HERO", "A-H2", "accepted")
cost(day(2, "12:00"), "D-HERO", "review-time", 3.00, asset="A-H2")
refined(day(2, "12:30"), "D-HERO", "A-H2", "A-H2-UP", "topaz-video-upscale")
cost(day(2, "12:30"), "D-HERO", "refinement", 1.60, asset="A-H2-UP")
delivery(day(2, "13:00"), "D-HERO", "A-H2-UP", "youtube")

# --- a price change mid-way ---------------------------------------------------------------
ev(day(9, "12:00"), "model.pricing_changed", "model/veo-3.1",
   {"model": "veo-3.1", "pricing": {"unit": "per-second", "amount": 0.35, "currency": "USD"}, "effective": "2026-07-10",
    "reason": "contract renewal"}, actor="catalog:studio-models")

# --- D-KV: a regeneration denied at the cap (two attempts), an approved override, the third ----
decided(day(10, "09:00"), "D-KV", "R-KV-1", "image", "key-visual", "cinematic", "flux-1.1-pro-ultra", "text-to-image", "key-visual")
kv = {"aspect_ratio": "16:9", "megapixels": 4}
requested(day(10, "09:01"), "D-KV", "G-K1", 1, "flux-1.1-pro-ultra", "tpl-kv", 777, "R-KV-1", kv)
completed(day(10, "09:02"), "D-KV", "G-K1", "A-K1", 12000)
cost(day(10, "09:02"), "D-KV", "generation", 0.06, generation="G-K1")
reviewed(day(10, "09:30"), "D-KV", "A-K1", "rejected", ["headline space too small"])
cost(day(10, "09:30"), "D-KV", "review-time", 1.00, asset="A-K1")
regeneration(day(10, "09:35"), "D-KV", "A-K1", 2, "more negative space")
requested(day(10, "09:36"), "D-KV", "G-K2", 2, "flux-1.1-pro-ultra", "tpl-kv", 777, "R-KV-1", kv)
completed(day(10, "09:37"), "D-KV", "G-K2", "A-K2", 11000)
cost(day(10, "09:37"), "D-KV", "generation", 0.06, generation="G-K2")
reviewed(day(10, "10:00"), "D-KV", "A-K2", "rejected", ["product colour off"])
cost(day(10, "10:00"), "D-KV", "review-time", 1.00, asset="A-K2")
third = {"deliverable": "D-KV", "prior_asset": "A-K2", "attempt": 3, "reason": "fix the product colour"}
reason = "attempt 3 passes the cap of 2 attempts for key-visual/delivery; an approver may grant policy.override_granted"
ev(day(10, "10:05"), "policy.denied", "deliverable/D-KV",
   {"policy": "governance", "version": 2, "rule": "regeneration-cap", "action": "require-approval", "reason": reason,
    "deliverable": "D-KV", "rules_checked": ["regeneration-cap"],
    "findings": [{"rule": "regeneration-cap", "action": "require-approval", "result": "denied", "reason": reason}],
    "judged": {"type": "regeneration.requested", "stream": "deliverable/D-KV", "payload": third,
               "occurred_at": day(10, "10:05"), "actor": "pipeline:spring-farm"}},
   actor="gate")
override = {"deliverable": "D-KV", "policy": "governance", "rule": "regeneration-cap", "approver": "approver:lena",
            "reason": "launch visual; creative director sign-off", "extra_attempts": 1}
override_id = "6f1d2c3b-4a59-4e87-9c1d-0b2a3c4d5e6f"
message = b"genledger override v1\n" + canon(
    {"id": override_id, "payload": override, "stream": "deliverable/D-KV", "type": "policy.override_granted"}).encode()
override["approver_signature"] = base64.b64encode(lena.sign(message)).decode()
ev(day(10, "10:20"), "policy.override_granted", "deliverable/D-KV", override, actor="approver:lena", id=override_id)
regeneration(day(10, "10:25"), "D-KV", "A-K2", 3, "fix the product colour")
requested(day(10, "10:26"), "D-KV", "G-K3", 3, "flux-1.1-pro-ultra", "tpl-kv", 777, "R-KV-1", kv)
completed(day(10, "10:27"), "D-KV", "G-K3", "A-K3", 12500)
cost(day(10, "10:27"), "D-KV", "generation", 0.06, generation="G-K3")
reviewed(day(10, "11:00"), "D-KV", "A-K3", "accepted")
cost(day(10, "11:00"), "D-KV", "review-time", 1.00, asset="A-K3")
refined(day(10, "11:10"), "D-KV", "A-K3", "A-K3-UP", "magnific-upscaler")
cost(day(10, "11:10"), "D-KV", "refinement", 0.20, asset="A-K3-UP")
delivery(day(10, "11:30"), "D-KV", "A-K3-UP", "web")

# --- D-PROD: image-to-video from the key visual, delivered without the required upscale -------
decided(day(14, "09:00"), "D-PROD", "R-PROD-1", "video", "product-motion", "speed", "runway-gen4-turbo", "image-to-video", "product-video", 8)
requested(day(14, "09:01"), "D-PROD", "G-P1", 1, "runway-gen4-turbo", "tpl-prod", 777, "R-PROD-1",
          {"aspect_ratio": "9:16", "duration_seconds": 8, "credits": 50, "motion": 0.4},
          references=[{"asset": "A-K3-UP", "role": "upstream-image"}])
completed(day(14, "09:03"), "D-PROD", "G-P1", "A-P1", 70000)
cost(day(14, "09:03"), "D-PROD", "generation", 0.50, generation="G-P1", credits=50)
reviewed(day(14, "10:00"), "D-PROD", "A-P1", "accepted")
cost(day(14, "10:00"), "D-PROD", "review-time", 2.00, asset="A-P1")
delivery(day(14, "10:30"), "D-PROD", "A-P1", "instagram", ask=False)

# --- D-SOC: a budget-tier model and another seed on one generation (two violations) ------------
decided(day(20, "09:00"), "D-SOC", "R-SOC-1", "video", "social-short", "speed", "kling-2.5-turbo", "text-to-video", "social-short", 10)
social = {"aspect_ratio": "9:16", "duration_seconds": 10}
requested(day(20, "09:01"), "D-SOC", "G-S1", 1, "hailuo-02", "tpl-social", 1234, "R-SOC-1", social)
ev(day(20, "09:04"), "generation.failed", "deliverable/D-SOC",
   {"deliverable": "D-SOC", "generation": "G-S1", "failure_mode": "provider-error", "message": "500 from provider"})
requested(day(20, "09:10"), "D-SOC", "G-S2", 1, "kling-2.5-turbo", "tpl-social", 777, "R-SOC-1", social)
completed(day(20, "09:12"), "D-SOC", "G-S2", "A-S2", 40000)
cost(day(20, "09:12"), "D-SOC", "generation", 0.70, generation="G-S2")
reviewed(day(20, "10:00"), "D-SOC", "A-S2", "accepted")
cost(day(20, "10:00"), "D-SOC", "review-time", 1.00, asset="A-S2")
refined(day(20, "10:10"), "D-SOC", "A-S2", "A-S2-UP", "topaz-video-upscale")
cost(day(20, "10:10"), "D-SOC", "refinement", 0.80, asset="A-S2-UP")
delivery(day(20, "10:30"), "D-SOC", "A-S2-UP", "tiktok")

# --- another campaign: a draft delivered with no accepted review ------------------------------
ev(day(21, "09:00"), "campaign.opened", "campaign/C-OTHER", {"campaign": "C-OTHER", "name": "Autumn sketches"}, actor="producer:amira")
ev(day(21, "09:01"), "deliverable.opened", "deliverable/D-OTH",
   {"deliverable": "D-OTH", "campaign": "C-OTHER", "category": "concept-sketch", "stage": "draft", "modality": "text-to-video",
    "duration_seconds": 5, "platforms": [{"platform": "internal", "aspect_ratio": "16:9"}]}, actor="producer:amira")
ev(day(21, "09:02"), "routing.decided", "deliverable/D-OTH",
   {"decision": "R-OTH-1", "request": {"deliverable": "D-OTH", "campaign": "C-OTHER", "category": "concept-sketch", "stage": "draft",
    "modality": "text-to-video", "duration_seconds": 5}, "table": "video", "table_version": 1, "rule": "drafts", "tier": "budget",
    "model": "hailuo-02", "model_version": versions["hailuo-02"],
    "candidates": [{"model": "hailuo-02", "role": "primary", "eligible": True, "chosen": True, "reason": "chosen: primary, active"}]})
requested(day(21, "09:03"), "D-OTH", "G-O1", 1, "hailuo-02", "tpl-social", 5, "R-OTH-1", {"aspect_ratio": "16:9", "duration_seconds": 5})
completed(day(21, "09:05"), "D-OTH", "G-O1", "A-O1", 30000)
cost(day(21, "09:05"), "D-OTH", "generation", 0.28, generation="G-O1")
ev(day(21, "09:30"), "deliverable.delivered", "deliverable/D-OTH", {"deliverable": "D-OTH", "asset": "A-O1", "platforms": ["internal"]},
   actor="producer:amira")

with open(os.path.join(HERE, "history.jsonl"), "w") as f:
    for line in events:
        f.write(canon(line) + "\n")
print(len(events), "events")
