import Dispatch
import Foundation
import Governance
import LedgerLog
import Projections

/// The one writer of the service. Requests that arrive while a transaction is committing wait
/// together and then share the next one (group commit): each runs in its own savepoint, judged
/// against what its predecessors in the group recorded, and every one is answered only after
/// the commit that made it durable returned. One fsync serves many clients.
final class GroupCommitter: @unchecked Sendable {  // `governed` is used on `queue` only; the rest under `lock`
    typealias Outcome = Result<any Sendable, any Error>

    private struct Job {
        let work: (GroupSession) -> Outcome
        let done: @Sendable (Outcome) -> Void
    }

    private let queue = DispatchQueue(label: "genledger.commit")
    private let governed: GovernedLedger
    private let projections: Projections
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    /// false: one transaction per request (the baseline a benchmark compares with).
    let grouping: Bool
    let maxGroup: Int
    private let metrics: ServiceMetrics
    private let watch: LogWatch

    init(path: String, grouping: Bool, maxGroup: Int = 256, metrics: ServiceMetrics, watch: LogWatch) throws {
        let ledger = try Ledger(opening: path)
        // The state is loaded as requests need it and kept (the global documents now, before the
        // server listens; a deliverable the first time a request names it), so the service starts
        // in the same time at any ledger size; each group then follows only what is new.
        governed = GovernedLedger(ledger, loading: .cached)
        try governed.refresh()
        projections = Projections(ledger)
        self.grouping = grouping
        self.maxGroup = maxGroup
        self.metrics = metrics
        self.watch = watch
    }

    /// Runs `work` in the next group; returns once its transaction committed (or failed).
    func submit<T: Sendable>(_ work: @escaping (GroupSession) -> Result<T, any Error>) async throws -> T {
        let outcome: Outcome = await withCheckedContinuation { continuation in
            enqueue(
                Job(work: { session in work(session).map { $0 as any Sendable } }, done: { continuation.resume(returning: $0) }))
        }
        return try outcome.get() as! T
    }

    /// Runs `body` on the writer's connection between groups (projection catch-up, say).
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (GovernedLedger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.governed) }) }
        }
    }

    /// Events folded per turn on the writer's queue: a few tens of milliseconds, so writes
    /// waiting behind a catch-up are not held up longer.
    static let catchUpSlice: UInt64 = 5000
    /// Events folded per turn when the writer merely looks idle: smaller, because a write that
    /// arrives meanwhile waits for the whole slice.
    static let idleCatchUpSlice: UInt64 = 1000

    /// Brings the read models up to the log, a slice at a time between groups of writes.
    func catchUpProjections() async throws {
        while try await exclusive({ _ in try self.catchUpSlice() }) == Self.catchUpSlice {}
    }

    /// One slice of catch-up, on `queue`; returns how many events it folded.
    private func catchUpSlice(atMost limit: UInt64 = catchUpSlice) throws -> UInt64 {
        let folded = try projections.catchUp(atMost: limit)
        metrics.projectionPosition(try projections.position())
        return folded
    }

    private func enqueue(_ job: Job) {
        lock.lock()
        pending.append(job)
        let start = !draining
        draining = true
        lock.unlock()
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            lock.lock()
            let jobs = Array(pending.prefix(grouping ? maxGroup : 1))
            pending.removeFirst(jobs.count)
            if jobs.isEmpty { draining = false }
            lock.unlock()
            if jobs.isEmpty {
                scheduleCatchUp()
                return
            }
            commit(jobs)
        }
    }

    private var catchUpScheduled = false  // touched on `queue` only

    /// No write is waiting or being committed.
    private var isIdle: Bool {
        lock.lock()
        defer { lock.unlock() }
        return pending.isEmpty && !draining
    }

    /// Keeps the read models close behind the log, off the write path: a quarter second after
    /// the writer goes idle (reports catch up on demand anyway).
    private func scheduleCatchUp() {
        guard !catchUpScheduled else { return }
        catchUpScheduled = true
        queue.asyncAfter(deadline: .now() + .milliseconds(250)) {
            self.catchUpScheduled = false
            // Writes came meanwhile: they go first, and the catch-up waits for the next pause.
            guard self.isIdle else { return self.scheduleCatchUp() }
            // More behind: the next slice after another pause, so writes go first.
            if (try? self.catchUpSlice(atMost: Self.idleCatchUpSlice)) == Self.idleCatchUpSlice { self.scheduleCatchUp() }
        }
    }

    private func commit(_ jobs: [Job]) {
        let started = ContinuousClock.now
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(jobs.count)
        do {
            try governed.withGroupSession { session in
                for job in jobs { outcomes.append(job.work(session)) }
            }
        } catch {
            // The commit itself failed: nothing of the group is durable, so no request succeeded.
            outcomes = jobs.map { _ in .failure(error) }
        }
        // The tip the group committed at, when it knows it (no read transaction for it).
        let size = governed.ledger.sizeAtLastCommit ?? (try? governed.ledger.size()) ?? governed.state.position
        metrics.committed(requests: jobs.count, seconds: started.duration(to: .now).seconds, ledgerSize: size)
        watch.advanced(to: size)
        for (job, outcome) in zip(jobs, outcomes) { job.done(outcome) }
    }
}
