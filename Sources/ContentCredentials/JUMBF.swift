/// JPEG Universal Metadata Box Format (ISO/IEC 19566-5), the boxes a C2PA manifest store is
/// made of: a superbox (`jumb`) holds a description box (`jumd`: a type UUID, toggles and a
/// label) followed by content boxes (`cbor`, `json`, or more superboxes). Every box is a 4-byte
/// big-endian length that counts its own 8-byte header, then a 4-character type, then its data.
public enum JUMBF {
    /// A C2PA box type UUID: the four type characters, then 0011-0010-8000-00AA00389B71
    /// (C2PA specification, "Use of JUMBF").
    public static func c2paType(_ fourCC: String) -> [UInt8] {
        precondition(fourCC.utf8.count == 4)
        return Array(fourCC.utf8) + [0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    }

    public static let manifestStore = c2paType("c2pa")
    public static let manifest = c2paType("c2ma")
    public static let assertionStore = c2paType("c2as")
    public static let claim = c2paType("c2cl")
    public static let signature = c2paType("c2cs")
    public static let cborContent = c2paType("cbor")
    public static let jsonContent = c2paType("json")

    /// One box: its type and data.
    public static func box(_ type: String, _ data: [UInt8]) -> [UInt8] {
        precondition(type.utf8.count == 4)
        return bigEndian(UInt32(8 + data.count)) + Array(type.utf8) + data
    }

    /// A description box: the type UUID, toggles 0x03 (requestable, label present) and the
    /// NUL-terminated label.
    public static func description(type uuid: [UInt8], label: String) -> [UInt8] {
        precondition(uuid.count == 16 && !label.utf8.contains(0))
        return box("jumd", uuid + [0x03] + Array(label.utf8) + [0])
    }

    /// A superbox: its description, then its content boxes.
    public static func superbox(type uuid: [UInt8], label: String, contents: [[UInt8]]) -> [UInt8] {
        box("jumb", description(type: uuid, label: label) + contents.flatMap { $0 })
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    // MARK: Reading

    /// A box read back: its type, label (for a superbox) and the range of its data.
    public struct Box: Sendable, Equatable {
        public var type: String
        /// The description box's type UUID and label, for a superbox.
        public var uuid: [UInt8]?
        public var label: String?
        /// The box's data: after the 8-byte header.
        public var data: ArraySlice<UInt8>
        /// Content boxes of a superbox (after its description box).
        public var children: [Box]
    }

    public struct ReadingError: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "JUMBF at byte \(offset): \(reason)" }
    }

    /// The boxes laid end to end in `bytes`; superboxes are read to `maxDepth` levels.
    public static func read(_ bytes: ArraySlice<UInt8>, maxDepth: Int = 8) throws -> [Box] {
        var boxes: [Box] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            guard bytes.endIndex - offset >= 8 else { throw ReadingError(offset: offset, reason: "a box header runs past the end") }
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 8, length <= bytes.endIndex - offset else {
                throw ReadingError(offset: offset, reason: "a box length of \(length) does not fit")
            }
            guard let type = String(validating: bytes[offset + 4..<offset + 8], as: UTF8.self) else {
                throw ReadingError(offset: offset, reason: "a box type is not text")
            }
            let data = bytes[offset + 8..<offset + length]
            var box = Box(type: type, data: data, children: [])
            if type == "jumb" {
                guard maxDepth > 0 else { throw ReadingError(offset: offset, reason: "superboxes nested too deep") }
                var inner = try read(data, maxDepth: maxDepth - 1)
                guard let first = inner.first, first.type == "jumd", first.data.count >= 17 else {
                    throw ReadingError(offset: offset, reason: "a superbox does not start with a description box")
                }
                box.uuid = Array(first.data.prefix(16))
                if first.data[first.data.startIndex + 16] & 0x02 != 0 {
                    let labelBytes = first.data.dropFirst(17).prefix { $0 != 0 }
                    box.label = String(decoding: labelBytes, as: UTF8.self)
                }
                inner.removeFirst()
                box.children = inner
            }
            boxes.append(box)
            offset += length
        }
        return boxes
    }
}
