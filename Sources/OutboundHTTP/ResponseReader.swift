import Foundation

/// Reads one HTTP/1.1 answer (RFC 9112) from a stream: the status line, at most
/// `maxHeaderBytes` of header fields, then the body as its framing says (chunked,
/// Content-Length, or until the peer closes), handed on piece by piece.
struct ResponseReader {
    static let maxHeaderBytes = 64 * 1024

    private let stream: any ByteStream
    private let deadline: Deadline
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    private var start = 0
    private var end = 0

    init(stream: any ByteStream, deadline: Deadline) {
        self.stream = stream
        self.deadline = deadline
    }

    struct Head {
        let status: Int
        let headers: [(name: String, value: String)]

        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }.map(\.value)
        }
    }

    /// The next final answer's head; interim 1xx answers are read past.
    mutating func head() throws -> Head {
        var used = 0
        while true {
            let statusLine = try line(used: &used)
            let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].count == 3,
                let status = Int(parts[1]), (100...599).contains(status)
            else {
                throw malformed("its status line is not HTTP/1.x: \(statusLine.prefix(80).debugDescription)")
            }
            var headers: [(name: String, value: String)] = []
            while true {
                let field = try line(used: &used)
                if field.isEmpty { break }
                guard let colon = field.firstIndex(of: ":"), colon != field.startIndex,
                    !field[..<colon].contains(where: { $0 == " " || $0 == "\t" })
                else {
                    throw malformed("a header line is not a field: \(field.prefix(80).debugDescription)")
                }
                let value = field[field.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
                headers.append((String(field[..<colon]), value))
            }
            if (100...199).contains(status) && status != 101 { continue }
            return Head(status: status, headers: headers)
        }
    }

    /// Hands the body of an answer with `head` to `deliver`, piece by piece.
    mutating func body(of head: Head, method: String, deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        if method == "HEAD" || head.status == 204 || head.status == 304 || (100...199).contains(head.status) { return }
        let encodings = head.values("transfer-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: [" ", "\t"]).lowercased() }
        if let last = encodings.last {
            guard last == "chunked" else { throw malformed("its body's transfer coding '\(last)' is not chunked") }
            try chunked(deliver: deliver)
            return
        }
        let lengths = Set(head.values("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: [" ", "\t"]) })
        if let length = lengths.first {
            guard lengths.count == 1, !length.isEmpty, length.count <= 18, length.allSatisfy({ $0.isASCII && $0.isNumber }),
                let count = Int(length)
            else { throw malformed("its Content-Length is not one number: \(lengths.sorted().joined(separator: ", "))") }
            try exactly(count, deliver: deliver)
            return
        }
        if end > start { try deliverBuffered(end - start, deliver: deliver) }
        while try fill() {
            try deliverBuffered(end - start, deliver: deliver)
        }
    }

    private mutating func chunked(deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        var used = 0
        while true {
            let sizeLine = try line(used: &used)
            let digits = sizeLine.prefix { $0 != ";" }.trimmingCharacters(in: [" ", "\t"])
            guard !digits.isEmpty, digits.count <= 15, let size = Int(digits, radix: 16) else {
                throw malformed("a chunk size is not hexadecimal: \(sizeLine.prefix(40).debugDescription)")
            }
            used = 0
            if size == 0 { break }
            try exactly(size, deliver: deliver)
            guard try line(used: &used).isEmpty else { throw malformed("a chunk does not end where its size says") }
        }
        while try !line(used: &used).isEmpty {}  // trailer fields, ignored
    }

    private mutating func exactly(_ count: Int, deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        var left = count
        while left > 0 {
            if start == end {
                guard try fill() else { throw malformed("its body ended \(left) bytes early") }
            }
            let piece = min(left, end - start)
            try deliverBuffered(piece, deliver: deliver)
            left -= piece
        }
    }

    private mutating func deliverBuffered(_ count: Int, deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        let from = start
        start += count
        try buffer.withUnsafeBytes { try deliver(UnsafeRawBufferPointer(rebasing: $0[from..<(from + count)])) }
    }

    /// One line without its CRLF (a bare LF is accepted, as RFC 9112 allows); `used` counts the
    /// bytes of the head so far against `maxHeaderBytes`.
    private mutating func line(used: inout Int) throws -> String {
        var line: [UInt8] = []
        while true {
            if start == end {
                guard try fill() else { throw malformed("it ended in the middle of its head") }
            }
            let available = buffer[start..<end]
            if let newline = available.firstIndex(of: UInt8(ascii: "\n")) {
                line += buffer[start..<newline]
                used += newline + 1 - start
                start = newline + 1
                break
            }
            line += available
            used += available.count
            start = end
            guard used <= Self.maxHeaderBytes else { throw malformed("its head is over \(Self.maxHeaderBytes) bytes") }
        }
        guard used <= Self.maxHeaderBytes else { throw malformed("its head is over \(Self.maxHeaderBytes) bytes") }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    /// Reads more into an emptied buffer; false at the end of the stream.
    private mutating func fill() throws -> Bool {
        start = 0
        let (stream, deadline) = (self.stream, self.deadline)
        end = try buffer.withUnsafeMutableBytes { try stream.read(into: $0, deadline: deadline) }
        return end > 0
    }

    private func malformed(_ reason: String) -> OutboundFailure {
        OutboundFailure(.malformedAnswer, "\(deadline.peer) answered something that is not HTTP/1.1: \(reason)")
    }
}
