/// Bytes to and from a peer, each call bounded by the exchange's deadline: a plain TCP socket, or
/// TLS over one.
protocol ByteStream: AnyObject {
    /// Reads at most `buffer.count` bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int
    func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws
}

extension ByteStream {
    func write(_ bytes: [UInt8], deadline: Deadline) throws {
        try bytes.withUnsafeBytes { try write($0, deadline: deadline) }
    }
}
