/// JSON for people to read (documents such as docs/events.schema.json): the canonical form's
/// member order, strings and numbers, indented two spaces per level; short arrays of scalars on
/// one line. Never hashed: only `CanonicalJSON` bytes are.
public enum PrettyJSON {
    public static func string(of value: JSONValue) -> String {
        var out: [UInt8] = []
        append(value, indent: 0, to: &out)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ value: JSONValue, indent: Int, to out: inout [UInt8]) {
        switch value {
        case .array(let elements) where !elements.isEmpty && !elements.allSatisfy(isScalar):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                out.append(contentsOf: (index > 0 ? ",\n" : "\n").utf8)
                pad(indent + 1, &out)
                append(element, indent: indent + 1, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
            pad(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(contentsOf: ", ".utf8) }
                CanonicalJSON.append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: CanonicalJSON.utf16Precedes).enumerated() {
                out.append(contentsOf: (index > 0 ? ",\n" : "\n").utf8)
                pad(indent + 1, &out)
                CanonicalJSON.appendString(key, to: &out)
                out.append(contentsOf: ": ".utf8)
                append(members[key]!, indent: indent + 1, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
            pad(indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            CanonicalJSON.append(value, to: &out)
        }
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .array, .object: false
        default: true
        }
    }

    private static func pad(_ level: Int, _ out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: level * 2))
    }
}
