import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// How many connections are open, shared by every connection's guard.
final class ConnectionCount: Sendable {
    private let count = NIOLockedValueBox(0)

    /// Counts one more connection, unless `limit` are open already.
    func open(limit: Int) -> Bool {
        count.withLockedValue { open in
            guard open < limit else { return false }
            open += 1
            return true
        }
    }

    func close() { count.withLockedValue { $0 -= 1 } }
}

/// What one connection may hold: a deadline for every phase in which the server waits on the
/// client, and a cap on connections. Every limit is documented in docs/API.md.
public struct ConnectionLimits: Sendable {
    /// From accept to a complete request head (slow or missing headers).
    public var headerTimeout: Duration = .seconds(10)
    /// From a request head to the end of its body.
    public var bodyTimeout: Duration = .seconds(30)
    /// From the end of a response to the next request head on a kept-alive connection.
    public var idleTimeout: Duration = .seconds(30)
    /// Open connections; one more is answered 503 and closed at once.
    public var maxConnections = 512
    /// How long a client may leave the server's send buffer full (64 KiB pending, NIO's high
    /// watermark) before it is disconnected: a live-stream subscriber that stopped reading, say.
    public var stallTimeout: Duration = .seconds(10)

    public init() {}
}

/// Closes a connection whose client is slower than the limits while the server waits on it,
/// and refuses connections past the cap. It never times a response out: a long answer (a live
/// event stream) is the server's to end.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let connections: ConnectionCount
    private var counted = false
    private var started = false
    /// When the connection is closed unless the client moves on first; nil while the server,
    /// not the client, has the next move.
    private var deadline: NIODeadline?
    /// One timer per connection, not one per phase: when it fires before the deadline (which
    /// moved later since), it is set again for the deadline. Scheduling and cancelling a timer
    /// at every request head, end and answer cost about 2 % of the server's CPU per append.
    private var timer: Scheduled<Void>?
    private var timerFires: NIODeadline?
    private var stall: Scheduled<Void>?

    init(limits: ConnectionLimits, connections: ConnectionCount) {
        self.limits = limits
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard connections.open(limit: limits.maxConnections) else {
            // Past the cap: answered and closed now, never queued.
            let refusal = HTTPResponse(
                status: .serviceUnavailable,
                headerFields: [.connection: "close", .contentLength: "0", .retryAfter: "1"])
            context.write(wrapOutboundOut(.head(refusal)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.close(promise: nil)
            return
        }
        counted = true
        arm(context, limits.headerTimeout)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stall?.cancel()
            stall = nil
        } else if stall == nil {
            let channel = context.channel
            stall = context.eventLoop.scheduleTask(in: TimeAmount(limits.stallTimeout)) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline = nil
        timer?.cancel()
        stall?.cancel()
        if counted {
            connections.close()
            counted = false
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, limits.bodyTimeout)
        case .body: break
        // The request is whole: the server's answer, however long, is not timed here.
        case .end: deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, limits.idleTimeout) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ after: Duration) {
        let when = NIODeadline.now() + TimeAmount(after)
        deadline = when
        // A timer set to fire no later than this will find the new deadline and set itself again.
        if let fires = timerFires, fires <= when { return }
        schedule(context.eventLoop, context.channel, at: when)
    }

    private func schedule(_ loop: any EventLoop, _ channel: any Channel, at when: NIODeadline) {
        timer?.cancel()
        timerFires = when
        let guardOnLoop = NIOLoopBound(self, eventLoop: loop)
        timer = loop.scheduleTask(deadline: when) { guardOnLoop.value.timerFired(loop, channel) }
    }

    private func timerFired(_ loop: any EventLoop, _ channel: any Channel) {
        timer = nil
        timerFires = nil
        guard let deadline else { return }
        if deadline <= .now() {
            channel.close(promise: nil)
        } else {
            schedule(loop, channel, at: deadline)
        }
    }
}
