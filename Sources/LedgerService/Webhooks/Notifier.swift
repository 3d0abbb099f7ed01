import Foundation
import LedgerLog
import Logging
import OutboundHTTP
import ServiceLifecycle

/// Notifications out (docs/WEBHOOKS.md): follows the committed log from where it stood when the
/// server started and, for every request denied under a `require-approval` rule and every fact
/// recorded with a violation, POSTs `{"type", "timestamp", "text", "data"}` (Slack-compatible
/// `text`; `data` the event in its export form) to each configured receiver, signed with
/// Standard Webhooks (`webhook-id` is the event's id, so a receiver drops what it has seen).
///
/// It reads the log as any reader does, so an append never waits for it. Each delivery is
/// retried with exponential backoff (1 s doubling, at most 5 min apart, `maxAttempts` tries)
/// until the receiver answers 2xx, then never sent again; at most `maxPending` deliveries wait
/// at once (beyond, the oldest kind of overload: new ones are counted as abandoned).
struct Notifier: ServiceLifecycle.Service {
    let receivers: [WebhookConfiguration.Receiver]
    let readers: ReaderPool
    let watch: LogWatch
    let metrics: ServiceMetrics
    let origin: String
    let logger: Logger
    var maxAttempts = 12
    var firstDelay: Duration = .seconds(1)
    static let maxPending = 1000

    func run() async throws {
        let pending = Counter()
        var cursor = watch.current
        await withDiscardingTaskGroup { deliveries in
            while !watch.isClosed {
                let from = cursor
                let page: (found: [Found], last: UInt64)
                do {
                    page = try await readers.read { ledger in
                        var found: [Found] = []
                        var last = from
                        try ledger.forEachEvent(after: from, limit: 500) { event in
                            if let (notice, text) = Self.notice(for: event) {
                                found.append(Found(seq: event.seq, id: event.id, line: event.canonicalLine, notice: notice, text: text))
                            }
                            last = event.seq
                            return true
                        }
                        return (found, last)
                    }
                } catch {
                    logger.error("notifications: reading the log failed: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                cursor = page.last
                for item in page.found {
                    for receiver in receivers where receiver.notices.contains(item.notice) {
                        guard pending.current < Self.maxPending else {
                            metrics.notification(delivered: false, abandoned: true)
                            continue
                        }
                        pending.add(1)
                        let body = Self.body(item.notice, text: item.text, line: item.line, origin: origin, seq: item.seq)
                        deliveries.addTask {
                            await deliver(body, id: item.id, to: receiver)
                            pending.add(-1)
                        }
                    }
                }
                if cursor == from {
                    await watch.wait(past: cursor, timeout: .seconds(15))
                }
            }
            deliveries.cancelAll()
        }
    }

    private struct Found: Sendable {
        let seq: UInt64
        let id: String
        let line: [UInt8]
        let notice: WebhookConfiguration.Notice
        let text: String
    }

    /// What an event is worth telling, and the sentence that tells it.
    static func notice(for event: RecordedEvent) -> (WebhookConfiguration.Notice, String)? {
        let payload = event.payload
        if event.type == "policy.denied", payload["action"]?.stringValue == "require-approval" {
            let deliverable = payload["deliverable"]?.stringValue ?? "?"
            return (
                .approvalNeeded,
                "Approval needed for \(deliverable): rule \(payload["rule"]?.stringValue ?? "?") of policy "
                    + "\(payload["policy"]?.stringValue ?? "?") v\(payload["version"]?.integerValue ?? 0) denied a "
                    + "\(payload["judged"]?["type"]?.stringValue ?? "request"): \(payload["reason"]?.stringValue ?? "") "
                    + "(policy.denied seq \(event.seq))"
            )
        }
        if payload["gate"]?["outcome"]?.stringValue == "violated" {
            let findings = payload["gate"]?["findings"]?.arrayValue ?? []
            let broken = findings.filter { $0["result"]?.stringValue == "violated" }.map {
                "\($0["rule"]?.stringValue ?? "?"): \($0["reason"]?.stringValue ?? "")"
            }
            return (
                .violation,
                "Policy violation recorded: \(event.type) on \(event.stream) (seq \(event.seq)) broke "
                    + broken.joined(separator: "; ")
            )
        }
        return nil
    }

    static func body(_ notice: WebhookConfiguration.Notice, text: String, line: [UInt8], origin: String, seq: UInt64)
        -> [UInt8]
    {
        var body = Array(#"{"data":"#.utf8) + line
        body += Array(",\"ledger\":".utf8) + CanonicalJSON.bytes(of: ["origin": .string(origin), "seq": .number(Double(seq))])
        body += Array(",\"text\":".utf8) + CanonicalJSON.bytes(of: .string(text))
        body += Array(",\"timestamp\":".utf8) + CanonicalJSON.bytes(of: .string(Timestamp(Date()).description))
        body += Array(",\"type\":".utf8) + CanonicalJSON.bytes(of: .string("genledger.\(notice.rawValue)")) + [UInt8(ascii: "}")]
        return body
    }

    private func deliver(_ body: [UInt8], id: String, to receiver: WebhookConfiguration.Receiver) async {
        var delay = firstDelay
        for attempt in 1...maxAttempts {
            let timestamp = Int64(Date().timeIntervalSince1970)
            // The receiver's answer is only its status; its body is read (at most 64 KiB) and dropped.
            let request = OutboundRequest(
                method: "POST", url: receiver.url,
                headers: [
                    ("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", StandardWebhooks.signature(id: id, timestamp: timestamp, body: body, secret: receiver.secret)),
                ],
                body: body, timeout: 10, maxResponseBytes: 64 * 1024)
            let outcome: String
            do {
                let status = try await OutboundClient.shared.onThread {
                    try OutboundClient.shared.send(request, receive: { _ in }).status
                }
                outcome = "HTTP \(status)"
                if (200..<300).contains(status) {
                    metrics.notification(delivered: true)
                    return
                }
            } catch {
                outcome = "\(error)"
            }
            let last = attempt == maxAttempts
            metrics.notification(delivered: false, abandoned: last)
            logger.notice(
                "notification \(id) to \(receiver.url.host ?? "?"): \(outcome), attempt \(attempt) of \(maxAttempts)"
            )
            if last || Task.isCancelled { return }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(300))
        }
    }
}
