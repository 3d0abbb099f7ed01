import Foundation
import Governance
import HTTPTypes
import Hummingbird
import LedgerLog

/// `POST /v1/webhooks/{provider}`: a provider's signed delivery (Standard Webhooks) becomes
/// events. No bearer token: the signature under the provider's secret is the proof. A delivery
/// that is unsigned, badly signed or more than five minutes from the server's clock is answered
/// 401 and appends nothing; the same `webhook-id` again appends nothing and answers the events
/// it recorded (their ids derive from the provider and the webhook id).
extension LedgerEndpoints {
    func addWebhookRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/webhooks/{provider}") { request, context in
            let name = context.parameters.get("provider") ?? ""
            guard let provider = self.configuration.webhooks.providers[name] else {
                throw APIError(
                    .notFound, "not-found",
                    "no webhook provider '\(name)' is configured (genledger serve --webhooks FILE, docs/WEBHOOKS.md)")
            }
            let body = try await self.body(request)
            let webhookID = request.headers[Self.webhookID]
            do {
                try StandardWebhooks.verify(
                    id: webhookID, timestamp: request.headers[Self.webhookTimestamp],
                    signatures: request.headers[Self.webhookSignature], body: body, secret: provider.secret,
                    now: Int64(Date().timeIntervalSince1970))
            } catch let refusal as StandardWebhooks.WebhookRefusal {
                self.metrics.webhookRefused()
                throw APIError(.unauthorized, "bad-signature", refusal.description)
            }
            let actor = "webhook:\(provider.name)"
            var events: [ProposedEvent]
            switch provider.format {
            case .events:
                events = try self.proposedEvents(body, actor: actor)
            case .replicate:
                events = try await self.replicateEvents(body, query: request.uri.queryParameters, provider: provider)
            }
            for index in events.indices where events[index].id == nil {
                events[index].id = GovernedLedger.derivedID("webhook \(provider.name) \(webhookID!) \(index)")
            }
            let batch = events
            let appended = try await self.commit { session in
                session.append(Self.priced(batch, in: session))
            }
            let written = appended.filter { !$0.appended.isDuplicate }.count
            self.metrics.appended(written)
            return Response.json(
                ["events": .array(appended.map(\.json)), "tree_size": .number(Double(self.watch.current))],
                status: written > 0 ? .created : .ok)
        }
    }

    static let webhookID = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!

    /// The events of a Replicate prediction: `succeeded` → `generation.completed` (the output's
    /// SHA-256, fetched within the provider's limits; `metrics.predict_time` as the latency) and
    /// `cost.recorded` at the catalog price in force; `failed` and `canceled` →
    /// `generation.failed`. The pipeline names the deliverable and generation (and optionally the
    /// asset id) in the webhook URL's query. Other statuses (`starting`, `processing`) append nothing.
    func replicateEvents(_ body: [UInt8], query: Hummingbird.Parameters, provider: WebhookConfiguration.Provider)
        async throws -> [ProposedEvent]
    {
        let prediction: [String: JSONValue]
        do {
            guard case .object(let object) = try JSONParser.parse(body) else {
                throw APIError.badRequest("a Replicate delivery is a prediction object")
            }
            prediction = object
        } catch let failure as JSONParser.Failure {
            throw APIError(.badRequest, "malformed-json", "the body is not JSON: \(failure)")
        }
        func parameter(_ name: String) throws -> String {
            guard let value = query.get(name), !value.isEmpty else {
                throw APIError.badRequest(
                    "the webhook URL must carry ?\(name)=… (deliverable and generation name what the prediction was for)",
                    field: "query.\(name)")
            }
            return value
        }
        let deliverable = try parameter("deliverable")
        let generation = try parameter("generation")
        let asset = query.get("asset").flatMap { $0.isEmpty ? nil : $0 } ?? "\(generation)-A"
        guard let status = prediction["status"]?.stringValue else {
            throw APIError.badRequest("the prediction has no status", field: "status")
        }
        let predictTime = prediction["metrics"]?["predict_time"]?.numberValue
        let latency: JSONValue? = predictTime.map { .number(($0 * 1000).rounded()) }
        let stream = "deliverable/\(deliverable)"
        var facts: [String: JSONValue] = [
            "deliverable": .string(deliverable), "generation": .string(generation),
        ]
        if let id = prediction["id"]?.stringValue { facts["provider_prediction"] = .string(id) }
        switch status {
        case "succeeded":
            let output: String? =
                switch prediction["output"] {
                case .string(let url)?: url
                case .array(let items)?: items.first?.stringValue
                default: nil
                }
            guard let output, let url = URL(string: output) else {
                throw APIError.badRequest("a succeeded prediction names its output URL", field: "output")
            }
            let digest: (sha256: String, bytes: Int)
            do { digest = try await OutputDigest.fetch(url, limits: provider.output) } catch let refused as OutputDigest.Refused {
                throw APIError(.unprocessableContent, "output-unavailable", refused.description, details: ["field": "output"])
            }
            var completed = facts
            completed["asset"] = .string(asset)
            completed["asset_sha256"] = .string(digest.sha256)
            completed["latency_ms"] = latency ?? 0
            completed["output_url"] = .string(output)
            completed["output_bytes"] = .number(Double(digest.bytes))
            let requested = try await generationRequest(deliverable: deliverable, generation: generation)
            return [
                ProposedEvent(type: EventType.generationCompleted.rawValue, stream: stream, payload: .object(completed), actor: nil),
                // Priced inside the commit, against the catalog as the group leaves it.
                ProposedEvent(
                    type: Self.pricePending, stream: stream,
                    payload: [
                        "deliverable": .string(deliverable), "generation": .string(generation),
                        "model": .string(requested.model), "parameters": requested.parameters,
                    ], actor: nil),
            ].map { var event = $0; event.actor = "webhook:\(provider.name)"; return event }
        case "failed", "canceled":
            let error = prediction["error"]?.stringValue ?? (status == "canceled" ? "canceled" : "failed")
            var failed = facts
            failed["failure_mode"] = .string(status == "canceled" ? "provider-error" : Self.failureMode(error).rawValue)
            failed["message"] = .string(String(error.prefix(500)))
            if let latency { failed["latency_ms"] = latency }
            var event = ProposedEvent(type: EventType.generationFailed.rawValue, stream: stream, payload: .object(failed), actor: nil)
            event.actor = "webhook:\(provider.name)"
            return [event]
        default:
            return []
        }
    }

    /// A placeholder type for the cost event, replaced by `priced(_:in:)` inside the commit.
    static let pricePending = "genledger.price-pending"

    /// The batch with each pending cost priced at the catalog in force, as the gate estimates it.
    static func priced(_ events: [ProposedEvent], in session: GroupSession) -> [ProposedEvent] {
        events.map { event in
            guard event.type == pricePending, let deliverable = event.payload["deliverable"]?.stringValue,
                let model = event.payload["model"]?.stringValue, let generation = event.payload["generation"]
            else { return event }
            try? session.load(deliverables: [deliverable])
            let parameters = try? GenerationParameters(Fields(event.payload["parameters"] ?? [:], path: "parameters"))
            guard let modelState = session.state.models[model], let state = session.state.deliverables[deliverable],
                let parameters
            else { return event }
            let today = CalendarDate(String(Timestamp(Date()).description.prefix(10)))!
            let cost = Gate.estimatedCost(parameters: parameters, model: modelState, deliverable: state, on: today)
            var priced = event
            priced.type = EventType.costRecorded.rawValue
            priced.payload = [
                "deliverable": .string(deliverable), "kind": "generation", "generation": generation,
                "amount": .number(cost.amount), "currency": .string(cost.currency.rawValue),
                "basis": "catalog price in force",
            ]
            return priced
        }
    }

    /// The model and parameters the generation was requested with (its `generation.requested`).
    private func generationRequest(deliverable: String, generation: String) async throws -> (
        model: String, parameters: JSONValue
    ) {
        let found: (String, JSONValue)? = try await readers.read { ledger in
            var found: (String, JSONValue)?
            try ledger.forEachEvent(stream: "deliverable/\(deliverable)", type: EventType.generationRequested.rawValue) { event in
                let payload = event.payload
                if payload["generation"]?.stringValue == generation, let model = payload["model"]?.stringValue {
                    found = (model, payload["parameters"] ?? [:])
                }
                return true
            }
            return found
        }
        guard let found else {
            throw APIError(
                .unprocessableContent, LedgerError.Code.badInput.rawValue,
                "generation '\(generation)' of deliverable '\(deliverable)' was never requested",
                details: ["field": "query.generation"])
        }
        return found
    }

    /// A failure mode read from a provider's error text.
    static func failureMode(_ error: String) -> FailureMode {
        let text = error.lowercased()
        if ["nsfw", "safety", "content policy", "flagged", "sensitive"].contains(where: text.contains) { return .contentFilter }
        if text.contains("timed out") || text.contains("timeout") { return .timeout }
        if text.contains("rate limit") || text.contains("429") || text.contains("throttl") { return .rateLimited }
        return .providerError
    }

    /// A batch in the append input form from a relay (format `events`): the actor is the provider's.
    func proposedEvents(_ bytes: [UInt8], actor: String) throws -> [ProposedEvent] {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch let failure as JSONParser.Failure {
            throw APIError(.badRequest, "malformed-json", "the body is not JSON: \(failure)")
        }
        let elements = value.arrayValue ?? value["events"]?.arrayValue ?? []
        guard !elements.isEmpty, elements.count <= configuration.maxBatchEvents else {
            throw APIError.badRequest("expected 1 to \(configuration.maxBatchEvents) events, as POST /v1/events takes them")
        }
        return try elements.enumerated().map { index, element in
            do {
                var event = try ProposedEvent(proposal: element)
                event.actor = actor
                return event
            } catch let error as LedgerError {
                var failure = error
                failure.index = index
                throw failure
            }
        }
    }
}
