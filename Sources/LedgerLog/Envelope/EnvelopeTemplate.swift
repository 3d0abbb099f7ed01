/// An event's hashed envelope (`EnvelopeEncoding.hashedBytes`) with every member known before
/// the write already in place: actor, id, occurred_at when the caller gave it, payload_digest,
/// stream and type. A large batch's preparing thread makes these; the writer, which is the one
/// thread every append waits on, only adds prev_hash, recorded_at, seq, stream_version (and
/// occurred_at when it defaults to recorded_at). The bytes are those of `hashedBytes`.
struct EnvelopeTemplate: Sendable {
    /// `{"actor":…,"id":…,"occurred_at":` [the time] | `,"payload_digest":"…","prev_hash":"` |
    /// `,"stream":…,"stream_version":` | `,"type":…}`
    private let bytes: [UInt8]
    /// Where each part after the first starts in `bytes`.
    private let digestStart: Int32
    private let streamStart: Int32
    private let typeStart: Int32
    private let hasOccurredAt: Bool

    init(id: String, type: String, stream: String, occurredAt: String?, actor: String, payloadDigest: SHA256Digest) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(200 + id.utf8.count + type.utf8.count + stream.utf8.count + actor.utf8.count)
        bytes.append(contentsOf: #"{"actor":"#.utf8)
        CanonicalJSON.appendString(actor, to: &bytes)
        bytes.append(contentsOf: #","id":"#.utf8)
        CanonicalJSON.appendString(id, to: &bytes)
        bytes.append(contentsOf: #","occurred_at":"#.utf8)
        if let occurredAt { CanonicalJSON.appendString(occurredAt, to: &bytes) }
        digestStart = Int32(bytes.count)
        bytes.append(contentsOf: #","payload_digest":""#.utf8)
        HexCoding.appendHex(of: payloadDigest, to: &bytes)
        bytes.append(contentsOf: #"","prev_hash":""#.utf8)
        streamStart = Int32(bytes.count)
        bytes.append(contentsOf: #","stream":"#.utf8)
        CanonicalJSON.appendString(stream, to: &bytes)
        bytes.append(contentsOf: #","stream_version":"#.utf8)
        typeStart = Int32(bytes.count)
        bytes.append(contentsOf: #","type":"#.utf8)
        CanonicalJSON.appendString(type, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        self.bytes = bytes
        hasOccurredAt = occurredAt != nil
    }

    /// A batch's recorded_at as the template takes it: the JSON string, quoted and escaped.
    static func quoted(_ recordedAt: String) -> [UInt8] {
        var out: [UInt8] = []
        CanonicalJSON.appendString(recordedAt, to: &out)
        return out
    }

    /// The hashed envelope, into `out` (emptied first). `recordedAt` as `quoted` gives it; it is
    /// also the occurred_at of an event whose caller gave none.
    func hashedBytes(seq: UInt64, streamVersion: UInt64, recordedAt: [UInt8], previousHash: SHA256Digest, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        bytes.withUnsafeBufferPointer { bytes in
            func part(_ range: Range<Int32>) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: bytes[Int(range.lowerBound)..<Int(range.upperBound)])
            }
            out.append(contentsOf: part(0..<digestStart))
            if !hasOccurredAt { out.append(contentsOf: recordedAt) }
            out.append(contentsOf: part(digestStart..<streamStart))
            HexCoding.appendHex(of: previousHash, to: &out)
            out.append(contentsOf: #"","recorded_at":"#.utf8)
            out.append(contentsOf: recordedAt)
            out.append(contentsOf: #","seq":"#.utf8)
            out.append(contentsOf: String(seq).utf8)
            out.append(contentsOf: part(streamStart..<typeStart))
            out.append(contentsOf: String(streamVersion).utf8)
            out.append(contentsOf: part(typeStart..<Int32(bytes.count)))
        }
    }
}
