import CPostgreSQL
import CPostgreSQLLoader
import Foundation

/// A value sent to or read from PostgreSQL. Bytes travel in binary (bytea); the rest as text,
/// typed by the server from the statement.
public enum PostgresValue: Sendable, Equatable {
    case integer(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
    case bool(Bool)
    case null

    public var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    public var text: String? { if case .text(let value) = self { value } else { nil } }
    public var bytes: [UInt8]? { if case .bytes(let value) = self { value } else { nil } }
    public var double: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

/// One connection to a PostgreSQL server through libpq. Owns its handle and finishes it in
/// deinit. Statements are prepared once per connection (named by their SQL) and results come
/// back in binary, decoded by column type.
final class PostgresConnection {
    let handle: OpaquePointer
    /// The URL without its password, for messages.
    let displayURL: String
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// Counts transactions begun and ended, so a cursor knows whether the one it lived in is over.
    var transactionGeneration = 0
    var cursorCount = 0
    /// A savepoint released but not yet told to the server (`release(_:)`).
    private var releasePending: String?

    init(url: String) throws {
        displayURL = Self.redacted(url)
        if let reason = genledger_libpq_load() {
            throw LedgerError(.unavailable, "cannot open the PostgreSQL ledger at \(displayURL): \(String(cString: reason))")
        }
        guard let connection = PQconnectdb(url) else {
            throw LedgerError(.storage, "cannot connect to \(displayURL): out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.message(connection)
            PQfinish(connection)
            throw LedgerError(.unavailable, "cannot connect to PostgreSQL at \(displayURL): \(message)")
        }
        handle = connection
        try execute(Self.sessionSettings)
    }

    deinit { PQfinish(handle) }

    /// Set on every connection. `plan_cache_mode`: a prepared statement is planned for the table
    /// as it is at each run, not once for the connection's life: a plan made when the log was
    /// small (a scan of the whole table, say) would otherwise stay while it grows by millions
    /// (measured: a stream's latest version took 9 ms at 20 000 events on a plan made at 10).
    static let sessionSettings = "SET client_min_messages = warning; SET plan_cache_mode = force_custom_plan"

    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Reconnects a connection the server dropped (a restart, a failover).
    func reset() -> Bool {
        PQreset(handle)
        prepared.removeAll()
        releasePending = nil
        discardQueued()
        return isHealthy
    }

    static func message(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: [" ", "\n"])
    }

    static func redacted(_ url: String) -> String {
        guard let at = url.range(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at.lowerBound else { return url }
        let userInfo = url[scheme.upperBound..<at.lowerBound]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at.lowerBound...])
    }

    /// Runs statements that return nothing (DDL, transaction control); several may be given at
    /// once. Written for both stores: rewritten as `PostgresDialect` says.
    func execute(_ sql: String) throws {
        // `CREATE … IF NOT EXISTS` still asks for the privilege to create: a writer role that
        // may not create tables (docs/DEPLOY.md) skips what the owner already made.
        if let match = sql.firstMatch(of: Self.createIfMissing), !sql[match.range.upperBound...].contains(";") {
            let name = String(match.1)
            // Asked once per connection (a catch-up asks for every projection table each time).
            if existing.contains(name) { return }
            if try query("SELECT to_regclass($1) IS NOT NULL", [.text(name)]).value(0, 0) == .bool(true) {
                existing.insert(name)
                return
            }
        }
        if sql.range(of: "DROP ", options: .caseInsensitive) != nil { existing.removeAll() }
        try executeNative(PostgresDialect.translated(sql))
    }

    /// Tables and indexes this connection found already there; forgotten at a DROP and a rollback.
    var existing: Set<String> = []

    private nonisolated(unsafe) static let createIfMissing = try! Regex(
        #"^\s*CREATE\s+(?:TEMP\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+([\w.]+)"#, as: (Substring, Substring).self
    ).ignoresCase()

    /// Runs statements written in PostgreSQL's own SQL, as they are. Writes still queued go first:
    /// with a single statement in the same round trip, with several in one of their own.
    func executeNative(_ sql: String) throws {
        if !queued.isEmpty {
            guard sql.contains(";") else {
                _ = try send(sql, []) { pointers, lengths, formats in
                    PQsendQueryParams(handle, sql, 0, nil, pointers, lengths, formats, 1)
                }
                return
            }
            try flushQueued()
        }
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql)
    }

    /// Runs `sql` (placeholders $1, $2…) with `values`, prepared once per connection.
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue] = []) throws -> PostgresRows {
        let name = try preparedName(sql)
        return try send(sql, values) { pointers, lengths, formats in
            PQsendQueryPrepared(handle, name, Int32(values.count), pointers, lengths, formats, 1)
        }
    }

    /// Runs `sql` once, unprepared (a cursor's DECLARE, a FETCH), with binary results.
    @discardableResult
    func queryOnce(_ sql: String, _ values: [PostgresValue] = []) throws -> PostgresRows {
        try send(sql, values) { pointers, lengths, formats in
            PQsendQueryParams(handle, sql, Int32(values.count), nil, pointers, lengths, formats, 1)
        }
    }

    /// The name `sql` is prepared under on this connection, preparing it the first time.
    private func preparedName(_ sql: String) throws -> String {
        if let known = prepared[sql] { return known }
        let name = "g\(preparedCount)"
        preparedCount += 1
        let result = PQprepare(handle, name, sql, 0, nil)
        defer { PQclear(result) }
        try check(result, sql)
        prepared[sql] = name
        return name
    }

    // MARK: Writes sent with the next statement

    /// Writes whose outcome nothing reads before the next statement (an event's row, a tree
    /// node): sent with that statement in one round trip (libpq's pipeline mode), in order, so
    /// everything after them sees them. At most `maxQueued` wait; a failure among them is
    /// thrown by the statement that sends them (the transaction is then aborted, and COMMIT
    /// refuses it).
    private var queued: [(sql: String, name: String?, values: [PostgresValue], explain: ((LedgerError) -> LedgerError)?)] = []
    private var queuedBytes = 0
    static let maxQueued = 64
    static let maxQueuedBytes = 1 << 20

    /// Queues a prepared write inside a transaction; outside one it runs now.
    /// `prepared: false` sends it unprepared (a cursor's DECLARE or CLOSE, used once).
    func runLater(
        _ sql: String, _ values: [PostgresValue], prepared: Bool = true, explain: ((LedgerError) -> LedgerError)? = nil
    ) throws {
        guard isInTransaction else {
            do {
                if prepared { try query(sql, values) } else { try queryOnce(sql, values) }
            } catch let error as LedgerError { throw explain?(error) ?? error }
            return
        }
        queued.append((sql, prepared ? try preparedName(sql) : nil, values, explain))
        queuedBytes += values.reduce(0) { total, value in
            if case .bytes(let bytes) = value { return total + bytes.count }
            if case .text(let text) = value { return total + text.utf8.count }
            return total + 8
        }
        if queued.count >= Self.maxQueued || queuedBytes >= Self.maxQueuedBytes { try flushQueued() }
    }

    /// Sends what is queued, alone.
    func flushQueued() throws {
        guard !queued.isEmpty else { return }
        _ = try pipeline(last: nil) { 1 }
    }

    /// Forgets what is queued (the transaction or savepoint it belongs to is being undone).
    func discardQueued() {
        queued.removeAll()
        queuedBytes = 0
    }

    /// One statement, after whatever is queued, in one round trip; returns its result.
    private func send(
        _ sql: String, _ values: [PostgresValue], _ run: ([UnsafePointer<CChar>?], [Int32], [Int32]) -> Int32
    ) throws -> PostgresRows {
        try withParameters(values) { pointers, lengths, formats in
            try pipeline(last: sql) { run(pointers, lengths, formats) }
        }.map(PostgresRows.init) ?? .empty
    }

    /// Sends the queued writes and then `last`, synchronizes once, and reads every result in
    /// order. The first failure is thrown; the statements after it were skipped by the server.
    private func pipeline(last: String?, _ sendLast: () -> Int32) throws -> OpaquePointer? {
        let writes = queued
        discardQueued()
        guard PQenterPipelineMode(handle) == 1 else {
            throw LedgerError(.unavailable, "PostgreSQL at \(displayURL): \(Self.message(handle))")
        }
        defer { PQexitPipelineMode(handle) }
        var statements: [(sql: String, explain: ((LedgerError) -> LedgerError)?)] = []
        for write in writes {
            let sent = withParameters(write.values) { pointers, lengths, formats in
                if let name = write.name {
                    PQsendQueryPrepared(handle, name, Int32(write.values.count), pointers, lengths, formats, 1)
                } else {
                    PQsendQueryParams(handle, write.sql, Int32(write.values.count), nil, pointers, lengths, formats, 1)
                }
            }
            guard sent == 1 else { throw LedgerError(.unavailable, "PostgreSQL at \(displayURL) went away: \(Self.message(handle))") }
            statements.append((write.sql, write.explain))
        }
        if let last {
            guard sendLast() == 1 else { throw LedgerError(.unavailable, "PostgreSQL at \(displayURL) went away: \(Self.message(handle))") }
            statements.append((last, nil))
        }
        guard PQpipelineSync(handle) == 1 else {
            throw LedgerError(.unavailable, "PostgreSQL at \(displayURL) went away: \(Self.message(handle))")
        }
        var failure: (any Error)?
        var lastResult: OpaquePointer?
        for (index, (sql, explain)) in statements.enumerated() {
            // Each statement's results, then a null.
            while let result = PQgetResult(handle) {
                if PQresultStatus(result) == PGRES_PIPELINE_ABORTED || failure != nil {
                    PQclear(result)
                    continue
                }
                do { try check(result, sql) } catch let error as LedgerError {
                    failure = explain?(error) ?? error
                    PQclear(result)
                    continue
                } catch {
                    failure = error
                    PQclear(result)
                    continue
                }
                if last != nil, index == statements.count - 1 {
                    if let earlier = lastResult { PQclear(earlier) }
                    lastResult = result
                } else {
                    PQclear(result)
                }
            }
            guard PQstatus(handle) == CONNECTION_OK else { break }
        }
        // The synchronization point's own result.
        if PQstatus(handle) == CONNECTION_OK, let sync = PQgetResult(handle) { PQclear(sync) }
        if PQstatus(handle) != CONNECTION_OK, failure == nil {
            failure = LedgerError(.unavailable, "PostgreSQL at \(displayURL) went away: \(Self.message(handle))")
        }
        if let failure {
            if let lastResult { PQclear(lastResult) }
            throw failure
        }
        return lastResult
    }

    private func withParameters<R>(
        _ values: [PostgresValue], _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) throws -> R
    ) rethrows -> R {
        var texts: [[CChar]?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for value in values {
            switch value {
            case .integer(let number): texts.append(Array(String(number).utf8CString)); formats.append(0)
            case .double(let number): texts.append(Array("\(number)".utf8CString)); formats.append(0)
            case .text(let string): texts.append(Array(string.utf8CString)); formats.append(0)
            case .bool(let flag): texts.append(Array((flag ? "t" : "f").utf8CString)); formats.append(0)
            case .bytes(let bytes): texts.append(bytes.map { CChar(bitPattern: $0) }); formats.append(1)
            case .null: texts.append(nil); formats.append(0)
            }
            lengths.append(Int32(texts.last!?.count ?? 0))
        }
        return try withPointers(texts) { pointers in try body(pointers, lengths, formats) }
    }

    private func withPointers<R>(_ buffers: [[CChar]?], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        var pointers: [UnsafePointer<CChar>?] = []
        func recurse(_ index: Int) throws -> R {
            if index == buffers.count { return try body(pointers) }
            guard let buffer = buffers[index] else {
                pointers.append(nil)
                return try recurse(index + 1)
            }
            return try buffer.withUnsafeBufferPointer { raw in
                pointers.append(raw.baseAddress ?? UnsafePointer(bitPattern: 1))
                return try recurse(index + 1)
            }
        }
        return try recurse(0)
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws {
        guard let result else { throw LedgerError(.unavailable, "PostgreSQL at \(displayURL): \(Self.message(handle))") }
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK else { return }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = PQresultErrorMessage(result).map { String(cString: $0) }?.trimmingCharacters(in: [" ", "\n"]) ?? ""
        if PQstatus(handle) != CONNECTION_OK || state.hasPrefix("08") || state.hasPrefix("57P") {
            throw LedgerError(.unavailable, "PostgreSQL at \(displayURL) went away: \(message.isEmpty ? Self.message(handle) : message)")
        }
        switch state {
        case "23502":
            // Named as SQLite names it, table.column, so a message reads the same in both stores.
            let field = { (code: UInt8) in PQresultErrorField(result, Int32(code)).map { String(cString: $0) } ?? "?" }
            throw LedgerError(.storage, "NOT NULL constraint failed: \(field(UInt8(ascii: "t"))).\(field(UInt8(ascii: "c")))")
        case "23505": throw LedgerError(.conflict, "PostgreSQL: \(message)")
        case "40001", "40P01": throw LedgerError(.conflict, "PostgreSQL: \(message) (retry)")
        default: throw LedgerError(.storage, "PostgreSQL (\(state)): \(message) in: \(sql.prefix(120))")
        }
    }
}

/// A result's rows, decoded from PostgreSQL's binary format by column type.
final class PostgresRows {
    let result: OpaquePointer
    let count: Int
    let columns: Int

    init(_ result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
        columns = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    /// A result with no rows (a cursor before its first fetch).
    static var empty: PostgresRows { PostgresRows(PQmakeEmptyPGresult(nil, PGRES_TUPLES_OK)) }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let value = PQgetvalue(result, Int32(row), Int32(column)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: value, count: length)
    }

    func value(_ row: Int, _ column: Int) -> PostgresValue {
        guard !isNull(row, column) else { return .null }
        let bytes = raw(row, column)
        func bigEndian(_ count: Int) -> Int64 {
            var value: UInt64 = 0
            for byte in bytes.prefix(count) { value = value << 8 | UInt64(byte) }
            // Sign-extend from the field's width.
            let shift = UInt64(64 - 8 * count)
            return Int64(bitPattern: value << shift) >> Int64(shift)
        }
        switch PQftype(result, Int32(column)) {
        case 20, 23, 21: return .integer(bigEndian(bytes.count))
        case 701: return .double(Double(bitPattern: UInt64(bitPattern: bigEndian(8))))
        case 700: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bigEndian(4)))))
        case 16: return .bool(bytes.first == 1)
        case 17: return .bytes(Array(bytes))
        case 1700: return Self.numeric(bytes)
        default: return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// NUMERIC in binary: ndigits, weight, sign, dscale, then base-10000 digits. SUM over
    /// BIGINT comes back as NUMERIC; whole values become integers.
    static func numeric(_ bytes: UnsafeRawBufferPointer) -> PostgresValue {
        func word(_ index: Int) -> Int { Int(bytes[index]) << 8 | Int(bytes[index + 1]) }
        guard bytes.count >= 8 else { return .null }
        let digits = word(0), weight = Int(Int16(bitPattern: UInt16(word(2)))), sign = word(4), scale = word(6)
        if sign == 0xC000 { return .double(.nan) }
        var integer: Int64 = 0
        var fraction = 0.0
        for index in 0..<digits {
            let digit = Int64(word(8 + 2 * index))
            let power = weight - index
            if power >= 0 {
                var scaled = digit
                for _ in 0..<power { scaled *= 10_000 }
                integer += scaled
            } else {
                fraction += Double(digit) * pow10000(power)
            }
        }
        let negative = sign == 0x4000
        if scale == 0 || fraction == 0 { return .integer(negative ? -integer : integer) }
        let value = Double(integer) + fraction
        return .double(negative ? -value : value)
    }

    private static func pow10000(_ power: Int) -> Double {
        var value = 1.0
        for _ in 0..<(-power) { value /= 10_000 }
        return value
    }
}

extension PostgresConnection: StoreConnection {
    var kind: StoreKind { .postgres }

    func prepare(_ sql: String, scan: Bool) throws -> any StoreStatement {
        PostgresStatement(connection: self, sql: sql, scan: scan)
    }

    var isInTransaction: Bool { PQtransactionStatus(handle) != PQTRANS_IDLE }

    /// The ledger's write lock: a transaction-scoped advisory lock on one key, taken before the
    /// transaction reads anything, so every writer on every host sees the tip and seqs stay
    /// gapless. It is released by COMMIT or ROLLBACK, and by the server when a writer dies.
    func beginWrite() throws {
        // One round trip for both.
        do { try begin("BEGIN; SELECT pg_advisory_xact_lock(\(PostgresStore.writeLockKey))") } catch {
            rollback()
            throw error
        }
        transactionGeneration += 1
    }

    /// One snapshot for the whole transaction (REPEATABLE READ), as SQLite's read transaction gives.
    func beginRead() throws {
        try begin("BEGIN ISOLATION LEVEL REPEATABLE READ")
        transactionGeneration += 1
    }

    /// Begins a transaction on a live connection. A connection the server dropped (a restart, a
    /// failover) is found out by its first statement: nothing has run yet, so it is opened again
    /// and the BEGIN sent once more.
    private func begin(_ statement: String) throws {
        try reconnectIfNeeded()
        do {
            try execute(statement)
        } catch let error as LedgerError where error.code == .unavailable {
            guard reset() else { throw error }
            try execute(Self.sessionSettings)
            try execute(statement)
        }
    }

    /// Sends the queued writes and COMMIT together. A transaction the server had aborted (a
    /// queued write failed) answers COMMIT with ROLLBACK: that is an error here, never a success.
    func commit() throws {
        transactionGeneration += 1
        releasePending = nil  // COMMIT releases every savepoint
        let result = try send("COMMIT", []) { pointers, lengths, formats in
            PQsendQueryParams(handle, "COMMIT", 0, nil, pointers, lengths, formats, 1)
        }
        let tag = PQcmdStatus(result.result).map { String(cString: $0) } ?? ""
        guard tag == "COMMIT" else {
            throw LedgerError(.storage, "PostgreSQL at \(displayURL) rolled the transaction back (\(tag)): nothing of it was recorded")
        }
    }

    func rollback() {
        transactionGeneration += 1
        releasePending = nil
        discardQueued()
        existing.removeAll()
        guard isHealthy, isInTransaction else { return }
        try? execute("ROLLBACK")
    }

    /// A savepoint, sent together with the release of the one before it (a round trip saved per
    /// request of a group: the releases ride along with the next savepoint, or COMMIT makes them).
    func savepoint(_ name: String) throws {
        if let earlier = releasePending { queued.append(("RELEASE \(earlier)", nil, [], nil)) }
        releasePending = nil
        try executeNative("SAVEPOINT \(name)")
    }

    /// Deferred: a released savepoint and one still open differ only to a later ROLLBACK TO it,
    /// and none comes (the next savepoint, ROLLBACK TO or COMMIT sends or makes the release first).
    func release(_ name: String) throws {
        if let earlier = releasePending { try executeNative("RELEASE \(earlier)") }
        releasePending = name
    }

    /// Writes still queued were made after the savepoint (`savepoint` sent what came before):
    /// they are dropped with it.
    func rollbackAndRelease(_ name: String) throws {
        discardQueued()
        let release = releasePending.map { "RELEASE \($0); " } ?? ""
        releasePending = nil
        try executeNative(release + "ROLLBACK TO \(name); RELEASE \(name)")
    }

    /// A connection the server dropped is opened again before the next transaction; while the
    /// server stays away, the error says so (`LedgerError.Code.unavailable`).
    func reconnectIfNeeded() throws {
        guard !isHealthy else { return }
        guard reset() else {
            throw LedgerError(.unavailable, "PostgreSQL at \(displayURL) is unreachable: \(Self.message(handle))")
        }
        try execute(Self.sessionSettings)
    }
}
