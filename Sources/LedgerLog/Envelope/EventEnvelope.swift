public import Foundation

/// An event as a caller proposes it; the ledger assigns seq, stream version, recorded_at and
/// the hashes.
public struct ProposedEvent: Sendable, Equatable {
    /// A UUID chosen by the caller makes the append idempotent: retrying it returns the original.
    public var id: UUID?
    public var type: String
    public var stream: String
    /// Always a JSON object.
    public var payload: JSONValue
    public var occurredAt: Timestamp?
    public var actor: String?
    /// The stream version the caller expects the stream to be at before this event (0: new).
    public var expectedVersion: UInt64?

    public init(
        id: UUID? = nil,
        type: String,
        stream: String,
        payload: JSONValue,
        occurredAt: Timestamp? = nil,
        actor: String? = nil,
        expectedVersion: UInt64? = nil
    ) {
        self.id = id
        self.type = type
        self.stream = stream
        self.payload = payload
        self.occurredAt = occurredAt
        self.actor = actor
        self.expectedVersion = expectedVersion
    }
}

/// An event as the ledger holds it: the envelope of DESIGN.md.
public struct RecordedEvent: Sendable, Equatable {
    public var seq: UInt64
    public var id: String
    public var type: String
    public var stream: String
    public var streamVersion: UInt64
    public var occurredAt: String
    public var recordedAt: String
    public var actor: String
    /// RFC 8785 bytes of the payload object.
    public var payloadBytes: [UInt8]
    public var payloadDigest: SHA256Digest
    public var previousHash: SHA256Digest
    public var hash: SHA256Digest

    public var payload: JSONValue {
        // The ledger wrote these bytes itself by canonicalizing a parsed object.
        (try? JSONParser.parse(payloadBytes)) ?? .null
    }

    /// The export form: one line of RFC 8785 JSON with every envelope field, payload included.
    public var canonicalLine: [UInt8] {
        EnvelopeEncoding.line(of: self)
    }
}

/// The byte layouts of docs/FORMAT.md. Keys are written in RFC 8785 order by hand, since the
/// envelope's key set is fixed: this is the hot path of append and verify.
public enum EnvelopeEncoding {
    /// The hash chain's first `prev_hash`: 32 zero bytes.
    public static let genesis = SHA256Digest.zero

    public static let maxPayloadBytes = 1 << 20
    public static let maxFieldBytes = 1024

    /// The bytes whose SHA-256 is the event hash: the envelope without `hash` and `payload`
    /// (the payload is bound through `payload_digest`, so it can be erased later).
    public static func hashedBytes(
        seq: UInt64, id: String, type: String, stream: String, streamVersion: UInt64,
        occurredAt: String, recordedAt: String, actor: String,
        payloadDigest: SHA256Digest, previousHash: SHA256Digest,
        into out: inout [UInt8]
    ) {
        out.removeAll(keepingCapacity: true)
        appendEnvelope(
            seq: seq, id: id.utf8, type: type.utf8, stream: stream.utf8, streamVersion: streamVersion,
            occurredAt: occurredAt.utf8, recordedAt: recordedAt.utf8, actor: actor.utf8, payloadDigest: payloadDigest,
            previousHash: previousHash, hash: nil, payload: nil, into: &out)
    }

    /// The hashed bytes from the UTF-8 of each text field, as a store's column buffers hold it:
    /// verification hashes a row without making Strings of it.
    static func hashedBytes(
        seq: UInt64, id: UnsafeRawBufferPointer, type: UnsafeRawBufferPointer, stream: UnsafeRawBufferPointer,
        streamVersion: UInt64, occurredAt: UnsafeRawBufferPointer, recordedAt: UnsafeRawBufferPointer,
        actor: UnsafeRawBufferPointer, payloadDigest: SHA256Digest, previousHash: SHA256Digest, into out: inout [UInt8]
    ) {
        out.removeAll(keepingCapacity: true)
        appendEnvelope(
            seq: seq, id: id, type: type, stream: stream, streamVersion: streamVersion, occurredAt: occurredAt,
            recordedAt: recordedAt, actor: actor, payloadDigest: payloadDigest, previousHash: previousHash, hash: nil,
            payload: nil, into: &out)
    }

    public static func hashedBytes(of event: RecordedEvent) -> [UInt8] {
        var out: [UInt8] = []
        hashedBytes(
            seq: event.seq, id: event.id, type: event.type, stream: event.stream, streamVersion: event.streamVersion,
            occurredAt: event.occurredAt, recordedAt: event.recordedAt, actor: event.actor,
            payloadDigest: event.payloadDigest, previousHash: event.previousHash, into: &out)
        return out
    }

    /// The whole envelope, payload and hash included, as one RFC 8785 line (no newline).
    public static func line(of event: RecordedEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.payloadBytes.count + 400)
        appendEnvelope(
            seq: event.seq, id: event.id.utf8, type: event.type.utf8, stream: event.stream.utf8,
            streamVersion: event.streamVersion, occurredAt: event.occurredAt.utf8, recordedAt: event.recordedAt.utf8,
            actor: event.actor.utf8, payloadDigest: event.payloadDigest, previousHash: event.previousHash,
            hash: event.hash, payload: event.payloadBytes, into: &out)
        return out
    }

    /// Members in RFC 8785 order; `hash` and `payload` only in the line form.
    private static func appendEnvelope<Text: Sequence<UInt8>>(
        seq: UInt64, id: Text, type: Text, stream: Text, streamVersion: UInt64,
        occurredAt: Text, recordedAt: Text, actor: Text,
        payloadDigest: SHA256Digest, previousHash: SHA256Digest,
        hash: SHA256Digest?, payload: [UInt8]?,
        into out: inout [UInt8]
    ) {
        out.append(contentsOf: #"{"actor":"#.utf8)
        CanonicalJSON.appendString(utf8: actor, to: &out)
        if let hash {
            out.append(contentsOf: #","hash":""#.utf8)
            HexCoding.appendHex(of: hash, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #","id":"#.utf8)
        CanonicalJSON.appendString(utf8: id, to: &out)
        out.append(contentsOf: #","occurred_at":"#.utf8)
        CanonicalJSON.appendString(utf8: occurredAt, to: &out)
        if let payload {
            out.append(contentsOf: #","payload":"#.utf8)
            out.append(contentsOf: payload)
        }
        out.append(contentsOf: #","payload_digest":""#.utf8)
        HexCoding.appendHex(of: payloadDigest, to: &out)
        out.append(contentsOf: #"","prev_hash":""#.utf8)
        HexCoding.appendHex(of: previousHash, to: &out)
        out.append(contentsOf: #"","recorded_at":"#.utf8)
        CanonicalJSON.appendString(utf8: recordedAt, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","stream":"#.utf8)
        CanonicalJSON.appendString(utf8: stream, to: &out)
        out.append(contentsOf: #","stream_version":"#.utf8)
        out.append(contentsOf: String(streamVersion).utf8)
        out.append(contentsOf: #","type":"#.utf8)
        CanonicalJSON.appendString(utf8: type, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Reads one export line back into an event, checking that it is exactly the canonical form.
    public static func parseLine(_ bytes: [UInt8]) throws -> RecordedEvent {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw LedgerError(.badInput, "malformed JSON: \(error)") }
        guard case .object(let members) = value else { throw LedgerError(.badInput, "an event line is a JSON object") }
        let expected: Set<String> = [
            "actor", "hash", "id", "occurred_at", "payload", "payload_digest", "prev_hash", "recorded_at", "seq", "stream",
            "stream_version", "type",
        ]
        if let extra = Set(members.keys).subtracting(expected).sorted().first {
            throw LedgerError(.badInput, "unknown envelope field", field: extra)
        }
        func string(_ key: String) throws -> String {
            guard let value = members[key]?.stringValue else {
                throw LedgerError(.badInput, "missing or not a string", field: key)
            }
            return value
        }
        func integer(_ key: String) throws -> UInt64 {
            guard let value = members[key]?.integerValue, value >= 0 else {
                throw LedgerError(.badInput, "missing or not a non-negative integer", field: key)
            }
            return UInt64(value)
        }
        func digest(_ key: String) throws -> SHA256Digest {
            guard let digest = SHA256Digest(hex: try string(key)) else {
                throw LedgerError(.badInput, "not 64 lowercase hex digits", field: key)
            }
            return digest
        }
        guard let payload = members["payload"], case .object = payload else {
            throw LedgerError(.badInput, "missing or not an object", field: "payload")
        }
        let event = RecordedEvent(
            seq: try integer("seq"), id: try string("id"), type: try string("type"), stream: try string("stream"),
            streamVersion: try integer("stream_version"), occurredAt: try string("occurred_at"),
            recordedAt: try string("recorded_at"), actor: try string("actor"),
            payloadBytes: CanonicalJSON.bytes(of: payload), payloadDigest: try digest("payload_digest"),
            previousHash: try digest("prev_hash"), hash: try digest("hash"))
        guard line(of: event) == bytes else {
            throw LedgerError(.badInput, "line is not in RFC 8785 canonical form", seq: event.seq)
        }
        return event
    }
}
