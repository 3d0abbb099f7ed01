import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file (or standard input) line by line with one reused buffer, so a reader of a
/// large export or a long append stream holds one line at a time.
public final class JSONLinesReader {
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    public private(set) var lineNumber = 0
    /// Bytes read so far, line endings included (for a progress bar).
    public private(set) var bytesRead = 0
    public let maxLineBytes: Int

    /// How the last line read ended: a strict reader (an export) accepts only `.newline`.
    public enum Ending: Sendable { case newline, carriageReturnNewline, endOfFile }
    public private(set) var lastEnding = Ending.newline

    public init(path: String, maxLineBytes: Int = 2 << 20) throws {
        guard let file = fopen(path, "rb") else {
            throw LedgerError(.badInput, "cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.ownsFile = true
        self.maxLineBytes = maxLineBytes
    }

    public init(standardInputWithMaxLineBytes maxLineBytes: Int = 2 << 20) {
        // A FILE of our own over descriptor 0: the C global `stdin` is shared mutable state.
        self.file = fdopen(STDIN_FILENO, "rb")!
        self.ownsFile = true
        self.maxLineBytes = maxLineBytes
    }

    deinit {
        free(buffer)
        if ownsFile { fclose(file) }
    }

    /// The next line without its line ending, or nil at the end. Its errors name the line.
    public func next() throws -> [UInt8]? {
        let count = getline(&buffer, &capacity, file)
        guard count >= 0, let buffer else {
            if ferror(file) != 0 { throw LedgerError(.badInput, "read error after line \(lineNumber)", line: lineNumber + 1) }
            return nil
        }
        lineNumber += 1
        bytesRead += count
        var length = count
        lastEnding = .endOfFile
        if length > 0 && buffer[length - 1] == 0x0a {
            length -= 1
            lastEnding = .newline
            if length > 0 && buffer[length - 1] == 0x0d {
                length -= 1
                lastEnding = .carriageReturnNewline
            }
        } else if length > 0 && buffer[length - 1] == 0x0d {
            length -= 1
        }
        guard length <= maxLineBytes else {
            throw LedgerError(.badInput, "line is \(length) bytes; the limit is \(maxLineBytes)", line: lineNumber)
        }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
