import Foundation

/// A large write in parts, on two cores (SQLite): SQLite first writes every commit to its
/// write-ahead log, and copies the log into the database file (a "backfill", which SQLite calls a
/// checkpoint, not to be confused with the log's signed checkpoints) on the committing thread once
/// the log passes 1 000 pages. After a rebuild commits 1.2 GB of tables at 10 M events, that copy
/// held one core for seconds while the other sat idle, and the report indexes were built after it
/// on one core again. Here what each part committed is copied on another thread, with its own
/// connection, while this thread writes the next part (SQLite lets one connection backfill while
/// another writes); what the last part committed is copied at the end.
extension Ledger {
    /// Runs `body` with this connection's automatic backfill off. `body` calls the closure it is
    /// given after each commit whose pages should be copied into the file on another thread; the
    /// copies run one at a time, and a call while one runs asks for one more after it. Before
    /// returning, this waits for that thread and backfills the rest itself. A backfill that cannot
    /// run (another process is copying, or a reader still needs older pages) leaves the commits in
    /// the log, where readers find them and a later backfill copies them: it is never an error.
    /// On PostgreSQL this just runs `body`.
    public func backfillingBeside<T>(_ body: (_ backfill: () -> Void) throws -> T) throws -> T {
        guard let connection = db as? SQLiteConnection else { return try body {} }
        try connection.execute("PRAGMA wal_autocheckpoint=0")
        let copier = Backfiller(path: connection.path)
        defer {
            copier.finish()
            // SQLite's default again, and the rest copied now, as a commit would have.
            try? connection.execute("PRAGMA wal_autocheckpoint=1000")
            try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        }
        return try body { copier.request() }
    }
}

/// The thread that backfills on request, with a connection of its own (opened at the first).
private final class Backfiller: @unchecked Sendable {
    private let path: String
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var requested = false
    private var finishing = false
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)

    init(path: String) { self.path = path }

    func request() {
        condition.withLock {
            requested = true
            if thread == nil {
                let thread = Thread { [self] in run() }
                thread.stackSize = 1 << 20
                self.thread = thread
                thread.start()
            }
            condition.signal()
        }
    }

    /// Waits for the copy under way (and one asked for after it) to end.
    func finish() {
        let running = condition.withLock {
            finishing = true
            condition.signal()
            return thread != nil
        }
        if running { stopped.wait() }
    }

    private func run() {
        copyOnRequest()
        stopped.signal()  // the connection is closed by now
    }

    private func copyOnRequest() {
        let connection = try? SQLiteConnection(path: path, create: false)
        while true {
            let copy = condition.withLock {
                while !requested && !finishing { condition.wait() }
                defer { requested = false }
                return requested
            }
            guard copy else { return }
            try? connection?.execute("PRAGMA wal_checkpoint(PASSIVE)")
        }
    }
}
