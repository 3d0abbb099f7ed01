/// The one error type of the Log layer: a stable code callers can match, a message a person can
/// act on, and where known the seq, line or field it concerns.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// Grows without breaking callers: match on the static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The input (JSON, a field, a timestamp, a proof) is malformed or out of range.
        public static let badInput = Code(rawValue: "bad-input")
        /// An expected stream version did not hold, or an event id was reused for other content.
        public static let conflict = Code(rawValue: "conflict")
        /// The file is absent, not a SQLite database or not a GenLedger ledger.
        public static let notALedger = Code(rawValue: "not-a-ledger")
        /// The ledger was written by a newer GenLedger than this one.
        public static let schemaTooNew = Code(rawValue: "schema-too-new")
        /// The database file is damaged (SQLite reports corruption).
        public static let damaged = Code(rawValue: "damaged")
        /// A signing or verifier key is missing, unreadable or malformed.
        public static let keyUnavailable = Code(rawValue: "key-unavailable")
        /// The ledger refused to run with weaker durability than it promises.
        public static let durability = Code(rawValue: "durability")
        /// A proof, checkpoint or signature does not verify.
        public static let verificationFailed = Code(rawValue: "verification-failed")
        /// Refusing to overwrite an existing file.
        public static let alreadyExists = Code(rawValue: "already-exists")
        /// Storage or operating-system failure.
        public static let storage = Code(rawValue: "storage")
        /// The database server cannot be reached or went away; nothing was written. Retry later.
        public static let unavailable = Code(rawValue: "unavailable")
    }

    public var code: Code
    public var message: String
    /// 1-based line of the input, when the input was line-oriented.
    public var line: Int?
    /// Index in a batch (0-based), when the input was a batch.
    public var index: Int?
    /// The envelope or payload field at fault, as a JSON path (`payload.cost.amount`).
    public var field: String?
    /// The event seq the error concerns.
    public var seq: UInt64?

    public init(
        _ code: Code,
        _ message: String,
        line: Int? = nil,
        index: Int? = nil,
        field: String? = nil,
        seq: UInt64? = nil
    ) {
        self.code = code
        self.message = message
        self.line = line
        self.index = index
        self.field = field
        self.seq = seq
    }

    public var description: String {
        var location: [String] = []
        if let line { location.append("line \(line)") }
        if let index, line == nil { location.append("event \(index)") }
        if let seq { location.append("seq \(seq)") }
        if let field { location.append("field '\(field)'") }
        let prefix = location.isEmpty ? "" : location.joined(separator: ", ") + ": "
        return prefix + message
    }

    /// The same error, placed at a line of the input.
    public func at(line: Int) -> LedgerError {
        var copy = self
        copy.line = line
        return copy
    }

    /// The same error, placed at an event of a batch.
    public func at(index: Int) -> LedgerError {
        var copy = self
        copy.index = index
        return copy
    }
}
