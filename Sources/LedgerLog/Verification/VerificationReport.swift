/// What is wrong, at which seq. Kinds name what an attacker or a fault did, as far as the
/// evidence tells.
public struct VerificationProblem: Sendable, Equatable, CustomStringConvertible {
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An event's payload or envelope no longer matches its digest or hash.
        public static let edited = Kind(rawValue: "edited")
        /// Seqs are missing from the middle of the log.
        public static let deleted = Kind(rawValue: "deleted")
        /// An event was added between recorded events.
        public static let inserted = Kind(rawValue: "inserted")
        /// Events hold other events' places.
        public static let reordered = Kind(rawValue: "reordered")
        /// An event's prev_hash does not link to the event before it.
        public static let chainBroken = Kind(rawValue: "chain-broken")
        /// Events are missing from the end: a checkpoint or stored tree covers more than the log.
        public static let tailRemoved = Kind(rawValue: "tail-removed")
        /// A stored Merkle node disagrees with the events (proofs would be wrong).
        public static let merkleMismatch = Kind(rawValue: "merkle-mismatch")
        /// The log's root at a checkpoint's size differs from the signed root.
        public static let checkpointMismatch = Kind(rawValue: "checkpoint-mismatch")
        /// A checkpoint signature by a known key does not verify, or no known key signed it.
        public static let badSignature = Kind(rawValue: "bad-signature")
        /// A line or row cannot be read at all, or a file is not in the exact form (line ends).
        public static let malformed = Kind(rawValue: "malformed")
        /// Events beyond every checkpoint that was supplied: nothing signed vouches for them.
        public static let notCovered = Kind(rawValue: "not-covered")
        /// Fewer witnesses than the quorum cosigned the checkpoint (C2SP tlog-cosignature).
        public static let witnessQuorum = Kind(rawValue: "witness-quorum")
    }

    public var kind: Kind
    public var seq: UInt64?
    public var message: String

    public init(kind: Kind, seq: UInt64?, message: String) {
        self.kind = kind
        self.seq = seq
        self.message = message
    }

    public var description: String {
        (seq.map { "seq \($0): " } ?? "") + "\(kind): \(message)"
    }
}

public struct VerificationReport: Sendable {
    /// A verifier key a verification trusted, and why.
    public struct TrustedKey: Sendable, Equatable {
        public enum Source: String, Sendable { case supplied, ledgerFile = "ledger-file", rotation }
        public var key: String
        public var source: Source

        public init(key: String, source: Source) {
            self.key = key
            self.source = source
        }
    }

    public var origin: String
    /// The keys whose signatures counted (an export's: those supplied).
    public var trustedKeys: [TrustedKey] = []
    public var eventCount: UInt64 = 0
    public var root: SHA256Digest = MerkleHashing.emptyRoot
    public var checkpointsChecked = 0
    public var signaturesVerified = 0
    public var durability: Durability?
    /// How the store holds commits: `synchronous=FULL` (SQLite), or PostgreSQL's
    /// `fsync=on, synchronous_commit=on` as the server reported them during the check.
    public var durabilitySettings: String?
    public var warnings: [String] = []
    public var problems: [VerificationProblem] = []

    public var isValid: Bool { problems.isEmpty }

    /// A bad signature first (nothing an unsigned checkpoint says can be trusted, docs/FORMAT.md
    /// §6), else the problem with the lowest seq, else the first found.
    public var firstProblem: VerificationProblem? {
        problems.first { $0.kind == .badSignature } ?? problems.min { ($0.seq ?? .max) < ($1.seq ?? .max) }
    }
}
