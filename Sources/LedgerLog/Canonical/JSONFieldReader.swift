/// Reads chosen members of a JSON object in one pass over its bytes, building no values: for each
/// dotted path (`request.deliverable`), where its value lies in the bytes and what kind it is.
/// A projection reads a dozen fields of a payload this way for the price of one scan, where
/// asking SQLite's JSON operators for each field parses the whole payload again every time.
///
/// It checks structure as it goes (brackets, strings, escapes, literals) and refuses what is
/// malformed with the byte offset; it does not check what it only skips as strictly as
/// `JSONParser` (number grammar, UTF-8), which the ledger did when the payload was appended.
public struct JSONFieldReader: Sendable {
    public enum Kind: UInt8, Sendable {
        /// No member at the path (or a parent on the way is not an object).
        case absent
        case null
        /// A string without escapes: the bytes between the quotes are its UTF-8.
        case string
        /// A string with escapes: `unescaped` gives its UTF-8.
        case escapedString
        case number
        case `true`
        case `false`
        case object
        case array
    }

    /// Where a value lies: strings without their quotes, everything else as written.
    public struct Field: Sendable {
        public var kind: Kind
        public var start: Int
        public var end: Int

        static let absent = Field(kind: .absent, start: 0, end: 0)
    }

    /// A member name a path goes through: the field it ends at, the node it goes on to, or both.
    struct Member {
        var name: Range<Int>  // in `names`
        var field = -1
        var child = -1
    }

    /// The paths as a tree of member names (one walk down the object serves them all), laid out
    /// flat so that reading retains nothing: node `n`'s members are `members[nodes[n]]`.
    public let paths: [String]
    private let names: [UInt8]
    private let members: [Member]
    private let nodes: [Range<Int>]

    public init(paths: [String]) {
        self.paths = paths
        // Built as nested lists first, then flattened.
        var tree: [[(name: [UInt8], field: Int, child: Int)]] = [[]]
        for (index, path) in paths.enumerated() {
            var node = 0
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
            for (depth, name) in parts.enumerated() {
                let at: Int
                if let found = tree[node].firstIndex(where: { $0.name == name }) {
                    at = found
                } else {
                    tree[node].append((name, -1, -1))
                    at = tree[node].count - 1
                }
                if depth == parts.count - 1 {
                    if tree[node][at].field < 0 { tree[node][at].field = index }
                } else {
                    if tree[node][at].child < 0 {
                        tree.append([])
                        tree[node][at].child = tree.count - 1
                    }
                    node = tree[node][at].child
                }
            }
        }
        var names: [UInt8] = []
        var members: [Member] = []
        var nodes: [Range<Int>] = []
        for node in tree {
            let first = members.count
            for member in node {
                members.append(Member(name: names.count..<(names.count + member.name.count), field: member.field, child: member.child))
                names += member.name
            }
            nodes.append(first..<members.count)
        }
        (self.names, self.members, self.nodes) = (names, members, nodes)
    }

    /// Fills `fields` (one per path, in order) from the JSON text in `bytes`. A payload that is
    /// not an object has none of the fields. Throws `JSONParser.Failure` when the bytes are not JSON.
    public func read(_ bytes: UnsafeRawBufferPointer, into fields: inout [Field]) throws {
        if fields.count != paths.count { fields = Array(repeating: .absent, count: paths.count) }
        for i in fields.indices { fields[i] = .absent }
        try names.withUnsafeBytes { names in
            try members.withUnsafeBufferPointer { members in
                try nodes.withUnsafeBufferPointer { nodes in
                    try fields.withUnsafeMutableBufferPointer { fields in
                        var scanner = Scanner(bytes: bytes, names: names, members: members, nodes: nodes, fields: fields)
                        scanner.skipWhitespace()
                        if scanner.peek == UInt8(ascii: "{") {
                            try scanner.readObject(0)
                        } else {
                            _ = try scanner.skipValue()
                        }
                        scanner.skipWhitespace()
                        guard scanner.position == bytes.count else { throw scanner.failure("unexpected text after the JSON value") }
                    }
                }
            }
        }
    }

    /// A string value's UTF-8 with its escapes decoded (a lone surrogate becomes U+FFFD).
    public static func unescaped(_ bytes: UnsafeRawBufferPointer, _ field: Field) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(field.end - field.start)
        var i = field.start
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= field.end else { return nil }
            var value: UInt32 = 0
            for k in at..<(at + 4) {
                let c = bytes[k]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while i < field.end {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\"), i + 1 < field.end else {
                out.append(c)
                i += 1
                continue
            }
            let escape = bytes[i + 1]
            i += 2
            switch escape {
            case UInt8(ascii: "u"):
                var scalar = hex4(i) ?? 0xFFFD
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 1 < field.end, bytes[i] == UInt8(ascii: "\\"),
                    bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low)
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: out.append(JSONParser.escaped(escape) ?? escape)
            }
        }
        return out
    }

    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        let names: UnsafeRawBufferPointer
        let members: UnsafeBufferPointer<Member>
        let nodes: UnsafeBufferPointer<Range<Int>>
        let fields: UnsafeMutableBufferPointer<Field>
        var position = 0

        init(
            bytes: UnsafeRawBufferPointer, names: UnsafeRawBufferPointer, members: UnsafeBufferPointer<Member>,
            nodes: UnsafeBufferPointer<Range<Int>>, fields: UnsafeMutableBufferPointer<Field>
        ) {
            (self.bytes, self.names, self.members, self.nodes, self.fields) = (bytes, names, members, nodes, fields)
        }

        var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        func failure(_ reason: String) -> JSONParser.Failure { JSONParser.Failure(offset: position, reason: reason) }

        mutating func skipWhitespace() {
            while position < bytes.count {
                let c = bytes[position]
                guard c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 else { return }
                position += 1
            }
        }

        mutating func expect(_ c: UInt8) throws {
            guard peek == c else { throw failure("expected '\(Character(Unicode.Scalar(c)))'") }
            position += 1
        }

        /// At an opening quote: moves past the closing one; returns whether the string has escapes.
        mutating func skipString() throws -> Bool {
            let start = position
            var escaped = false
            // Raw loads: this loop is most of the reading.
            guard let base = bytes.baseAddress else { throw JSONParser.Failure(offset: start, reason: "unterminated string") }
            var p = position + 1
            let end = bytes.count
            while p < end {
                let c = base.load(fromByteOffset: p, as: UInt8.self)
                if c == UInt8(ascii: "\"") {
                    position = p + 1
                    return escaped
                }
                if c == UInt8(ascii: "\\") {
                    escaped = true
                    p += 2
                    continue
                }
                guard c >= 0x20 else {
                    position = p
                    throw failure("control character in a string")
                }
                p += 1
            }
            throw JSONParser.Failure(offset: start, reason: "unterminated string")
        }

        /// Moves past one value; returns where it lies and its kind.
        mutating func skipValue() throws -> Field {
            skipWhitespace()
            let start = position
            guard let c = peek else { throw failure("unexpected end of input, expected a value") }
            switch c {
            case UInt8(ascii: "\""):
                let escaped = try skipString()
                return Field(kind: escaped ? .escapedString : .string, start: start + 1, end: position - 1)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                try skipContainer()
                return Field(kind: c == UInt8(ascii: "{") ? .object : .array, start: start, end: position)
            case UInt8(ascii: "t"): try literal("true"); return Field(kind: .true, start: start, end: position)
            case UInt8(ascii: "f"): try literal("false"); return Field(kind: .false, start: start, end: position)
            case UInt8(ascii: "n"): try literal("null"); return Field(kind: .null, start: start, end: position)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                position += 1
                while position < bytes.count {
                    switch bytes[position] {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                        UInt8(ascii: "+"), UInt8(ascii: "-"):
                        position += 1
                    default: return Field(kind: .number, start: start, end: position)
                    }
                }
                return Field(kind: .number, start: start, end: position)
            default: throw failure("unexpected character, expected a value")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let count = word.utf8CodeUnitCount
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
            guard position + count <= bytes.count, bytes[position..<(position + count)].elementsEqual(expected)
            else { throw failure("expected '\(word)'") }
            position += count
        }

        /// At `{` or `[`: moves past its matching close, checking that brackets pair up (to
        /// `JSONParser.maxDepth` levels, one bit each) and that strings end.
        mutating func skipContainer() throws {
            var objects: UInt64 = 0  // bit d set: level d is an object
            var depth = 0
            repeat {
                guard position < bytes.count else { throw failure("unexpected end of input inside a container") }
                let c = bytes[position]
                switch c {
                case UInt8(ascii: "\""): _ = try skipString(); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard depth < JSONParser.maxDepth else { throw failure("nesting deeper than \(JSONParser.maxDepth) levels") }
                    if c == UInt8(ascii: "{") { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0, (objects >> UInt64(depth - 1)) & 1 == (c == UInt8(ascii: "}") ? 1 : 0) else {
                        throw failure("mismatched '\(Character(Unicode.Scalar(c)))'")
                    }
                    depth -= 1
                default: break
                }
                position += 1
            } while depth > 0
        }

        /// The member of `node` named by the bytes at `name` (escapes decoded when `escaped`).
        func member(of node: Int, named name: Range<Int>, escaped: Bool) -> Int? {
            if escaped {
                let decoded = JSONFieldReader.unescaped(bytes, Field(kind: .escapedString, start: name.lowerBound, end: name.upperBound))
                return nodes[node].first { names[members[$0].name].elementsEqual(decoded) }
            }
            guard let text = bytes.baseAddress, let wanted = names.baseAddress else { return nil }
            let count = name.count
            for m in nodes[node] {
                let candidate = members[m].name
                guard candidate.count == count else { continue }
                var i = 0
                while i < count,
                    text.load(fromByteOffset: name.lowerBound + i, as: UInt8.self)
                        == wanted.load(fromByteOffset: candidate.lowerBound + i, as: UInt8.self)
                {
                    i += 1
                }
                if i == count { return m }
            }
            return nil
        }

        /// At `{`: reads the members `node` names (descending into those with children), skips the rest.
        mutating func readObject(_ node: Int) throws {
            position += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return
            }
            while true {
                skipWhitespace()
                guard peek == UInt8(ascii: "\"") else { throw failure("expected a member name") }
                let nameStart = position + 1
                let escaped = try skipString()
                let name = nameStart..<(position - 1)
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                if let m = member(of: node, named: name, escaped: escaped) {
                    let (field, child) = (members[m].field, members[m].child)
                    if child >= 0, peek == UInt8(ascii: "{") {
                        let start = position
                        try readObject(child)
                        if field >= 0, fields[field].kind == .absent {
                            fields[field] = Field(kind: .object, start: start, end: position)
                        }
                    } else {
                        let value = try skipValue()
                        if field >= 0, fields[field].kind == .absent { fields[field] = value }
                    }
                } else {
                    _ = try skipValue()
                }
                skipWhitespace()
                guard let c = peek else { throw failure("unexpected end of input inside an object") }
                position += 1
                if c == UInt8(ascii: "}") { return }
                guard c == UInt8(ascii: ",") else {
                    position -= 1
                    throw failure("expected ',' or '}'")
                }
            }
        }
    }
}
