import Foundation
import Governance
import LedgerLog
import LedgerTestSupport
import Testing

@Suite("Vocabulary: references, amounts, currencies, dates and batches")
struct VocabularyTests {
    static func refused(_ studio: Studio, _ event: ProposedEvent) -> GovernanceError? {
        do {
            _ = try studio.governed.judge(event)
            return nil
        } catch let error as GovernanceError {
            return error
        } catch {
            return nil
        }
    }

    @Test("unknown type, wrong stream, unknown model, deliverable, asset and currency, negative amount, bad date", arguments: TestStore.allCases)
    func refusals(store: TestStore) throws {
        let studio = try Studio(store: store)
        try studio.openDeliverable("D-1", category: "social-short", stage: .draft)
        let asset = try studio.generate("D-1", attempt: 1)
        let cases: [(ProposedEvent, String, String)] = [
            (
                studio.event(EventType(rawValue: "model.registered")!, "model/x", [:]).with(type: "render.started"), "type",
                "unknown event type"
            ),
            (studio.event(.campaignOpened, "campaign/C-2", ["campaign": "C-1", "name": "n"]), "stream", "campaign/C-1"),
            (
                studio.event(
                    .generationRequested, "deliverable/D-1",
                    studio.generationPayload("D-1", attempt: 1, model: "no-such-model", decision: "D-1-R")),
                "payload.model", "not in the catalog"
            ),
            (
                studio.event(
                    .assetReviewed, "deliverable/D-9",
                    ["deliverable": "D-9", "asset": .string(asset), "verdict": "accepted", "reviewer": "r"]),
                "payload.deliverable", "never opened"
            ),
            (
                studio.event(
                    .assetReviewed, "deliverable/D-1",
                    ["deliverable": "D-1", "asset": "A-404", "verdict": "accepted", "reviewer": "r"]),
                "payload.asset", "unknown"
            ),
            (
                studio.event(
                    .refinementApplied, "deliverable/D-1",
                    [
                        "deliverable": "D-1", "input_asset": "A-404", "output_asset": "A-405",
                        "output_sha256": .string(String(repeating: "0", count: 64)),
                        "step": "upscale", "model": "topaz-video-upscale",
                    ]), "payload.input_asset", "unknown"
            ),
            (
                studio.event(
                    .deliverableDelivered, "deliverable/D-1", ["deliverable": "D-1", "asset": "A-404", "platforms": ["web"]]),
                "payload.asset", "unknown"
            ),
            (
                studio.event(
                    .costRecorded, "deliverable/D-1",
                    ["deliverable": "D-1", "kind": "review-time", "amount": -2, "currency": "USD"]),
                "payload.amount", "negative"
            ),
            (
                studio.event(
                    .costRecorded, "deliverable/D-1",
                    ["deliverable": "D-1", "kind": "review-time", "amount": 2, "currency": "USX"]),
                "payload.currency", "not one of"
            ),
            (
                studio.event(
                    .costRecorded, "deliverable/D-1",
                    ["deliverable": "D-1", "kind": "review-time", "amount": 2, "currency": "EUR"]),
                "payload.currency", "keeps accounts in USD"
            ),
            (
                studio.event(
                    .modelVersionChanged, "model/veo-3.1",
                    ["model": "veo-3.1", "version": "3.2", "effective": "2026-02-30", "reason": "x"]),
                "payload.effective", "not a date"
            ),
            (
                studio.event(
                    .routingDecided, "routing/requests",
                    [
                        "decision": "R-x",
                        "request": ["category": "social-short", "stage": "draft", "modality": "text-to-video"], "table": "video",
                        "table_version": 1, "rule": "drafts", "tier": "budget", "model": "gone-model",
                        "candidates": [["model": "gone-model", "eligible": true, "reason": "r"]],
                    ]), "payload.model", "not in the catalog"
            ),
            (
                studio.event(.campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "n", "gate": ["outcome": "allowed"]]),
                "payload.gate", "written by the gate"
            ),
        ]
        for (event, field, reason) in cases {
            let error = try #require(Self.refused(studio, event), "\(event.type) \(field) should be refused")
            #expect(error.field == field && error.description.contains(reason), "\(error)")
        }
    }

    @Test("a batch with one bad event appends nothing and names the event's index and type", arguments: TestStore.allCases)
    func atomicBatch(store: TestStore) throws {
        let studio = try Studio(store: store)
        let before = try studio.ledger.size()
        let good = studio.event(.campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "n"])
        let bad = studio.event(.deliverableOpened, "deliverable/D-1", ["deliverable": "D-1", "category": "x", "stage": "final"])
        let error = try #require(studio.refusal([good, bad]))
        #expect(error.index == 1 && error.eventType == "deliverable.opened" && error.field == "payload.stage", "\(error)")
        #expect(error.description.contains("'final' is not one of: draft, delivery"))
        #expect(try studio.ledger.size() == before)
        // And the state the gate judges by was not left holding the refused batch's first event.
        try studio.append(.campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "n"])
    }

    @Test("unknown payload fields are kept byte for byte; a retried event id returns the original seq", arguments: TestStore.allCases)
    func extraFieldsAndRetries(store: TestStore) throws {
        let studio = try Studio(store: store)
        let event = studio.event(
            .campaignOpened, "campaign/C-1", ["campaign": "C-1", "name": "n", "x_pipeline": ["job": 42, "note": "kept"]])
        let first = try studio.governed.append(event)
        let recorded = try #require(try studio.ledger.event(seq: first.appended.seq))
        #expect(recorded.payload["x_pipeline"]?["job"]?.integerValue == 42)
        let again = try studio.governed.append(event)
        #expect(again.appended.isDuplicate && again.appended.seq == first.appended.seq)
        var changed = event
        changed.payload = ["campaign": "C-1", "name": "other"]
        #expect(throws: LedgerError.self) { try studio.governed.append(changed) }
    }
}

extension ProposedEvent {
    func with(type: String) -> ProposedEvent {
        var copy = self
        copy.type = type
        return copy
    }
}
