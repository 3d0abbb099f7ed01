/// A C2SP tlog-checkpoint body: origin, tree size and root hash, each on its own line, then
/// optional extension lines.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: UInt64
    public var root: SHA256Digest
    public var extensions: [String]

    public init(origin: String, size: UInt64, root: SHA256Digest, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    public var text: String {
        ([origin, String(size), root.base64] + extensions).map { $0 + "\n" }.joined()
    }

    public init(parsing text: String) throws {
        guard text.hasSuffix("\n") else { throw LedgerError(.badInput, "checkpoint text must end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw LedgerError(.badInput, "a checkpoint has an origin, a tree size and a root hash line")
        }
        guard !lines[0].isEmpty else { throw LedgerError(.badInput, "checkpoint origin line is empty") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw LedgerError(.badInput, "checkpoint tree size '\(lines[1])' is not a decimal number without leading zeros")
        }
        guard let root = SHA256Digest(base64: String(lines[2])) else {
            throw LedgerError(.badInput, "checkpoint root '\(lines[2])' is not the base64 of 32 bytes")
        }
        for line in lines[3...] where line.isEmpty {
            throw LedgerError(.badInput, "checkpoint extension lines cannot be empty")
        }
        self.init(origin: String(lines[0]), size: size, root: root, extensions: lines[3...].map(String.init))
    }
}

/// A checkpoint with its signatures, as issued and stored by a ledger.
public struct SignedCheckpoint: Sendable, Equatable {
    public var checkpoint: Checkpoint
    public var note: SignedNote

    public init(checkpoint: Checkpoint, note: SignedNote) {
        self.checkpoint = checkpoint
        self.note = note
    }

    public static func sign(_ checkpoint: Checkpoint, with signers: [NoteSignerKey]) throws -> SignedCheckpoint {
        SignedCheckpoint(checkpoint: checkpoint, note: try SignedNote.sign(text: checkpoint.text, with: signers))
    }

    public init(parsing note: String) throws {
        let parsed = try SignedNote(parsing: note)
        self.init(checkpoint: try Checkpoint(parsing: parsed.text), note: parsed)
    }

    /// Verifies the signatures and that the signed text is this checkpoint.
    public func verify(with keys: [NoteVerifierKey]) throws -> SignedNote.Verification {
        guard note.text == checkpoint.text else {
            throw LedgerError(.verificationFailed, "signed text does not match the checkpoint")
        }
        return try note.verify(with: keys)
    }
}
