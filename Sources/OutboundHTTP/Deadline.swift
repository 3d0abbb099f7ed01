/// The instant an exchange must be over by; every wait asks it how long it may still take.
struct Deadline {
    let end: ContinuousClock.Instant
    let seconds: Double
    let peer: String

    init(seconds: Double, peer: String) {
        self.seconds = seconds
        self.peer = peer
        end = .now + .milliseconds(Int64((max(seconds, 0) * 1000).rounded(.up)))
    }

    private init(end: ContinuousClock.Instant, seconds: Double, peer: String) {
        self.end = end
        self.seconds = seconds
        self.peer = peer
    }

    /// The same instant, for an exchange with another peer (a redirect's target, a proxy).
    func naming(_ peer: String) -> Deadline {
        Deadline(end: end, seconds: seconds, peer: peer)
    }

    /// Milliseconds left for `poll(2)` (at least 1), or a timeout failure when none are.
    func remainingMilliseconds() throws -> Int32 {
        let left = ContinuousClock.now.duration(to: end)
        guard left > .zero else { throw expired() }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    func expired() -> OutboundFailure {
        OutboundFailure(.timedOut, "\(peer) did not answer within \(Self.format(seconds)) s")
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
