/// Whether enough witnesses cosigned a checkpoint: each witness key counts once, for a valid
/// cosignature (C2SP tlog-cosignature) over the checkpoint's note body. A cosignature by a
/// given key that does not verify is a problem of its own: the checkpoint or it was altered.
public enum WitnessQuorum {
    public struct Result: Sendable, Equatable {
        /// The witnesses whose cosignature verified, with its timestamp.
        public var cosignedBy: [(name: String, timestamp: UInt64)]
        public var problem: VerificationProblem?

        public static func == (a: Result, b: Result) -> Bool {
            a.cosignedBy.map(\.name) == b.cosignedBy.map(\.name) && a.cosignedBy.map(\.timestamp) == b.cosignedBy.map(\.timestamp)
                && a.problem == b.problem
        }
    }

    public static func check(note: String, witnesses: [Cosignature.VerifierKey], quorum: Int) -> Result {
        var result = Result(cosignedBy: [], problem: nil)
        let signed: SignedNote
        do { signed = try SignedNote(parsing: note) } catch {
            result.problem = VerificationProblem(kind: .malformed, seq: nil, message: "the checkpoint cannot be read: \(error)")
            return result
        }
        for key in Set(witnesses) {
            do {
                if let timestamp = try key.timestamp(in: signed.signatures, body: signed.text) {
                    result.cosignedBy.append((key.name, timestamp))
                }
            } catch {
                result.problem = VerificationProblem(kind: .badSignature, seq: nil, message: "\(error)")
                return result
            }
        }
        result.cosignedBy.sort { $0.name < $1.name }
        if result.cosignedBy.count < quorum {
            let who = result.cosignedBy.isEmpty ? "none of them" : "only " + result.cosignedBy.map(\.name).joined(separator: ", ")
            result.problem = VerificationProblem(
                kind: .witnessQuorum, seq: nil,
                message: "\(quorum) of \(Set(witnesses).count) witnesses must have cosigned the checkpoint; \(who) did")
        }
        return result
    }
}
