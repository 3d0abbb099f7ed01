import ArgumentParser
import Governance
import LedgerLog
import Projections

struct Erase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase fields of one event's payload (a person's right to erasure, a leaked secret), on the record.",
        discussion: """
            Appends payload.erased (the event, the fields, why, by whom, and the SHA-256 of what \
            remains), then removes the fields, in one transaction. The event's payload_digest and hash \
            stay the original's, so verify, proofs and exports still hold; verify checks what remains \
            against the recorded digest. Only fields the governance never reads may be erased: a \
            generation's prompt and template_values, a template's body and note, a failure's message, \
            review notes, and fields a pipeline added that the vocabulary does not define; anything \
            else is refused by name. docs/FORMAT.md §11.
            """)

    @OptionGroup var ledger: LedgerOptions

    @Argument(help: "The seq of the event.")
    var seq: UInt64

    @Option(name: .customLong("field"), help: "A payload field to erase. Repeatable.")
    var fields: [String] = []

    @Option(help: "Why (recorded).")
    var reason: String

    @Option(help: "Who decided it (recorded; default: the actor).")
    var by: String?

    @Option(help: "The actor recorded (default: $GENLEDGER_ACTOR, else cli:$USER).")
    var actor: String?

    func validate() throws {
        if fields.isEmpty { throw ValidationError("name at least one --field to erase") }
    }

    func run() throws {
        try reportingErrors {
            let opened = try ledger.open()
            guard let event = try opened.event(seq: seq) else {
                throw LedgerError(.badInput, "there is no event at seq \(seq)", field: "seq", seq: seq)
            }
            let governed = GovernedLedger(opened, loading: .asNeeded)
            try governed.refresh()
            let policy = governed.state.policyInForce?.document
            let free = ErasableFields.erasable(type: event.type, payload: event.payload)
            let byPolicy = ErasableFields.allowedByPolicy(type: event.type, payload: event.payload, policy: policy)
            let erasable = free.union(byPolicy)
            for field in fields where !erasable.contains(field) {
                throw LedgerError(
                    .badInput,
                    "'\(field)' of \(event.type) cannot be erased: the governance reads it, and the policy in force does not allow it (erasure.allow in governance.yaml; erasable here: \(erasable.isEmpty ? "none" : erasable.sorted().joined(separator: ", ")))",
                    field: field, seq: seq)
            }
            // The event must still read: a field required only in some cases (a rejected review's
            // reasons) is refused here too.
            if var remaining = event.payload.objectValue {
                for field in fields { remaining[field] = nil }
                do {
                    _ = try DomainEvent.decode(type: event.type, stream: event.stream, payload: .object(remaining), allowGateRecord: true)
                } catch let error as GovernanceError {
                    throw LedgerError(
                        .badInput, "erasing \(fields.joined(separator: ", ")) would leave \(event.type) unreadable: \(error.message)",
                        field: error.field, seq: seq)
                }
            }
            let who = resolvedActor(actor)
            // Read models folded again from what remains drop rows that held the erased values:
            // their pages are zeroed too.
            let recorded = try opened.zeroingFreedPages {
                let recorded = try opened.erase(seq: seq, fields: fields, reason: reason, by: by ?? who, actor: who)
                let projections = Projections(opened)
                if fields.contains(where: byPolicy.contains) {
                    // A field the governance reads is gone: its read models are folded again from what remains.
                    _ = try projections.rebuild()
                    if try GateIndex.isPresent(opened) {
                        try opened.withSideTables(write: true) { try GateIndex($0).reset() }
                    }
                } else {
                    try projections.catchUp()
                }
                return recorded
            }
            print("erased \(fields.sorted().joined(separator: ", ")) of seq \(seq) (\(event.type)); recorded as payload.erased at seq \(recorded.seq)")
        }
    }
}
