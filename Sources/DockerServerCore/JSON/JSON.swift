/// A JSON value (RFC 8259) that keeps object member order and the exact text of numbers, so
/// that engine answers pass through unchanged when we add a member or re-serialise them.
///
/// A small own type instead of Foundation's `JSONSerialization`: the process starts once per
/// request, and linking Foundation costs more start-up time than the whole request path.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text as it appeared (or was produced), e.g. `"42"`, `"-1.5e3"`.
    case number(String)
    case string(String)
    case array([JSON])
    /// Members in order; keys may repeat only if the input repeated them.
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// An integer as a JSON number.
    public static func int(_ value: Int) -> JSON { .number(String(value)) }

    /// The member `key` of an object (the first one if repeated), else nil.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The string payload of a `.string`, else nil.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The integer value of a `.number` whose text is an integer in `Int` range, else nil.
    public var intValue: Int? {
        if case let .number(text) = self { return Int(text) }
        return nil
    }

    /// This object with `key` set to `value` (replacing an existing member in place, or
    /// appending). Non-objects are returned unchanged.
    public func setting(_ key: String, to value: JSON) -> JSON {
        guard case var .object(members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == key }) {
            members[index].1 = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }
}

// MARK: - Serialisation

extension JSON {
    /// Compact UTF-8 serialisation (no spaces), strings escaped per RFC 8259 §7.
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    /// Appends the compact serialisation to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .number(text): out.append(contentsOf: text.utf8)
        case let .string(s): JSON.writeString(s, into: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
