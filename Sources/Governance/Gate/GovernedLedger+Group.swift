public import Foundation
public import LedgerLog

/// Several writers' requests inside one write transaction: group commit. Each request runs in
/// its own savepoint, judged against the state its predecessors in the group left, so a request
/// that fails (bad input, conflict) is undone alone and a denial keeps only its `policy.denied`
/// record; the group becomes durable at one commit, and no request may be acknowledged before it.
public struct GroupSession {
    let governed: GovernedLedger
    let session: AppendSession

    /// One batch, whole or not at all: as `GovernedLedger.append(_:)`, inside the group.
    /// `decoded` spares decoding again events the caller already decoded (`DomainEvent.decode`).
    /// `approval` is an approver the caller proved (the approver's token).
    public func append(
        _ events: [ProposedEvent], decoded: [DomainEvent]? = nil, mode: GateMode = .enforce, approval: ApprovalProof? = nil
    ) -> Result<[GovernedAppend], any Error> {
        isolated {
            let decoded = try decoded ?? GovernedLedger.decode(events)
            precondition(decoded.count == events.count, "one decoded event per proposed event")
            return try governed.appendInSession(session, events, decoded, mode: mode, approval: approval)
        }
    }

    /// Decides a request against the state as it stands in the group and records the decision
    /// (its `routing.decided` payload is returned). With an `id` already recorded, the decision
    /// recorded then is returned (a retry), not a new one.
    public func route(_ request: RouteRequest, actor: String?, id: UUID? = nil, occurredAt: Timestamp? = nil)
        -> Result<(decision: JSONValue, appended: GovernedAppend), any Error>
    {
        if let id {
            do {
                if let recorded = try session.event(id: id.uuidString.lowercased()) {
                    guard recorded.type == EventType.routingDecided.rawValue else {
                        throw LedgerError(
                            .conflict, "event id \(recorded.id) is already seq \(recorded.seq), a \(recorded.type)", field: "id",
                            seq: recorded.seq)
                    }
                    let appended = AppendedEvent(
                        seq: recorded.seq, id: recorded.id, streamVersion: recorded.streamVersion, hash: recorded.hash,
                        isDuplicate: true)
                    return .success(
                        (try JSONParser.parse(recorded.payloadBytes), GovernedAppend(appended: appended, judgement: nil)))
                }
            } catch {
                return .failure(error)
            }
        }
        return decide(request, actor: actor, id: id, occurredAt: occurredAt).map { ($0.decision.payload, $0.appended) }
    }

    /// Decides a request against the state as it stands in the group, names the decision
    /// `decision` (else it derives a name), and records it: `GovernedLedger.route` inside the group.
    public func decide(
        _ request: RouteRequest, decision name: String? = nil, actor: String?, id: UUID? = nil, occurredAt: Timestamp? = nil
    ) -> Result<(decision: RoutingDecision, appended: GovernedAppend), any Error> {
        var routed: RoutingDecision?
        return isolated {
            let decision = try RoutingEngine.decide(request, in: governed.state, decision: name)
            routed = decision
            let event = ProposedEvent(
                id: id, type: EventType.routingDecided.rawValue, stream: decision.stream, payload: decision.payload,
                occurredAt: occurredAt, actor: actor)
            return try governed.appendInSession(session, [event], try GovernedLedger.decode([event]))
        }.map { (routed!, $0[0]) }
    }

    /// The governance state as the group has left it so far.
    public var state: GovernanceState { governed.state }

    /// Makes sure `state` holds these deliverables (a writer that loads its state as needed
    /// reads them now): before reading them from `state` to build a request.
    public func load(deliverables: [String]) throws {
        guard governed.loading != .whole else { return }
        try GateIndex(session.sideTables).catchUpAndLoad(GateIndex.Scope(deliverables: Set(deliverables)), into: &governed.state)
    }

    private func isolated(_ body: () throws -> GovernedLedger.SessionResult) -> Result<[GovernedAppend], any Error> {
        let foldedBefore = governed.foldedUncommitted
        governed.foldedUncommitted = false
        defer { governed.foldedUncommitted = governed.foldedUncommitted || foldedBefore }
        do {
            switch try session.savepoint(body) {
            case .appended(let appended): return .success(appended)
            case .denied(let error): return .failure(error)
            }
        } catch {
            if governed.foldedUncommitted {
                // This request's events were folded and are now undone: refold from the session.
                do {
                    try governed.recover(session)
                    governed.foldedUncommitted = false
                } catch {
                    return .failure(error)
                }
            }
            return .failure(error)
        }
    }
}

extension GovernedLedger {
    /// Runs `body` in one write transaction shared by every request it makes through the
    /// `GroupSession`; commits when it returns. If the commit itself fails, it throws and no
    /// request of the group was recorded.
    public func withGroupSession<T>(_ body: (GroupSession) throws -> T) throws -> T {
        try session { session in try body(GroupSession(governed: self, session: session)) }
    }
}
