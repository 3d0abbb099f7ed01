import Foundation
import Governance
import HTTPTypes
import Hummingbird
import LedgerLog
import Logging
import NIOCore
import Projections
import ServiceLifecycle
import UnixSignals

/// How `genledger serve` runs; every limit here is documented in docs/API.md.
public struct ServiceConfiguration: Sendable {
    public var ledgerPath: String
    public var host = "127.0.0.1"
    /// 0: any free port (printed when listening).
    public var port = 8080
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// Most events in one `POST /v1/events` batch (413 beyond).
    public var maxBatchEvents = 1000
    /// Requests a second per token, on average, with bursts up to the same number (429 beyond); 0: no limit.
    public var rateLimit: Double = 200
    /// Group commit (on) or one transaction per write request (the benchmark's baseline).
    public var groupCommit = true
    /// Read connections.
    public var readers = 2
    /// Deadlines and the connection cap (docs/API.md, Limits).
    public var connections = ConnectionLimits()
    /// Live event streams open at once (503 beyond).
    public var maxSubscribers = 64
    /// After SIGTERM, how long requests in flight and clients may take before the process exits
    /// regardless (every acknowledged write is already durable).
    public var shutdownDeadline: Duration = .seconds(10)
    /// One structured line per request on standard error (`genledger.requests`).
    public var logRequests = true
    /// Provider webhooks in and notifications out (`--webhooks FILE`, docs/WEBHOOKS.md).
    public var webhooks = WebhookConfiguration()

    public init(ledgerPath: String) { self.ledgerPath = ledgerPath }
}

/// The ledger as an HTTP service (docs/API.md, docs/openapi.yaml): a thin layer over the same
/// library the command line uses. Writes go through one `GroupCommitter`; reads use their own
/// connections; SIGTERM and SIGINT stop accepting, let requests in flight finish (so nothing
/// acknowledged is lost: an acknowledgement follows its commit) and end live subscriptions.
public enum LedgerServer {
    /// Serves until SIGTERM or SIGINT. `listening` is called with the bound host and port.
    public static func run(_ configuration: ServiceConfiguration, listening: @escaping @Sendable (String, Int) -> Void)
        async throws
    {
        var logger = Logger(label: "genledger.serve")
        logger.logLevel = .notice
        let service = try LedgerEndpoints(configuration)
        let router = Router(context: ServiceRequestContext.self)
        router.add(
            middleware: Authentication(
                tokens: service.tokens, sessions: service.sessions, limiter: service.limiter, metrics: service.metrics,
                requestLog: configuration.logRequests ? RequestLog() : nil))
        service.addRoutes(to: router)
        let connections = ConnectionCount()
        let limits = configuration.connections
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits: limits, connections: connections)])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "genledger"),
            onServerRunning: { channel in
                listening(configuration.host, channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app),
                ] + notifier(service, logger: logger) + follower(service, logger: logger) + [
                    // Last in, so first told of the shutdown: it ends the live subscriptions, which
                    // would otherwise keep the server draining for ever.
                    .init(
                        service: SubscriptionCloser(watch: service.watch, deadline: configuration.shutdownDeadline, logger: logger),
                        successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The follower of other processes' appends, on a ledger they share (PostgreSQL).
private func follower(_ service: LedgerEndpoints, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
    guard StoreKind.of(location: service.configuration.ledgerPath) == .postgres else { return [] }
    return [.init(service: LogFollower(readers: service.readers, watch: service.watch, logger: logger), successTerminationBehavior: .ignore)]
}

/// The notifier, when receivers are configured; it ends with the server.
private func notifier(_ service: LedgerEndpoints, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
    guard !service.configuration.webhooks.receivers.isEmpty else { return [] }
    return [
        .init(
            service: Notifier(
                receivers: service.configuration.webhooks.receivers, readers: service.readers, watch: service.watch,
                metrics: service.metrics, origin: service.origin, logger: logger),
            successTerminationBehavior: .ignore)
    ]
}

/// Ends the live subscriptions when the service group begins to shut down, and ends the process
/// if clients still hold it past the deadline (a subscriber that stopped reading blocks its
/// writes for ever). Exiting then loses nothing acknowledged: an acknowledgement follows its commit.
struct SubscriptionCloser: ServiceLifecycle.Service {
    let watch: LogWatch
    let deadline: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        watch.close()
        // Apart from the group, which waits for each service in turn: the process normally ends
        // first, and this never fires.
        let (deadline, logger) = (deadline, logger)
        Task.detached {
            try await Task.sleep(for: deadline)
            logger.notice("shutdown deadline passed with clients still connected; exiting")
            // At once: exit handlers could wait on the very threads the stalled clients hold.
            _exit(0)
        }
    }
}

/// The routes and what they share.
final class LedgerEndpoints: Sendable {
    let configuration: ServiceConfiguration
    let readers: ReaderPool
    let committer: GroupCommitter
    let watch: LogWatch
    let metrics: ServiceMetrics
    let tokens: TokenCache
    let limiter: RateLimiter
    let sessions = WebSessions()
    /// Live event streams open now.
    let subscribers = ConnectionCount()
    /// The ledger's origin (checkpoints' first line).
    let origin: String

    init(_ configuration: ServiceConfiguration) throws {
        self.configuration = configuration
        let ledger = try Ledger(opening: configuration.ledgerPath)
        origin = ledger.origin
        let size = try ledger.size()
        let projections = Projections(ledger)
        try projections.catchUp()
        let position = try projections.position()
        readers = try ReaderPool(path: configuration.ledgerPath, count: configuration.readers)
        watch = LogWatch(size: size)
        metrics = ServiceMetrics(ledgerSize: size, projectionsAt: position)
        committer = try GroupCommitter(
            path: configuration.ledgerPath, grouping: configuration.groupCommit, metrics: metrics, watch: watch)
        tokens = try TokenCache(path: configuration.ledgerPath)
        limiter = RateLimiter(rate: configuration.rateLimit)
    }

    func addRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/healthz") { _, _ in
            Response.json(["status": "ok", "tree_size": .number(Double(self.watch.current))])
        }
        // The vocabulary is no secret of the ledger's: clients fetch it before they have a token.
        let schema = PrettyJSON.string(of: EventSchema.document)
        router.get("/v1/schema") { _, _ in
            Response.text(schema, contentType: "application/schema+json")
        }
        router.get("/metrics") { _, context in
            _ = try context.require(Access.operate)
            return Response.text(self.metrics.text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        addWriteRoutes(to: router)
        addImportRoute(to: router)
        addReadRoutes(to: router)
        addAnswerRoutes(to: router)
        addCostRoutes(to: router)
        addWebhookRoutes(to: router)
        addPages(to: router)
        addLogin(to: router)
        addApprovals(to: router)
        addBrowsing(to: router)
    }

    // MARK: Shared helpers

    /// The request's body, refused with 413 past the configured limit.
    func body(_ request: Request) async throws -> [UInt8] {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(length)
        }
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw tooLarge(bytes.count + buffer.readableBytes) }
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    private func tooLarge(_ size: Int) -> APIError {
        APIError(
            .contentTooLarge, "too-large",
            "the body is more than \(configuration.maxBodyBytes) bytes, the limit (--max-body)",
            details: ["limit": .number(Double(configuration.maxBodyBytes))])
    }

    /// The body as a JSON object.
    func jsonObject(_ request: Request) async throws -> [String: JSONValue] {
        let bytes = try await body(request)
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch let failure as JSONParser.Failure {
            throw APIError(.badRequest, "malformed-json", "the body is not JSON: \(failure)")
        }
        guard case .object(let object) = value else {
            throw APIError.badRequest("the body must be a JSON object, not \(value.kindName)")
        }
        return object
    }

    /// The Idempotency-Key header, checked.
    func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[Self.idempotencyKeyField] else { return nil }
        guard (1...255).contains(key.utf8.count) else {
            throw APIError.badRequest("Idempotency-Key is 1 to 255 characters", field: "Idempotency-Key")
        }
        return key
    }

    static let idempotencyKeyField = HTTPField.Name("Idempotency-Key")!

    /// The event id an idempotency key stands for: the same key from the same token, the same id.
    static func derivedID(token: ServiceToken, key: String, index: Int) -> UUID {
        GovernedLedger.derivedID("idempotency-key \(token.name) \(key) \(index)")
    }

    /// An integer query parameter, 422 naming it when it is not one.
    func integer(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let value = UInt64(text) else { throw APIError.badRequest("'\(text)' is not a non-negative integer", field: name) }
        return value
    }
}
