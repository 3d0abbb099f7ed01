import Foundation
import HTTPTypes
import Hummingbird
import LedgerLog

/// The log as recorded: pages of events, a live subscription, checkpoints and proofs.
extension LedgerEndpoints {
    static let maxPage = 1000

    func addReadRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/events") { request, context in
            _ = try context.require(Access.read)
            let after = try self.integer(request, "after") ?? 0
            let limit = Int(try self.integer(request, "limit") ?? 100)
            guard (1...Self.maxPage).contains(limit) else {
                throw APIError.badRequest("limit is 1 to \(Self.maxPage)", field: "limit")
            }
            let stream = request.uri.queryParameters.get("stream")
            let type = request.uri.queryParameters.get("type")
            let page = try await self.readers.read { ledger in
                try ledger.withSideTables(write: false) { _ in
                    (try Self.page(ledger, after: after, limit: limit, stream: stream, type: type), try ledger.size())
                }
            }
            var body: [UInt8] = Array(#"{"events":["#.utf8)
            for (i, line) in page.0.lines.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                body.append(contentsOf: line)
            }
            body.append(contentsOf: Array(#"],"next_after":\#(page.0.last ?? after),"tree_size":\#(page.1)}"#.utf8))
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }

        router.get("/v1/events/stream") { request, context in
            _ = try context.require(Access.read)
            // A reconnecting EventSource sends the last id it saw; it wins over ?after=.
            let resume = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { UInt64($0) }
            let start = try resume ?? self.integer(request, "after") ?? 0
            let stream = request.uri.queryParameters.get("stream")
            let type = request.uri.queryParameters.get("type")
            guard let slot = SubscriberSlot(self.subscribers, limit: self.configuration.maxSubscribers) else {
                throw APIError(
                    .serviceUnavailable, "too-many-subscribers",
                    "\(self.configuration.maxSubscribers) live streams are open (--max-subscribers); retry later",
                    details: ["limit": .number(Double(self.configuration.maxSubscribers))])
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    _ = slot  // held while the stream runs; released (and counted out) with this body
                    try await self.follow(after: start, stream: stream, type: type, writer: &writer)
                    try await writer.finish(nil)
                })
        }

        router.get("/v1/checkpoint") { _, context in
            _ = try context.require(Access.read)
            let latest = try await self.readers.read { ledger in try ledger.latestCheckpoint() }
            guard let latest else {
                throw APIError(.notFound, "no-checkpoint", "no checkpoint has been issued yet (genledger checkpoint)")
            }
            return Response.json([
                "tree_size": .number(Double(latest.treeSize)), "root": .string(latest.root.base64), "note": .string(latest.note),
                "issued_at": .string(latest.issuedAt), "number": .number(Double(latest.number)),
            ])
        }

        router.get("/v1/proofs/inclusion/{seq}") { request, context in
            _ = try context.require(Access.read)
            guard let seq = context.parameters.get("seq").flatMap(UInt64.init), seq > 0 else {
                throw APIError.badRequest("the seq is a positive integer", field: "seq")
            }
            let size = try self.integer(request, "size")
            let proof = try await self.readers.read { ledger in
                let total = try ledger.size()
                guard seq <= total else {
                    throw APIError(
                        .notFound, "not-found", "no event has seq \(seq) (the ledger has \(total))",
                        details: ["seq": .number(Double(seq))])
                }
                guard let event = try ledger.event(seq: seq) else { throw LedgerError(.damaged, "event is missing", seq: seq) }
                return try ledger.inclusionProof(seq: seq, treeSize: size).json(origin: ledger.origin, event: event)
            }
            return Response.json(proof)
        }

        router.get("/v1/proofs/consistency") { request, context in
            _ = try context.require(Access.read)
            guard let from = try self.integer(request, "from") else { throw APIError.badRequest("the query parameter from is required", field: "from") }
            let to = try self.integer(request, "to")
            let proof = try await self.readers.read { ledger in
                try ledger.consistencyProof(oldSize: from, newSize: try to ?? ledger.size()).json(origin: ledger.origin)
            }
            return Response.json(proof)
        }
    }

    /// One page of events, each as its canonical JSON line (the export form).
    static func page(_ ledger: Ledger, after: UInt64, limit: Int, stream: String?, type: String?) throws -> (
        lines: [[UInt8]], last: UInt64?
    ) {
        var lines: [[UInt8]] = []
        var last: UInt64?
        try ledger.forEachEvent(after: after, stream: stream, type: type, limit: limit) { event in
            lines.append(event.canonicalLine)
            last = event.seq
            return true
        }
        return (lines, last)
    }

    /// Server-sent events from `after`: the log as recorded, page by page, then each commit as
    /// it lands. Reading by seq from the committed log means no event can be skipped, whatever
    /// is appended meanwhile. A comment line every 15 s keeps proxies from closing the stream.
    func follow(after start: UInt64, stream: String?, type: String?, writer: inout any ResponseBodyWriter) async throws {
        var cursor = start
        while !watch.isClosed {
            let seen = watch.current
            let from = cursor
            let page = try await readers.read { ledger in
                var events: [(seq: UInt64, type: String, line: [UInt8])] = []
                try ledger.forEachEvent(after: from, stream: stream, type: type, limit: 500) { event in
                    events.append((event.seq, event.type, event.canonicalLine))
                    return true
                }
                return events
            }
            if page.isEmpty {
                // Filtered streams skip ahead to what the log held when this page was read.
                cursor = max(cursor, seen)
                await watch.wait(past: cursor, timeout: .seconds(15))
                if watch.current <= cursor && !watch.isClosed {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
                continue
            }
            var buffer = ByteBuffer()
            for event in page {
                buffer.writeString("id: \(event.seq)\nevent: \(event.type)\ndata: ")
                buffer.writeBytes(event.line)
                buffer.writeString("\n\n")
            }
            try await writer.write(buffer)
            cursor = page.last!.seq
        }
    }
}

/// One live stream's place under `--max-subscribers`, given back when the stream's body is
/// released, whether it ran to its end, failed, or never ran at all.
final class SubscriberSlot: Sendable {
    private let count: ConnectionCount

    init?(_ count: ConnectionCount, limit: Int) {
        guard count.open(limit: limit) else { return nil }
        self.count = count
    }

    deinit { count.close() }
}
