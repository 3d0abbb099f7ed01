import Foundation

/// A long run of feeds (a rebuild, a first catch-up) on two cores: a thread with its own SQLite
/// connection reads the events and each one's payload fields into batches, while the caller's
/// connection binds them and inserts. The reading was a fifth of a rebuild (the log's pages, and
/// the field reader's pass over every payload); the inserts cannot be split, as SQLite has one
/// writer. Memory is bounded: at most three batches wait (`HandOver`), each of at most
/// `Ledger.readAheadBatch` events.
extension SideTables {
    /// Events read ahead, with their bytes copied back to back.
    struct ReadAheadBatch: Sendable {
        struct Event: Sendable {
            var seq: UInt64
            var dispatch: Int
            var erased: Bool
            var type: Range<Int>
            var occurredAt: Range<Int>
            var recordedAt: Range<Int>
            var payload: Range<Int>
            /// Where its fields start in `fields` (as many as its dispatch's reader names).
            var fields: Int
        }
        var bytes: [UInt8] = []
        var events: [Event] = []
        var fields: [JSONFieldReader.Field] = []
    }

    /// How the reading thread ended: the last seq it read, or why it stopped. Set before it
    /// closes the hand-over, read after the hand-over has run dry.
    final class ReadAheadOutcome: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Result<UInt64, any Error>?
        var result: Result<UInt64, any Error>? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    /// Feeds the events after `after` through `end`, read ahead by another thread from the
    /// ledger file at `path`. Returns the last seq fed.
    func readAhead(_ byType: [Dispatch], path: String, after: UInt64, through end: UInt64) throws -> UInt64 {
        let readers = byType.map { (type: $0.type, reader: $0.reader, typeName: $0.typeName) }
        let batchSize = ledger.readAheadBatch
        let handOver = HandOver<ReadAheadBatch>(capacity: 3)
        let outcome = ReadAheadOutcome()
        let stopped = DispatchSemaphore(value: 0)
        let thread = Thread {
            outcome.result = Result { try Self.read(readers, path: path, after: after, through: end, batch: batchSize, into: handOver) }
            handOver.close()
            stopped.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        // However this ends, the reader stops and closes its connection before we return.
        defer {
            handOver.abandon()
            stopped.wait()
        }
        var fed = after
        while let batch = handOver.take() {
            try batch.bytes.withUnsafeBytes { bytes in
                try batch.fields.withUnsafeBufferPointer { fields in
                    for event in batch.events {
                        func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }
                        let dispatch = byType[event.dispatch]
                        try feed(
                            dispatch, seq: event.seq, envelope: (slice(event.type), slice(event.occurredAt), slice(event.recordedAt)),
                            payload: event.erased ? nil : slice(event.payload),
                            fields: UnsafeBufferPointer(rebasing: fields[event.fields..<(event.fields + dispatch.reader.paths.count)]))
                    }
                }
            }
            fed = batch.events.last?.seq ?? fed
        }
        // Events of no fed type after the last fed one were read too: the reader's last seq.
        guard let result = outcome.result else { return fed }
        return try result.get()
    }

    /// The reading thread's work: every event after `after` through `end`, gapless; those of a
    /// fed type are copied, with their payload fields, into batches.
    private static func read(
        _ readers: [(type: [UInt8], reader: JSONFieldReader, typeName: String)], path: String, after: UInt64, through end: UInt64,
        batch size: Int, into handOver: HandOver<ReadAheadBatch>
    ) throws -> UInt64 {
        let connection = try SQLiteConnection(path: path, create: false)
        try connection.execute("PRAGMA cache_size=-8192")
        let rows = try connection.prepareSQLite(
            "SELECT seq, type, occurred_at, recorded_at, payload FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq")
        rows.bind(1, after).bind(2, Int64(bitPattern: end))
        var batch = ReadAheadBatch()
        var fields: [JSONFieldReader.Field] = []
        var previous = after
        func append(_ bytes: UnsafeRawBufferPointer, to batch: inout ReadAheadBatch) -> Range<Int> {
            let start = batch.bytes.count
            batch.bytes.append(contentsOf: bytes)
            return start..<batch.bytes.count
        }
        while try rows.step() {
            let seq = rows.uint(0)
            guard seq == previous + 1 else { throw gap(after: previous, read: seq) }
            previous = seq
            let type = rows.bytes(1)
            guard let match = readers.firstIndex(where: { $0.type.withUnsafeBytes { $0.elementsEqual(type) } }) else { continue }
            let erased = rows.isNull(4)
            let payload = rows.bytes(4)
            try readFields(of: payload, erased: erased, seq: seq, with: readers[match].reader, typeName: readers[match].typeName, into: &fields)
            let first = batch.fields.count
            batch.fields.append(contentsOf: fields.prefix(readers[match].reader.paths.count))
            let typeRange = append(type, to: &batch)
            let occurredAt = append(rows.bytes(2), to: &batch)
            let recordedAt = append(rows.bytes(3), to: &batch)
            let payloadRange = append(payload, to: &batch)
            batch.events.append(
                .init(
                    seq: seq, dispatch: match, erased: erased, type: typeRange, occurredAt: occurredAt, recordedAt: recordedAt,
                    payload: payloadRange, fields: first))
            if batch.events.count >= size {
                guard handOver.put(batch) else { return previous }
                batch = ReadAheadBatch()
                batch.bytes.reserveCapacity(size * 1024)
            }
        }
        if !batch.events.isEmpty, !handOver.put(batch) { return previous }
        return previous
    }
}
