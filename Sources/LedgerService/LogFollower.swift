import LedgerLog
import Logging
import ServiceLifecycle

/// On a ledger that other processes append to (PostgreSQL, several service instances), tells the
/// live subscriptions and the notifier of events this instance did not commit: it reads the
/// tip every `interval` and advances the watch when it moved. One `SELECT` of the last seq per
/// interval per instance. (Appends through this instance advance the watch at once.)
struct LogFollower: ServiceLifecycle.Service {
    let readers: ReaderPool
    let watch: LogWatch
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        while !watch.isClosed {
            try? await Task.sleep(for: interval)
            do {
                let size = try await readers.read { try $0.size() }
                if size > watch.current { watch.advanced(to: size) }
            } catch {
                logger.warning("following the log: \(error)")
            }
        }
    }
}
