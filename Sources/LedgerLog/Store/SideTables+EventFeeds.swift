import Foundation

extension SideTables {
    /// A statement run once for every event of some types, straight from the log. The event is
    /// bound to the named parameters the statement uses:
    ///
    /// - `:seq`, `:type`, `:occurred_at`, `:recorded_at`, and `:payload` (the payload's canonical
    ///   JSON as text; NULL when erased);
    /// - fields of the payload, named by their dotted path with `__` for each dot
    ///   (`:field_request__deliverable` for `request.deliverable`; write them with `SQLDialect`'s
    ///   `payloadField`, `payloadJSON` and `payloadHas`):
    ///   - `:field_<path>`: the member's value as SQL: a string's text (escapes decoded), a number,
    ///     1 or 0 for true or false, an object or array as its JSON text; NULL when absent or null;
    ///   - `:json_<path>`: the member's JSON text as written; NULL when absent;
    ///   - `:has_<path>`: 1 when the payload has the member (null included), else 0.
    ///
    /// Every field an event's feeds name is read in one pass over its payload (`JSONFieldReader`),
    /// however many statements and columns use it: nothing is decoded, and strings without
    /// escapes are bound in place. On PostgreSQL every field is bound as text, as its JSON
    /// operators (`#>>`) give them.
    public final class EventFeed {
        enum Reading: Sendable { case field, json, has }

        let types: [String]
        let requiring: [UInt8]
        let statement: any StoreStatement
        let parameters: [(index: Int32, column: Int32)]
        let payloadParameters: [(index: Int32, path: String, reading: Reading)]
        /// The payload member whose value decides whether the statement adds a row at all (see
        /// `feed(types:requiring:once:_:)`), and the values it has run for in this run.
        let once: String?
        /// The values it ran for: the first few compared in place (a fold meets a handful, and
        /// hashing a long value for every event cost as much as the statement saved), then a set.
        var ran: [[UInt8]] = []
        var ranMore: Set<[UInt8]> = []
        /// How many values it remembers: past that, the statement runs for new values every time.
        static let rememberedValues = 4096

        func hasRun(for value: UnsafeRawBufferPointer) -> Bool {
            for known in ran where known.count == value.count {
                if value.isEmpty || known.withUnsafeBytes({ memcmp($0.baseAddress!, value.baseAddress!, value.count) == 0 }) { return true }
            }
            return !ranMore.isEmpty && ranMore.contains(Array(value))
        }

        func remember(_ value: UnsafeRawBufferPointer) {
            if ran.count < 16 { ran.append(Array(value)) } else if ranMore.count < Self.rememberedValues { ranMore.insert(Array(value)) }
        }

        init(types: [String], requiring: String?, once: String? = nil, statement: any StoreStatement, sql: String) throws {
            (self.types, self.statement, self.once) = (types, statement, once)
            self.requiring = Array((requiring ?? "").utf8)
            let named: [(String, Int32)] = [(":seq", 0), (":type", 1), (":occurred_at", 2), (":recorded_at", 3), (":payload", 4)]
            parameters = named.compactMap { name, column in
                let index = statement.parameterIndex(name)
                return index == 0 ? nil : (index, column)
            }
            payloadParameters = Self.payloadParameterNames(in: sql).compactMap { name, path, reading in
                let index = statement.parameterIndex(name)
                return index == 0 ? nil : (index, path, reading)
            }
            if let once, !payloadParameters.contains(where: { $0.path == once }) {
                throw LedgerError(.storage, "'\(sql.prefix(60))' does not use the payload member '\(once)' it runs once for")
            }
            guard parameters.count + payloadParameters.count == Int(statement.parameterCount) else {
                throw LedgerError(
                    .storage,
                    "'\(sql.prefix(60))' may only use the parameters :seq, :type, :occurred_at, :recorded_at, :payload and payload fields")
            }
        }

        static let prefixes: [(prefix: [UInt8], reading: Reading)] = [
            (Array(":field_".utf8), .field), (Array(":json_".utf8), .json), (Array(":has_".utf8), .has),
        ]

        /// The payload-field parameters the SQL names, each once: (name, dotted path, reading).
        static func payloadParameterNames(in sql: String) -> [(String, String, Reading)] {
            let text = Array(sql.utf8)
            func isWord(_ c: UInt8) -> Bool {
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            }
            var found: [(String, String, Reading)] = []
            var i = 0
            while i < text.count {
                guard text[i] == UInt8(ascii: ":"), i == 0 || !isWord(text[i - 1]) && text[i - 1] != UInt8(ascii: ":"),
                    let (prefix, reading) = prefixes.first(where: { text[i...].starts(with: $0.prefix) })
                else {
                    i += 1
                    continue
                }
                var j = i + prefix.count
                while j < text.count, isWord(text[j]) { j += 1 }
                let name = String(decoding: text[i..<j], as: UTF8.self)
                // `__` stands for a dot.
                var path: [UInt8] = []
                var k = i + prefix.count
                while k < j {
                    if text[k] == 0x5F, k + 1 < j, text[k + 1] == 0x5F {
                        path.append(UInt8(ascii: "."))
                        k += 2
                    } else {
                        path.append(text[k])
                        k += 1
                    }
                }
                if !found.contains(where: { $0.0 == name }) { found.append((name, String(decoding: path, as: UTF8.self), reading)) }
                i = j
            }
            return found
        }
    }

    /// Prepares a statement to run for each event whose type is one of `types` and, when
    /// `requiring` is given, whose payload bytes contain it: a cheap test that spares running a
    /// statement that would find nothing to add (the statement itself still decides).
    ///
    /// `once` names a payload member (a path the statement reads) for a statement that keeps the
    /// first row for each value of it (an insert that ignores a duplicate of a unique column):
    /// within one run, an event whose member repeats a value the statement already ran for is
    /// skipped, as running it would change nothing. An event without the member still runs it.
    public func feed(types: [String], requiring: String? = nil, once: String? = nil, _ sql: String) throws -> EventFeed {
        try EventFeed(types: types, requiring: requiring, once: once, statement: try ledger.db.prepare(sql), sql: sql)
    }

    /// The feeds of one event type, and the payload fields they read between them. A class, so
    /// that dispatching an event retains one object, not its arrays.
    final class Dispatch {
        let type: [UInt8]
        let typeName: String
        var feeds: [EventFeed]
        var reader = JSONFieldReader(paths: [])
        /// Per feed, its payload parameters' fields in `reader`.
        var fieldsOfFeed: [[(index: Int32, field: Int, reading: EventFeed.Reading)]] = []
        /// Per feed, the field in `reader` of the member it runs once for (`EventFeed.once`).
        var onceFieldOfFeed: [Int?] = []

        init(type: [UInt8], feeds: [EventFeed]) {
            (self.type, self.feeds) = (type, feeds)
            typeName = String(decoding: type, as: UTF8.self)
        }

        func compile() {
            var paths: [String] = []
            for feed in feeds {
                for parameter in feed.payloadParameters where !paths.contains(parameter.path) { paths.append(parameter.path) }
            }
            reader = JSONFieldReader(paths: paths)
            fieldsOfFeed = feeds.map { feed in
                feed.payloadParameters.map { ($0.index, paths.firstIndex(of: $0.path)!, $0.reading) }
            }
            onceFieldOfFeed = feeds.map { feed in feed.once.flatMap { paths.firstIndex(of: $0) } }
        }
    }

    /// Runs the feeds over the events after seq `after` (through `last`, or to the end), in seq
    /// order, gapless: a missing seq is an error naming it. A failing statement stops everything
    /// with an error naming the event's seq and type. Returns the last seq fed (`after` when none).
    ///
    /// On SQLite, a long run reads ahead on a second core (`SideTables+ReadAhead.swift`): another
    /// connection reads the events and their payload fields while this one inserts.
    public func run(_ feeds: [EventFeed], after: UInt64, through last: UInt64? = nil) throws -> UInt64 {
        // Events are dispatched on their type's bytes, compared in place.
        var byType: [Dispatch] = []
        for feed in feeds {
            for type in feed.types {
                if let i = byType.firstIndex(where: { $0.type == Array(type.utf8) }) {
                    byType[i].feeds.append(feed)
                } else {
                    byType.append(Dispatch(type: Array(type.utf8), feeds: [feed]))
                }
            }
        }
        for dispatch in byType { dispatch.compile() }
        for feed in feeds {
            feed.ran.removeAll()
            feed.ranMore.removeAll()
        }
        // The feeds borrow the current event's bytes: unbind them before those go away.
        defer { for feed in feeds { feed.statement.clearBindings() } }
        var previous = after
        if let connection = ledger.db as? SQLiteConnection {
            // Only what this connection sees: never an event its transaction cannot.
            let end = min(last ?? .max, UInt64(max(0, try connection.scalarInt("SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0)))
            if end > after, end - after >= ledger.readAheadMinimum {
                previous = try readAhead(byType, path: connection.path, after: after, through: end)
            }
        }
        // The rest (all of it when short): events read and fed here, one at a time.
        let rows = try ledger.db.prepare(
            "SELECT seq, type, occurred_at, recorded_at, payload FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq", scan: true)
        rows.bind(1, previous).bind(2, last.map { Int64(bitPattern: $0) } ?? Int64.max)
        var fields: [JSONFieldReader.Field] = []
        while try rows.step() {
            let seq = rows.uint(0)
            guard seq == previous + 1 else { throw Self.gap(after: previous, read: seq) }
            previous = seq
            let type = rows.bytes(1)
            guard let match = byType.firstIndex(where: { $0.type.withUnsafeBytes { $0.elementsEqual(type) } }) else { continue }
            let dispatch = byType[match]
            let erased = rows.isNull(4)
            let payload = rows.bytes(4)
            try Self.readFields(of: payload, erased: erased, seq: seq, with: dispatch.reader, typeName: dispatch.typeName, into: &fields)
            try fields.withUnsafeBufferPointer { fields in
                try feed(
                    dispatch, seq: seq, envelope: (type, rows.bytes(2), rows.bytes(3)), payload: erased ? nil : payload, fields: fields)
            }
        }
        try ledger.db.flushQueued()
        return previous
    }

    static func gap(after previous: UInt64, read seq: UInt64) -> LedgerError {
        LedgerError(.damaged, "expected seq \(previous + 1) next and read seq \(seq): the log has a gap", seq: previous + 1)
    }

    /// Reads the fields `reader` names from one payload (all absent when it is erased).
    static func readFields(
        of payload: UnsafeRawBufferPointer, erased: Bool, seq: UInt64, with reader: JSONFieldReader, typeName: String,
        into fields: inout [JSONFieldReader.Field]
    ) throws {
        guard !reader.paths.isEmpty else { return }
        do {
            if erased {
                fields = Array(repeating: JSONFieldReader.Field.absent, count: reader.paths.count)
            } else {
                try reader.read(payload, into: &fields)
            }
        } catch let failure as JSONParser.Failure {
            throw LedgerError(.damaged, "seq \(seq) (\(typeName)): the payload is not JSON: \(failure)", seq: seq)
        }
    }

    /// Runs one event's feeds: binds its envelope (type, occurred_at, recorded_at), its payload
    /// (nil when erased) and the fields read from it, and steps each statement.
    func feed(
        _ dispatch: Dispatch, seq: UInt64,
        envelope: (type: UnsafeRawBufferPointer, occurredAt: UnsafeRawBufferPointer, recordedAt: UnsafeRawBufferPointer),
        payload: UnsafeRawBufferPointer?, fields: UnsafeBufferPointer<JSONFieldReader.Field>
    ) throws {
        let textOnly = store == .postgres  // PostgreSQL: fields as text, rows queued
        let bytes = payload ?? UnsafeRawBufferPointer(start: nil, count: 0)
        for (position, feed) in dispatch.feeds.enumerated() {
            if !feed.requiring.isEmpty, !bytes.contains(bytes: feed.requiring) { continue }
            // A value this statement already ran for: it would keep the row it has.
            var onceValue: UnsafeRawBufferPointer?
            if let field = dispatch.onceFieldOfFeed[position], fields[field].kind != .absent, fields[field].kind != .null {
                let value = UnsafeRawBufferPointer(rebasing: bytes[fields[field].start..<fields[field].end])
                if feed.hasRun(for: value) { continue }
                onceValue = value
            }
            for (index, column) in feed.parameters {
                switch column {
                case 0: feed.statement.bind(index, seq)
                case 1: feed.statement.bindText(index, borrowing: envelope.type)
                case 2: feed.statement.bindText(index, borrowing: envelope.occurredAt)
                case 3: feed.statement.bindText(index, borrowing: envelope.recordedAt)
                default:
                    if payload == nil { feed.statement.bindNull(index) } else { feed.statement.bindText(index, borrowing: bytes) }
                }
            }
            for (index, field, reading) in dispatch.fieldsOfFeed[position] {
                Self.bind(fields[field], reading, of: bytes, at: index, to: feed.statement, textOnly: textOnly)
            }
            // A failure is named by its event. On PostgreSQL the row is sent with the next
            // statement (a round trip per row saved), and its error named when it comes back.
            let typeName = dispatch.typeName
            if textOnly {
                try feed.statement.runLater { Self.named($0, seq: seq, type: typeName) }
            } else {
                do { try feed.statement.runKeepingBindings() } catch let error as LedgerError { throw Self.named(error, seq: seq, type: typeName) }
            }
            if let onceValue { feed.remember(onceValue) }
        }
    }

    private static func named(_ error: LedgerError, seq: UInt64, type: String) -> LedgerError {
        var error = error
        error.message = "seq \(seq) (\(type)): \(error.message)"
        error.seq = seq
        return error
    }

    /// Binds one payload field the way `EventFeed` documents: SQLite gets typed values, text
    /// without escapes in place; PostgreSQL (`textOnly`) gets text throughout.
    private static func bind(
        _ field: JSONFieldReader.Field, _ reading: EventFeed.Reading, of payload: UnsafeRawBufferPointer, at index: Int32,
        to statement: any StoreStatement, textOnly: Bool
    ) {
        let bytes = UnsafeRawBufferPointer(rebasing: payload[field.start..<field.end])
        switch reading {
        case .has:
            statement.bind(index, Int64(field.kind == .absent ? 0 : 1))
        case .json:
            switch field.kind {
            case .absent: statement.bindNull(index)
            case .string, .escapedString:
                // With its quotes, as written.
                statement.bindText(index, borrowing: UnsafeRawBufferPointer(rebasing: payload[(field.start - 1)..<(field.end + 1)]))
            default: statement.bindText(index, borrowing: bytes)
            }
        case .field:
            switch field.kind {
            case .absent, .null: statement.bindNull(index)
            case .string: statement.bindText(index, borrowing: bytes)
            case .escapedString: statement.bind(index, String(decoding: JSONFieldReader.unescaped(payload, field), as: UTF8.self))
            case .true, .false:
                if textOnly {
                    statement.bind(index, field.kind == .true ? "true" : "false")
                } else {
                    statement.bind(index, Int64(field.kind == .true ? 1 : 0))
                }
            case .number:
                if textOnly {
                    statement.bindText(index, borrowing: bytes)
                } else if let integer = Self.integer(bytes) {
                    statement.bind(index, integer)
                } else {
                    statement.bind(index, Double(String(decoding: bytes, as: UTF8.self)) ?? .nan)
                }
            case .object, .array: statement.bindText(index, borrowing: bytes)
            }
        }
    }

    /// A JSON number written as an integer that fits 64 bits (as SQLite's JSON operators read it).
    private static func integer(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        let negative = bytes[0] == UInt8(ascii: "-")
        guard !negative || bytes.count > 1 else { return nil }
        // Accumulated negative, so that Int64.min fits.
        var value: Int64 = 0
        for c in bytes.dropFirst(negative ? 1 : 0) {
            guard c >= 0x30, c <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int64(c - 0x30))
            guard !o1, !o2 else { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}

extension UnsafeRawBufferPointer {
    /// Whether `needle` occurs in these bytes. Candidates are found with `memchr` on the
    /// needle's first byte that is not a quote: keyed on the quote, a byte-by-byte scan stopped
    /// at every string of a JSON payload, most of the fold's own time outside the field reader.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard let base = baseAddress, count >= needle.count else { return false }
        let key = needle.firstIndex { $0 != UInt8(ascii: "\"") } ?? 0
        let last = count - needle.count  // the last start a match can have
        var from = key
        while from <= last + key {
            guard let found = memchr(base + from, Int32(needle[key]), last + key + 1 - from) else { return false }
            let start = base.distance(to: UnsafeRawPointer(found)) - key
            if memcmp(base + start, needle, needle.count) == 0 { return true }
            from = start + key + 1
        }
        return false
    }
}
