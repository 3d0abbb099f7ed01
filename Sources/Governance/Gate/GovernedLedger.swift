public import Foundation
public import LedgerLog

/// What a governed append did with one proposed event.
public struct GovernedAppend: Sendable {
    public var appended: AppendedEvent
    /// The gate's judgement, for gated event types (nil for duplicates and ungated types).
    public var judgement: GateJudgement?

    public init(appended: AppendedEvent, judgement: GateJudgement? = nil) {
        self.appended = appended
        self.judgement = judgement
    }

    /// `{"seq", "id", "hash", "stream_version", "duplicate", "gate"?}`: how `append --json`
    /// and the HTTP API acknowledge an event.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "seq": .number(Double(appended.seq)), "id": .string(appended.id), "hash": .string(appended.hash.hex),
            "stream_version": .number(Double(appended.streamVersion)), "duplicate": .bool(appended.isDuplicate),
        ]
        if let judgement { object["gate"] = judgement.record }
        return .object(object)
    }
}

/// The ledger as GenLedger's pipelines write to it: every event validated against the
/// vocabulary and what is already recorded, gated events judged against the policy in force,
/// all inside the append transaction, so two writers can never both pass one cap.
public final class GovernedLedger {
    /// How the gate's state is brought up to date before each judgement.
    public enum StateLoading: Sendable {
        /// Fold the whole log once, then each new event: for a process that judges many events
        /// (the service, an import, the simulator). Memory grows with the ledger.
        case whole
        /// Load, inside each transaction, only what the events judged name (`GateIndex`): for a
        /// one-shot call, whose cost then does not grow with the ledger. `state` then holds the
        /// global documents and the concerned deliverables only.
        case asNeeded
        /// Load the global documents at start, then each deliverable, campaign and routing
        /// decision the first time an event names it, and keep them, following every later event
        /// (this writer's and others') for what is loaded: for a long-running writer (the
        /// service), which then starts in the time the global documents take, at any ledger size.
        case cached
    }

    public let ledger: Ledger
    public let loading: StateLoading
    /// Folded from the log up to `state.position`; refreshed inside every transaction.
    public internal(set) var state = GovernanceState()
    /// With `.asNeeded`: the keys the next refresh loads besides the global documents.
    var scope = GateIndex.Scope()
    /// Set when the state may hold events that were rolled back: the next use refolds.
    private var stateIsSuspect = false
    /// Set while the state holds events of the open transaction.
    var foldedUncommitted = false
    /// The gate's read model exists on this ledger (asked once: a read transaction each time).
    private var indexIsPrepared = false

    private func prepareIndex() throws {
        guard !indexIsPrepared else { return }
        try GateIndex.prepare(ledger)
        indexIsPrepared = true
    }

    public init(_ ledger: Ledger, loading: StateLoading = .whole) {
        self.ledger = ledger
        self.loading = loading
    }

    /// Appends a batch: whole, or not at all. In `enforce` mode a denied request appends only a
    /// `policy.denied` event recording the judged input and every rule it broke, then throws
    /// `GovernanceError.denied` naming the first; a fact that breaks a rule is appended with the
    /// violation in its gate record. In `audit` mode (importing history) nothing is denied.
    /// `approval` is an approver the caller has proven (an approver's token, say).
    @discardableResult
    public func append(_ events: [ProposedEvent], mode: GateMode = .enforce, approval: ApprovalProof? = nil) throws
        -> [GovernedAppend]
    {
        let decoded = try Self.decode(events)
        scope = GateIndex.Scope(events)
        let result = try session { session in
            try appendInSession(session, events, decoded, mode: mode, approval: approval)
        }
        switch result {
        case .appended(let results): return results
        case .denied(let error): throw error
        }
    }

    @discardableResult
    public func append(_ event: ProposedEvent, mode: GateMode = .enforce, approval: ApprovalProof? = nil) throws
        -> GovernedAppend
    {
        try append([event], mode: mode, approval: approval)[0]
    }

    /// Judges an event as if it were appended now, without appending anything: the same
    /// decoding, references and rules as `append`.
    public func judge(_ event: ProposedEvent, mode: GateMode = .enforce, approval: ApprovalProof? = nil) throws
        -> GateJudgement?
    {
        do { try Ledger.validate(event) } catch let error as LedgerError { throw error.at(index: 0) }
        let decoded = try Self.decode([event])[0]
        try refresh(for: [event])
        do { try state.checkReferences(decoded) } catch let error as GovernanceError {
            throw error.at(index: 0, type: event.type)
        }
        return Gate.judge(decoded, in: state, on: date(of: event), context: context(for: event, decoded, mode, approval))
    }

    /// The gate's context for one event: the mode, and the approver proven by a signature in an
    /// override's payload or by the caller.
    func context(for event: ProposedEvent, _ domain: DomainEvent, _ mode: GateMode, _ approval: ApprovalProof?) -> GateContext {
        // A decline is proven only by the caller (the approver's token).
        if case .policyOverrideDeclined = domain { return GateContext(mode: mode, approval: approval) }
        guard case .policyOverrideGranted(let override) = domain else { return GateContext(mode: mode) }
        if override.approverSignature != nil {
            switch OverrideSignature.verify(event, override, policy: state.policyInForce?.document) {
            case .success(let proof): return GateContext(mode: mode, approval: proof)
            case .failure(let refusal): return GateContext(mode: mode, approvalProblem: refusal.reason)
            }
        }
        return GateContext(mode: mode, approval: approval)
    }

    /// What `publish` would append for `folder` now, each event checked against the ledger as
    /// `publish` checks it (a changed document must raise its version), appending nothing.
    public func publicationPlan(_ folder: PolicyFolder, on date: CalendarDate) throws -> [ProposedEvent] {
        try refresh(for: [])
        let events = try folder.publication(against: state, actor: nil, on: date)
        var trial = state
        for (index, domain) in try Self.decode(events).enumerated() {
            do { try trial.checkReferences(domain) } catch let error as GovernanceError {
                throw error.at(index: index, type: events[index].type)
            }
            trial.apply(domain, seq: trial.position + 1)
        }
        return events
    }

    /// After a request's events were folded and then undone (a failed savepoint of a group):
    /// the state again as the session stands.
    func recover(_ session: AppendSession) throws {
        if loading == .whole {
            state = GovernanceState()
            try state.catchUp { after, each in try session.forEachEvent(after: after, each) }
        } else {
            stateIsSuspect = true
            try reload(session)
        }
    }

    /// Brings the state up to the end of the log (outside any transaction). With `.asNeeded`,
    /// loads the global documents and what `events` name.
    public func refresh(for events: [ProposedEvent] = []) throws {
        if loading == .cached {
            try prepareIndex()
            try ledger.withSideTables(write: true) { tables in
                try follow(GateIndex(tables), reading: { after, body in try ledger.forEachEvent(after: after, body) })
                try GateIndex(tables).load(GateIndex.Scope(events), into: &state)
            }
            return
        }
        if loading == .asNeeded {
            scope = GateIndex.Scope(events)
            try prepareIndex()
            state = try ledger.withSideTables(write: true) { try GateIndex($0).state(for: scope, size: try ledger.size()) }
            return
        }
        try refresh { after, body in try ledger.forEachEvent(after: after, body) }
    }

    /// Brings the state up to the end of the log with the deliverables a routing request names.
    public func refresh(deliverables: [String]) throws {
        if loading == .cached {
            try prepareIndex()
            try ledger.withSideTables(write: true) { tables in
                try follow(GateIndex(tables), reading: { after, body in try ledger.forEachEvent(after: after, body) })
                try GateIndex(tables).load(GateIndex.Scope(deliverables: Set(deliverables)), into: &state)
            }
            return
        }
        guard loading == .asNeeded else { return try refresh() }
        scope = GateIndex.Scope(deliverables: Set(deliverables))
        try prepareIndex()
        state = try ledger.withSideTables(write: true) { try GateIndex($0).state(for: scope, size: try ledger.size()) }
    }

    // MARK: Internals

    enum SessionResult {
        case appended([GovernedAppend])
        case denied(GovernanceError)
    }

    static func decode(_ events: [ProposedEvent]) throws -> [DomainEvent] {
        try events.enumerated().map { index, event in
            do {
                return try DomainEvent.decode(type: event.type, stream: event.stream, payload: event.payload)
            } catch let error as GovernanceError {
                throw error.at(index: index, type: event.type)
            }
        }
    }

    /// Runs `body` in an append session with the state caught up to the log's end.
    func session<T>(_ body: (AppendSession) throws -> T) throws -> T {
        defer { foldedUncommitted = false }
        if loading != .whole { try prepareIndex() }
        do {
            return try ledger.withAppendSession { session in
                try reload(session)
                return try body(session)
            }
        } catch {
            // Only events folded into the state and then rolled back make it wrong; an error
            // before any fold (bad input, no route) leaves it exact.
            if foldedUncommitted { stateIsSuspect = true }
            throw error
        }
    }

    /// Brings the state up to the session's end: the concerned part (`.asNeeded`), or the events
    /// after `state.position` (`.whole`).
    func reload(_ session: AppendSession) throws {
        if loading == .asNeeded {
            state = try GateIndex(session.sideTables).state(for: scope, size: try session.size())
            stateIsSuspect = false
            return
        }
        if loading == .cached {
            try follow(
                GateIndex(session.sideTables),
                reading: { after, each in
                    // Usually nothing new (the last group was this writer's own): no scan then.
                    guard try session.size() > after else { return }
                    try session.forEachEvent(after: after, each)
                })
            return
        }
        try refresh { after, each in try session.forEachEvent(after: after, each) }
    }

    /// `.cached`: catches the state up with the events after its position, whoever wrote them:
    /// the global documents, and what concerns a loaded deliverable or campaign (a cost of one
    /// not loaded still counts toward its campaign's spend). Starts from the global documents
    /// when the state is empty or may hold rolled-back events.
    func follow(_ index: GateIndex, reading: (UInt64, (RecordedEvent) throws -> Bool) throws -> Void) throws {
        try index.catchUp()
        if stateIsSuspect || state.position == 0 {
            // The documents as of now: only what follows is left to follow.
            state = try index.state(for: GateIndex.Scope(), size: try index.logEnd())
            stateIsSuspect = false
        }
        try reading(state.position) { recorded in
            let seq = recorded.seq
            let global = GateIndex.globalTypes.contains(recorded.type)
            let deliverable = recorded.stream.hasPrefix("deliverable/") ? String(recorded.stream.dropFirst(12)) : nil
            let campaign = recorded.stream.hasPrefix("campaign/") ? String(recorded.stream.dropFirst(9)) : nil
            let loaded =
                global || deliverable.map { state.deliverables[$0] != nil } == true
                || campaign.map { state.campaigns[$0] != nil } == true
            if loaded {
                let payload = try JSONParser.parse(recorded.payloadBytes)
                let event: DomainEvent
                do {
                    event = try DomainEvent.decode(type: recorded.type, stream: recorded.stream, payload: payload, allowGateRecord: true)
                } catch {
                    throw GovernanceError(
                        .invalidEvent, "recorded event seq \(seq) (\(recorded.type)) does not fit the vocabulary: \(error)")
                }
                state.apply(event, seq: seq)
            } else if recorded.type == EventType.costRecorded.rawValue, let deliverable,
                let owner = try index.campaign(of: deliverable), state.campaigns[owner] != nil,
                let amount = try JSONParser.parse(recorded.payloadBytes)["amount"]?.numberValue
            {
                state.campaigns[owner]?.spendMicros += Money(amount, .USD).micros
            }
            state.position = seq
            return true
        }
    }

    private func refresh(_ reading: (UInt64, (RecordedEvent) throws -> Bool) throws -> Void) throws {
        if stateIsSuspect {
            state = GovernanceState()
            stateIsSuspect = false
        }
        do {
            try state.catchUp(reading: reading)
        } catch {
            stateIsSuspect = true
            throw error
        }
    }

    func date(of event: ProposedEvent) -> CalendarDate {
        CalendarDate(event.occurredAt ?? ledger.clock())
    }

    func appendInSession(
        _ session: AppendSession, _ events: [ProposedEvent], _ decoded: [DomainEvent], mode: GateMode = .enforce,
        approval: ApprovalProof? = nil
    ) throws -> SessionResult {
        var toAppend: [ProposedEvent] = []
        var judgements: [GateJudgement?] = []
        var slots: [Int?] = []  // index into toAppend, or nil for a duplicate
        var duplicates: [Int: AppendedEvent] = [:]
        var applied = false
        var idsInBatch: [UUID: Int] = [:]
        if loading == .cached {
            // The group's session caught the read model up when it began (`follow`); a request
            // naming only what the state holds needs neither the model nor its catch-up.
            try GateIndex(session.sideTables).catchUpAndLoad(GateIndex.Scope(events), into: &state)
        }

        for (index, (event, domain)) in zip(events, decoded).enumerated() {
            if let id = event.id, let earlier = idsInBatch[id] {
                guard events[earlier] == event else {
                    throw LedgerError(
                        .conflict, "event id \(id.uuidString.lowercased()) appears twice in the batch with different content",
                        index: index, field: "id")
                }
                if slots[earlier] == nil { duplicates[index] = duplicates[earlier] }
                slots.append(slots[earlier])
                judgements.append(nil)
                continue
            }
            if let id = event.id { idsInBatch[id] = index }
            if let id = event.id, let original = try session.event(id: id.uuidString.lowercased()) {
                guard Self.sameInput(event, original) else {
                    throw LedgerError(
                        .conflict, "event id \(id.uuidString.lowercased()) is already seq \(original.seq) with different content",
                        index: index, field: "id", seq: original.seq)
                }
                duplicates[index] = AppendedEvent(
                    seq: original.seq, id: original.id, streamVersion: original.streamVersion, hash: original.hash,
                    isDuplicate: true)
                slots.append(nil)
                judgements.append(nil)
                continue
            }
            var domain = domain
            var recorded = event
            if case .regenerationRequested(var request) = domain, request.attempt == nil,
                let granted = state.deliverables[request.deliverable]?.attemptsGranted, case .object(var payload) = event.payload
            {
                // The gate numbers the attempt; the judged input stays as given in a denial.
                request.attempt = granted + 1
                domain = .regenerationRequested(request)
                payload["attempt"] = .number(Double(granted + 1))
                recorded.payload = .object(payload)
            }
            do { try state.checkReferences(domain) } catch let error as GovernanceError {
                throw error.at(index: index, type: event.type)
            }
            let judgement = Gate.judge(
                domain, in: state, on: date(of: event), context: context(for: recorded, domain, mode, approval))
            if let judgement {
                if judgement.outcome == .denied {
                    if applied {
                        // Events before this one were folded but will not be written: refold.
                        state = GovernanceState()
                        try reload(session)
                    }
                    return .denied(try recordDenial(session, event, judgement, index: index))
                }
                guard case .object(var payload) = recorded.payload else { preconditionFailure("decoded payloads are objects") }
                payload[DomainEvent.gateKey] = judgement.record
                recorded.payload = .object(payload)
            }
            state.apply(domain, seq: state.position + 1)
            applied = true
            foldedUncommitted = true
            slots.append(toAppend.count)
            judgements.append(judgement)
            toAppend.append(recorded)
        }

        let appended = try session.append(toAppend)
        if let last = appended.last, last.seq != state.position {
            stateIsSuspect = true
        }
        let results = slots.enumerated().map { index, slot in
            GovernedAppend(appended: slot.map { appended[$0] } ?? duplicates[index]!, judgement: judgements[index])
        }
        return .appended(results)
    }

    private func recordDenial(_ session: AppendSession, _ event: ProposedEvent, _ judgement: GateJudgement, index: Int) throws
        -> GovernanceError
    {
        let finding = judgement.denial!
        var judged: [String: JSONValue] = [
            "type": .string(event.type), "stream": .string(event.stream), "payload": event.payload,
        ]
        if let id = event.id { judged["id"] = .string(id.uuidString.lowercased()) }
        if let actor = event.actor { judged["actor"] = .string(actor) }
        if let occurredAt = event.occurredAt { judged["occurred_at"] = .string(occurredAt.description) }
        var payload: [String: JSONValue] = [
            "policy": .string(judgement.policy ?? "built-in"), "version": .number(Double(judgement.version)),
            "rule": .string(finding.rule), "action": .string(finding.action.rawValue), "reason": .string(finding.reason),
            "judged": .object(judged), "rules_checked": .array(judgement.rulesChecked.map(JSONValue.string)),
            "findings": .array(judgement.findings.map(\.json)),
        ]
        let deliverable = event.payload["deliverable"]?.stringValue
        if let deliverable { payload["deliverable"] = .string(deliverable) }
        if let policySeq = judgement.policySeq { payload["policy_seq"] = .number(Double(policySeq)) }
        // A retried denial of the same input at the same point is the same record.
        let id = event.id.map { Self.derivedID("\($0.uuidString.lowercased()) denied at \(state.position)") }
        let denial = ProposedEvent(
            id: id, type: EventType.policyDenied.rawValue,
            stream: deliverable.map { "deliverable/\($0)" } ?? "policy/\(judgement.policy ?? "built-in")",
            payload: .object(payload), occurredAt: event.occurredAt, actor: "gate")
        let domain = try DomainEvent.decode(type: denial.type, stream: denial.stream, payload: denial.payload)
        let written = try session.append([denial])[0]
        if !written.isDuplicate {
            state.apply(domain, seq: written.seq)
            foldedUncommitted = true
        }
        let reasons = judgement.denials.map { $0.rule == finding.rule ? $0.reason : "\($0.rule): \($0.reason)" }
        var error = GovernanceError(.denied, "denied: \(reasons.joined(separator: "; "))", rule: judgement.rule)
        error.findings = judgement.findings
        error = error.at(index: index, type: event.type)
        error.deniedSeq = written.seq
        return error
    }

    /// The same input as a recorded event, ignoring the gate's own record in the payload.
    static func sameInput(_ event: ProposedEvent, _ recorded: RecordedEvent) -> Bool {
        guard event.type == recorded.type, event.stream == recorded.stream,
            case .object(var stored) = (try? JSONParser.parse(recorded.payloadBytes)) ?? .null
        else { return false }
        stored[DomainEvent.gateKey] = nil
        // A regeneration asked for without a number was numbered by the gate: a retry matches it.
        if event.type == EventType.regenerationRequested.rawValue && event.payload["attempt"] == nil { stored["attempt"] = nil }
        return CanonicalJSON.bytes(of: .object(stored)) == CanonicalJSON.bytes(of: event.payload)
            && (event.actor == nil || event.actor == recorded.actor)
            && (event.occurredAt == nil || event.occurredAt?.description == recorded.occurredAt)
    }

    /// A name-based UUID (version 8 layout over SHA-256), so derived events are deterministic.
    public static func derivedID(_ name: String) -> UUID {
        UUID(bytes: SHA256.hash(Array(name.utf8)).withUnsafeBytes { Array($0) }, version: 8)
    }

}

extension GovernedLedger {
    /// Publishes what changed in a policy folder, in one atomic batch. Returns the events appended
    /// (empty when the ledger already records every document).
    @discardableResult
    public func publish(_ folder: PolicyFolder, actor: String? = nil, occurredAt: Timestamp? = nil) throws -> [GovernedAppend] {
        scope = GateIndex.Scope()
        let result: SessionResult = try session { session in
            let date = CalendarDate(occurredAt ?? ledger.clock())
            var events = try folder.publication(against: state, actor: actor, on: date)
            guard !events.isEmpty else { return .appended([]) }
            for i in events.indices { events[i].occurredAt = occurredAt }
            return try appendInSession(session, events, try Self.decode(events))
        }
        switch result {
        case .appended(let appended): return appended
        case .denied(let error): throw error
        }
    }
}
