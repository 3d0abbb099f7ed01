import Foundation
@testable import LedgerLog
import Testing

/// The text an append writes per event, made in place (timestamps, ids, digests' hex), checked
/// against the slower general formatting it replaced and against the formats' own rules.
@Suite("Append encoding: timestamps, ids and hex written in place")
struct AppendEncodingTests {
    /// The general formatting, as it was: kept here as the reference.
    static func reference(_ timestamp: Timestamp) -> String {
        func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
            let remainder = (value % divisor + divisor) % divisor
            return ((value - remainder) / divisor, remainder)
        }
        let (seconds, micros) = floorDivide(timestamp.microsecondsSinceEpoch, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let s = Int(secondOfDay)
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2)).\(pad(Int(micros), 6))Z"
    }

    @Test("timestamps from year 0 to 9999 print as before and parse back")
    func timestamps() throws {
        // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in microseconds since 1970.
        let first: Int64 = -62_167_219_200_000_000
        let last: Int64 = 253_402_300_799_999_999
        var generator = SystemRandomNumberGenerator()
        var samples = [first, first + 1, -1, 0, 1, 951_782_400_000_000, last - 1, last]
        for _ in 0..<20_000 { samples.append(Int64.random(in: first...last, using: &generator)) }
        for micros in samples {
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            let text = timestamp.description
            #expect(text == Self.reference(timestamp), "\(micros)")
            #expect(text.utf8.count == 27)
            #expect(try Timestamp(rfc3339: text) == timestamp, "\(text)")
        }
        #expect(Timestamp(microsecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: last).description == "9999-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: first).description == "0000-01-01T00:00:00.000000Z")
        // Past year 9999 the general formatting still answers.
        let beyond = Timestamp(microsecondsSinceEpoch: last + 1)
        #expect(beyond.description == Self.reference(beyond))
        #expect(beyond.description.hasPrefix("10000-01-01"))
    }

    @Test("an id's stored text is its lowercase UUID string")
    func idText() {
        for _ in 0..<2_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        let fixed = UUID(uuidString: "0190F1C2-89AB-7DEF-8123-456789ABCDEF")!
        #expect(fixed.lowercasedString == "0190f1c2-89ab-7def-8123-456789abcdef")
    }

    @Test("ids drawn in runs: version 7, the variant, the time first, none repeated across refills")
    func versionSevenIDs() {
        var ids = EventIDs()
        let milliseconds: UInt64 = 0x0190_F1C2_89AB
        var seen: Set<UUID> = []
        var randomBits: Set<[UInt8]> = []
        for _ in 0..<1_000 {  // many times the 64 ids one draw serves
            let id = ids.next(milliseconds: milliseconds)
            let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
            #expect(bytes[0..<6] == [0x01, 0x90, 0xF1, 0xC2, 0x89, 0xAB])
            #expect(bytes[6] >> 4 == 7)
            #expect(bytes[8] >> 6 == 0b10)
            seen.insert(id)
            randomBits.insert(Array(bytes[6...]))
        }
        #expect(seen.count == 1_000)
        #expect(randomBits.count == 1_000)
        // Two generators do not repeat each other's draws.
        var other = EventIDs()
        #expect(!seen.contains(other.next(milliseconds: milliseconds)))
        // Ids made later sort after ids made earlier.
        #expect(UUID.version7(milliseconds: milliseconds + 1).lowercasedString > ids.next(milliseconds: milliseconds).lowercasedString)
    }

    @Test("a digest's hex, appended in place, equals its hex string")
    func digestHex() {
        let sha = SHA256()
        for index in 0..<1_000 {
            let digest = sha.hash(Array("event \(index)".utf8))
            var out: [UInt8] = Array("prefix:".utf8)
            HexCoding.appendHex(of: digest, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "prefix:" + digest.hex)
            #expect(String(decoding: out.dropFirst(7), as: UTF8.self) == digest.bytes.map { String(format: "%02x", $0) }.joined())
        }
    }

    @Test("text fields: control characters refused wherever they are, other characters kept")
    func textFields() throws {
        func event(stream: String) -> ProposedEvent {
            ProposedEvent(type: "note.added", stream: stream, payload: ["n": 1])
        }
        for bad in ["a\u{0}b", "\u{1f}", "tab\there", "del\u{7f}", "é\u{7f}", "日本\n"] {
            #expect(throws: LedgerError.self) { try Ledger.validate(event(stream: bad)) }
        }
        for good in ["é", "日本/語", "emoji 🎬", "\u{80}\u{9f}", "a b"] {
            try Ledger.validate(event(stream: good))
        }
    }

    @Test("the envelope made from its template equals the envelope encoded whole, escapes and defaults included")
    func envelopeTemplate() {
        let sha = SHA256()
        let texts = ["a", "deliverable/D-1", #"quote " and back\slash"#, "é日本🎬", "tab-free/\u{80}", String(repeating: "x", count: 300)]
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for index in 0..<2_000 {
            func pick() -> String { texts[Int.random(in: 0..<texts.count, using: &generator)] }
            let id = UUID().lowercasedString
            let (type, stream, actor) = (pick(), pick(), index % 3 == 0 ? nil : pick())
            let occurredAt = index % 2 == 0 ? nil : Timestamp(microsecondsSinceEpoch: Int64.random(in: 0...4_000_000_000_000_000, using: &generator)).description
            let recordedAt = index % 7 == 0 ? #"2026-12-03T15:00:00.000000Z"# : Timestamp.now().description
            let payloadDigest = sha.hash(Array("payload \(index)".utf8))
            let previousHash = sha.hash(Array("previous \(index)".utf8))
            let seq = UInt64.random(in: 1...UInt64.max, using: &generator) >> UInt64(index % 64)
            let streamVersion = UInt64(index % 5 == 0 ? 1 : Int.random(in: 1...1_000_000, using: &generator))

            var whole: [UInt8] = []
            EnvelopeEncoding.hashedBytes(
                seq: seq, id: id, type: type, stream: stream, streamVersion: streamVersion, occurredAt: occurredAt ?? recordedAt,
                recordedAt: recordedAt, actor: actor ?? PreparedEvent.unknownActor, payloadDigest: payloadDigest, previousHash: previousHash,
                into: &whole)
            var fromTemplate: [UInt8] = Array("left over from the event before".utf8)
            EnvelopeTemplate(id: id, type: type, stream: stream, occurredAt: occurredAt, actor: actor ?? PreparedEvent.unknownActor, payloadDigest: payloadDigest)
                .hashedBytes(
                    seq: seq, streamVersion: streamVersion, recordedAt: EnvelopeTemplate.quoted(recordedAt), previousHash: previousHash,
                    into: &fromTemplate)
            #expect(fromTemplate == whole, "\(String(decoding: fromTemplate, as: UTF8.self))")
            compared += 1
        }
        #expect(compared == 2_000)
    }
}
