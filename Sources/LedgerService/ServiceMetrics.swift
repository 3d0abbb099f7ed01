import Foundation

/// What `GET /metrics` reports, in the Prometheus text format (version 0.0.4): appends,
/// denials, conflicts, request latency histograms by route and status class, group commits,
/// the ledger's size and how far the read models trail it.
final class ServiceMetrics: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServiceMetrics.buckets.count)
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private var requests: [String: Histogram] = [:]  // key: method, route, status
    private var eventsAppended: UInt64 = 0
    private var denials: UInt64 = 0
    private var conflicts: UInt64 = 0
    private var commits: UInt64 = 0
    private var committedRequests: UInt64 = 0
    /// Time the writer spent in group transactions, commit included: its rate is how busy the
    /// one writer is (near 1: writes queue behind it).
    private var commitSeconds: Double = 0
    private var rateLimited: UInt64 = 0
    private var webhooksRefused: UInt64 = 0
    private var notificationsDelivered: UInt64 = 0
    private var notificationAttemptsFailed: UInt64 = 0
    private var notificationsAbandoned: UInt64 = 0
    private var ledgerSize: UInt64 = 0
    private var projectionsAt: UInt64 = 0

    init(ledgerSize: UInt64, projectionsAt: UInt64) {
        self.ledgerSize = ledgerSize
        self.projectionsAt = projectionsAt
    }

    private func locked(_ body: () -> Void) {
        lock.lock()
        body()
        lock.unlock()
    }

    func observe(method: String, route: String, status: Int, seconds: Double) {
        let key = "method=\"\(method)\",route=\"\(route)\",status=\"\(status)\""
        locked {
            var histogram = requests[key] ?? Histogram()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { histogram.counts[i] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            requests[key] = histogram
        }
    }

    func appended(_ count: Int) { locked { eventsAppended += UInt64(count) } }
    func denied() { locked { denials += 1 } }
    func conflicted() { locked { conflicts += 1 } }
    func limited() { locked { rateLimited += 1 } }
    func webhookRefused() { locked { webhooksRefused += 1 } }
    func notification(delivered: Bool, abandoned: Bool = false) {
        locked {
            if delivered { notificationsDelivered += 1 } else { notificationAttemptsFailed += 1 }
            if abandoned { notificationsAbandoned += 1 }
        }
    }

    func committed(requests count: Int, seconds: Double, ledgerSize size: UInt64) {
        locked {
            commits += 1
            committedRequests += UInt64(count)
            commitSeconds += seconds
            ledgerSize = max(ledgerSize, size)
        }
    }

    func projectionPosition(_ position: UInt64) { locked { projectionsAt = max(projectionsAt, position) } }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("genledger_events_appended_total", "counter", "Events appended through the service.", eventsAppended)
        metric("genledger_policy_denials_total", "counter", "Requests the policy gate denied.", denials)
        metric("genledger_conflicts_total", "counter", "Requests refused with 409 (expected version, reused id).", conflicts)
        metric("genledger_rate_limited_total", "counter", "Requests refused with 429.", rateLimited)
        metric(
            "genledger_webhooks_refused_total", "counter", "Provider deliveries refused: unsigned, badly signed or stale.",
            webhooksRefused)
        metric("genledger_notifications_delivered_total", "counter", "Notifications a receiver accepted (2xx).", notificationsDelivered)
        metric(
            "genledger_notification_attempts_failed_total", "counter", "Notification attempts that failed and were retried.",
            notificationAttemptsFailed)
        metric(
            "genledger_notifications_abandoned_total", "counter", "Notifications given up after every retry.",
            notificationsAbandoned)
        metric("genledger_commits_total", "counter", "Durable write transactions (group commits).", commits)
        metric("genledger_committed_requests_total", "counter", "Write requests answered by those commits.", committedRequests)
        metric(
            "genledger_commit_seconds_total", "counter", "Seconds the one writer spent in write transactions, commit included.",
            commitSeconds)
        metric("genledger_ledger_events", "gauge", "Events in the ledger (its tree size).", ledgerSize)
        metric(
            "genledger_projection_lag_events", "gauge", "Events the read models have yet to fold.",
            ledgerSize - min(ledgerSize, projectionsAt))
        out += "# HELP genledger_http_request_duration_seconds Time from request to response head, by route.\n"
        out += "# TYPE genledger_http_request_duration_seconds histogram\n"
        for (labels, histogram) in requests.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.buckets.enumerated() {
                out += "genledger_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(histogram.counts[i])\n"
            }
            out += "genledger_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            out += "genledger_http_request_duration_seconds_sum{\(labels)} \(histogram.sum)\n"
            out += "genledger_http_request_duration_seconds_count{\(labels)} \(histogram.count)\n"
        }
        return out
    }
}
