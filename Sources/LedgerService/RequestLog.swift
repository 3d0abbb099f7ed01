#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import LedgerLog

/// The request log (docs/WEB.md, "Request log"): one line per request on standard error,
///
///     2026-12-03T16:20:00.123456Z info genledger.requests: duration_ms=0.52 method=POST path=/v1/events status=201 token=pipeline:bench
///
/// in UTC, keys in that order, written whole by one `write(2)` (lines from concurrent requests
/// never interleave). A value's spaces and control characters (from a hostile request's path,
/// say) are written as `%XX` of their UTF-8 bytes, so a line is always one line and its fields
/// split on spaces; nothing else is escaped (a path stays as the client sent it).
///
/// Laid out by hand: swift-log's stream handler (a metadata dictionary sorted per line, the
/// local time zone looked up per line, `String(format:)` for the duration) cost up to 56 µs of
/// a loaded server's CPU per request (docs/BENCHMARKS.md).
struct RequestLog: Sendable {
    /// Where lines go (standard error).
    let descriptor: Int32

    init(descriptor: Int32 = STDERR_FILENO) { self.descriptor = descriptor }

    func record(method: String, path: String, status: Int, seconds: Double, caller: String?, at time: Timestamp = .now()) {
        emit(Self.line(method: method, path: path, status: status, seconds: seconds, caller: caller, at: time))
    }

    static func line(method: String, path: String, status: Int, seconds: Double, caller: String?, at time: Timestamp)
        -> [UInt8]
    {
        var line: [UInt8] = []
        line.reserveCapacity(128 + path.utf8.count)
        line.append(contentsOf: time.description.utf8)
        line.append(contentsOf: " info genledger.requests: duration_ms=".utf8)
        appendHundredths(seconds * 1000, to: &line)
        line.append(contentsOf: " method=".utf8)
        appendValue(method, to: &line)
        line.append(contentsOf: " path=".utf8)
        appendValue(path, to: &line)
        line.append(contentsOf: " status=".utf8)
        line.append(contentsOf: String(status).utf8)
        line.append(contentsOf: " token=".utf8)
        appendValue(caller ?? "-", to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// `value` with two decimals ("0.52", "1234.50"); negative or not finite as "0.00".
    static func appendHundredths(_ value: Double, to line: inout [UInt8]) {
        let hundredths = value.isFinite && value > 0 ? Int((value * 100).rounded()) : 0
        line.append(contentsOf: String(hundredths / 100).utf8)
        line.append(UInt8(ascii: "."))
        line.append(0x30 + UInt8(hundredths % 100 / 10))
        line.append(0x30 + UInt8(hundredths % 10))
    }

    /// The value's UTF-8, with spaces, C0 and C1 controls, DEL and the line and paragraph
    /// separators (U+2028, U+2029) as `%XX` per byte; an empty value as "-".
    static func appendValue(_ value: String, to line: inout [UInt8]) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return line.append(UInt8(ascii: "-")) }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // How many bytes from here are one escaped character (0: none).
            var escaped = 0
            if byte <= 0x20 || byte == 0x7F {
                escaped = 1
            } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                escaped = 2
            } else if byte == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80, (0xA8...0xA9).contains(bytes[index + 2]) {
                escaped = 3
            }
            guard escaped > 0 else {
                line.append(byte)
                index += 1
                continue
            }
            for byte in bytes[index..<index + escaped] {
                line.append(UInt8(ascii: "%"))
                line.append(hexDigits[Int(byte >> 4)])
                line.append(hexDigits[Int(byte & 0x0F)])
            }
            index += escaped
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// One `write(2)` for the whole line unless the kernel takes less; a failing log (a closed
    /// standard error) never fails the request.
    private func emit(_ line: [UInt8]) {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
