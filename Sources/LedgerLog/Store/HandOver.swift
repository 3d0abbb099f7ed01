import Foundation

/// A bounded hand-over of work from one thread to another: the producer waits while `capacity`
/// items wait, the consumer while none do. Either side can end it: the producer closes it (the
/// consumer takes what is left, then nil), the consumer abandons it (the producer's next `put`
/// says so, and what waits is dropped). Verification and the read-ahead fold use it.
final class HandOver<Item>: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    private var queued: [Item] = []
    private var closed = false
    private var isAbandoned = false

    init(capacity: Int) { self.capacity = capacity }

    var abandoned: Bool {
        condition.lock()
        defer { condition.unlock() }
        return isAbandoned
    }

    /// Waits for room; false when the consumer has abandoned the hand-over.
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queued.count >= capacity && !isAbandoned { condition.wait() }
        guard !isAbandoned else { return false }
        queued.append(item)
        condition.broadcast()
        return true
    }

    /// The next item, or nil once the producer has closed the hand-over and nothing waits.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while queued.isEmpty && !closed { condition.wait() }
        guard !queued.isEmpty else { return nil }
        let item = queued.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func abandon() {
        condition.lock()
        isAbandoned = true
        queued.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
