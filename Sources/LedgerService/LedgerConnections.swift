import Dispatch
import Foundation
import Governance
import LedgerLog
import Projections

/// One ledger connection used from one serial queue: a SQLite connection is never shared
/// between threads, and a blocking query never blocks the server's event loops.
final class LedgerConnection: @unchecked Sendable {  // state touched only on `queue`
    private let queue: DispatchQueue
    private let ledger: Ledger

    init(path: String, label: String) throws {
        ledger = try Ledger(opening: path)
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.ledger) }) }
        }
    }
}

/// Read connections, taken in turn (WAL lets them read while the committer writes).
final class ReaderPool: Sendable {
    private let connections: [LedgerConnection]
    private let next = Counter()

    init(path: String, count: Int) throws {
        connections = try (0..<max(1, count)).map { try LedgerConnection(path: path, label: "genledger.read.\($0)") }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await connections[next.increment() % connections.count].run(body)
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value &+= 1
        return value
    }

    func add(_ delta: Int) {
        lock.lock()
        value += delta
        lock.unlock()
    }

    var current: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

/// The ledger's size as last committed, and a way to wait for it to grow: what live
/// subscriptions (server-sent events) follow.
final class LogWatch: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var size: UInt64
    private var closed = false
    private var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]

    init(size: UInt64) { self.size = size }

    var current: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return size
    }

    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Called after each commit.
    func advanced(to newSize: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        size = max(size, newSize)
        for subscriber in subscribers.values { subscriber.yield() }
    }

    /// Ends every subscription: the server is shutting down.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        for subscriber in subscribers.values { subscriber.yield() }
    }

    /// Returns when the ledger has grown past `seen`, on close, or after `timeout` (a heartbeat).
    func wait(past seen: UInt64, timeout: Duration) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        guard subscribe(id, continuation, past: seen) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = stream.makeAsyncIterator()
                _ = await iterator.next()
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        unsubscribe(id)
        continuation.finish()
    }

    /// false when there is already something past `seen` (or the watch is closed).
    private func subscribe(_ id: UUID, _ continuation: AsyncStream<Void>.Continuation, past seen: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard size <= seen && !closed else { return false }
        subscribers[id] = continuation
        return true
    }

    private func unsubscribe(_ id: UUID) {
        lock.lock()
        defer { lock.unlock() }
        subscribers[id] = nil
    }
}
