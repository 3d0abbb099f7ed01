import Foundation
import Governance
import Hummingbird
import LedgerLog

/// The writes: a batch of events, a routing decision, a regeneration asked of the gate, an
/// override. Each goes through the group committer and is answered after its commit.
extension LedgerEndpoints {
    func addWriteRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/events") { request, context in
            let token = try context.require(Access.write)
            let (events, decoded) = try self.proposedEvents(
                try await self.body(request), token: token, key: try self.idempotencyKey(request))
            let appended = try await self.commit { $0.append(events, decoded: decoded) }
            let written = appended.filter { !$0.appended.isDuplicate }.count
            self.metrics.appended(written)
            return Response.json(
                ["events": .array(appended.map(\.json)), "tree_size": .number(Double(self.watch.current))],
                status: written > 0 ? .created : .ok)
        }

        router.post("/v1/route") { request, context in
            let dryRun = ["true", "1", ""].contains(request.uri.queryParameters.get("dry_run") ?? "false")
            let token = try context.require(dryRun ? Access.read : Access.write)
            let body = JSONValue.object(try await self.jsonObject(request))
            if dryRun {
                let decision = try await self.committer.exclusive { governed in
                    try governed.refresh(deliverables: [body["deliverable"]?.stringValue].compactMap { $0 })
                    return try governed.route(try RouteRequest(completing: body, from: governed.state), dryRun: true).decision
                        .payload
                }
                return Response.json(["decision": decision, "recorded": false])
            }
            let id = try self.idempotencyKey(request).map { Self.derivedID(token: token, key: $0, index: 0) }
            let (decision, appended) = try await self.commit { session in
                Result {
                    try session.load(deliverables: [body["deliverable"]?.stringValue].compactMap { $0 })
                    return try RouteRequest(completing: body, from: session.state)
                }.flatMap {
                    session.route($0, actor: token.name, id: id)
                }
            }
            if !appended.appended.isDuplicate { self.metrics.appended(1) }
            return Response.json(
                ["decision": decision, "recorded": true, "event": appended.json],
                status: appended.appended.isDuplicate ? .ok : .created)
        }

        router.post("/v1/regenerations") { request, context in
            let token = try context.require(Access.write)
            let body = try await self.jsonObject(request)
            let unknown = Set(body.keys).subtracting(["deliverable", "prior_asset", "reason", "attempt"])
            if let field = unknown.sorted().first { throw APIError.badRequest("unknown field", field: field) }
            guard let deliverable = body["deliverable"]?.stringValue, !deliverable.isEmpty else {
                throw APIError.badRequest("deliverable is required (a string)", field: "deliverable")
            }
            let event = ProposedEvent(
                id: try self.idempotencyKey(request).map { Self.derivedID(token: token, key: $0, index: 0) },
                type: EventType.regenerationRequested.rawValue, stream: "deliverable/\(deliverable)", payload: .object(body),
                actor: token.name)
            let outcome: (result: Result<GovernedAppend, any Error>, attempt: Int64?) = try await self.committer.submit {
                session in
                let result = session.append([event]).map { $0[0] }
                return .success((result, session.state.deliverables[deliverable]?.attemptsGranted))
            }
            switch outcome.result {
            case .success(let appended):
                if !appended.appended.isDuplicate { self.metrics.appended(1) }
                var answer: [String: JSONValue] = [
                    "allowed": true, "deliverable": .string(deliverable), "event": appended.json,
                ]
                if let attempt = outcome.attempt { answer["attempt"] = .number(Double(attempt)) }
                if let judgement = appended.judgement {
                    answer["outcome"] = .string(judgement.outcome.rawValue)
                    answer["warnings"] = .array(judgement.warnings.map { .string("\($0.rule): \($0.reason)") })
                }
                return Response.json(.object(answer), status: appended.appended.isDuplicate ? .ok : .created)
            case .failure(let error as GovernanceError) where error.code == .denied:
                // Asking is not an error: the answer is no, and why.
                self.metrics.denied()
                var answer: [String: JSONValue] = [
                    "allowed": false, "deliverable": .string(deliverable), "reason": .string(error.message),
                ]
                if let rule = error.rule {
                    answer["policy"] = .string(rule.policy)
                    answer["version"] = .number(Double(rule.version))
                    answer["rule"] = .string(rule.rule)
                }
                if let seq = error.deniedSeq { answer["denied_seq"] = .number(Double(seq)) }
                return Response.json(.object(answer))
            case .failure(let error):
                throw error
            }
        }

        router.post("/v1/overrides") { request, context in
            let token = try context.require(Access.approve)
            var body = try await self.jsonObject(request)
            if let approver = body["approver"], approver != .string(token.name) {
                throw APIError.badRequest("the approver is the token's name ('\(token.name)')", field: "approver")
            }
            body["approver"] = .string(token.name)
            guard let deliverable = body["deliverable"]?.stringValue, !deliverable.isEmpty else {
                throw APIError.badRequest("deliverable is required (a string)", field: "deliverable")
            }
            let key = try self.idempotencyKey(request)
            let appended = try await self.commit { session in
                if body["policy"] == nil, let policy = session.state.policyInForce?.document.name {
                    body["policy"] = .string(policy)
                }
                let event = ProposedEvent(
                    id: key.map { Self.derivedID(token: token, key: $0, index: 0) },
                    type: EventType.policyOverrideGranted.rawValue, stream: "deliverable/\(deliverable)", payload: .object(body),
                    actor: token.name)
                // The token proves the approver: the gate records it as the override's proof.
                return session.append([event], approval: ApprovalProof(approver: token.name, provenBy: "token:\(token.name)"))
                    .map { $0[0] }
            }
            if !appended.appended.isDuplicate { self.metrics.appended(1) }
            return Response.json(["event": appended.json], status: appended.appended.isDuplicate ? .ok : .created)
        }
    }

    /// `POST /v1/import`: history as JSON Lines (the append input form, each line with its
    /// `occurred_at`), judged in audit mode and recorded whole or not at all. Admin only: it
    /// records facts as they happened, actors included, and denies nothing.
    func addImportRoute(to router: Router<ServiceRequestContext>) {
        router.post("/v1/import") { request, context in
            let token = try context.require(Access.administer)
            let bytes = try await self.body(request)
            let actor = token.name
            let summary = try await self.committer.exclusive { governed in
                var lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false).makeIterator()
                var number = 0
                let summary = try governed.importHistory {
                    while let line = lines.next() {
                        number += 1
                        var content = Array(line)
                        if content.last == 0x0d { content.removeLast() }
                        if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        do {
                            var event = try ProposedEvent(line: content)
                            if event.actor == nil { event.actor = actor }
                            return (event, number)
                        } catch let error as LedgerError {
                            throw error.at(line: number)
                        }
                    }
                    return nil
                }
                return (summary, try governed.ledger.size())
            }
            guard summary.0.read > 0 else { throw APIError.badRequest("the body has no events (JSON Lines)") }
            self.watch.advanced(to: summary.1)
            self.metrics.appended(summary.0.appended)
            var outcomes: [String: JSONValue] = [:]
            for (outcome, count) in summary.0.outcomes { outcomes[outcome.rawValue] = .number(Double(count)) }
            var answer: [String: JSONValue] = [
                "read": .number(Double(summary.0.read)), "appended": .number(Double(summary.0.appended)),
                "duplicates": .number(Double(summary.0.duplicates)), "outcomes": .object(outcomes),
                "tree_size": .number(Double(summary.1)),
            ]
            if let first = summary.0.firstSeq, let last = summary.0.lastSeq {
                answer["first_seq"] = .number(Double(first))
                answer["last_seq"] = .number(Double(last))
            }
            return Response.json(.object(answer), status: summary.0.appended > 0 ? .created : .ok)
        }
    }

    /// Runs `work` in the next group commit, counting what the gate denied.
    func commit<T: Sendable>(_ work: @escaping (GroupSession) -> Result<T, any Error>) async throws -> T {
        do {
            return try await committer.submit(work)
        } catch let error as GovernanceError where error.code == .denied {
            metrics.denied()
            throw error
        } catch let error as LedgerError where error.code == .conflict {
            metrics.conflicted()
            throw error
        }
    }

    /// A batch: a JSON array of events, or `{"events": [...]}`. Every event is checked before any
    /// is appended; all the errors found are answered together (422), each naming its index
    /// and field.
    func proposedEvents(_ bytes: [UInt8], token: ServiceToken, key: String?) throws -> (
        events: [ProposedEvent], decoded: [DomainEvent]
    ) {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch let failure as JSONParser.Failure {
            throw APIError(.badRequest, "malformed-json", "the body is not JSON: \(failure)")
        }
        let elements: [JSONValue]
        switch value {
        case .array(let array): elements = array
        case .object(let object) where object.keys.count == 1:
            guard let array = object["events"]?.arrayValue else {
                throw APIError.badRequest("expected an array of events, or {\"events\": [...]}", field: "events")
            }
            elements = array
        default:
            throw APIError.badRequest("expected an array of events, or {\"events\": [...]}")
        }
        guard !elements.isEmpty else { throw APIError.badRequest("the batch has no events", field: "events") }
        guard elements.count <= configuration.maxBatchEvents else {
            throw APIError(
                .contentTooLarge, "too-large",
                "the batch has \(elements.count) events; the limit is \(configuration.maxBatchEvents) (--max-batch)",
                details: ["limit": .number(Double(configuration.maxBatchEvents))])
        }
        var events: [ProposedEvent] = []
        var decoded: [DomainEvent] = []
        var problems: [JSONValue] = []
        for (index, element) in elements.enumerated() {
            do {
                var event = try ProposedEvent(proposal: element)
                if let actor = event.actor, actor != token.name {
                    throw LedgerError(.badInput, "the actor is the token's name ('\(token.name)')", field: "actor")
                }
                event.actor = token.name
                if event.id == nil, let key { event.id = Self.derivedID(token: token, key: key, index: index) }
                decoded.append(try DomainEvent.decode(type: event.type, stream: event.stream, payload: event.payload))
                events.append(event)
            } catch {
                var detail = APIError(error).json["error"]?.objectValue ?? [:]
                detail["index"] = .number(Double(index))
                detail["status"] = nil
                problems.append(.object(detail))
            }
        }
        if !problems.isEmpty {
            throw APIError(
                .unprocessableContent, "invalid-events",
                "\(problems.count) of \(elements.count) events are not valid; none was appended",
                details: ["errors": .array(problems)])
        }
        return (events, decoded)
    }
}
