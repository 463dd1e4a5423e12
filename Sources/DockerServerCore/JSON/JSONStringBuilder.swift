/// Builds the inside of a JSON string (RFC 8259 §7, without the quotes) from raw bytes that
/// arrive in pieces, such as a container's output: invalid UTF-8 becomes U+FFFD (as
/// `String(decoding:as:)` replaces it), a UTF-8 sequence split between pieces is kept whole,
/// and the escaped text stops at `limit` bytes (never inside an escape or a character), after
/// which `truncated` is set and further input is dropped. Memory is bounded by `limit`.
public struct JSONStringBuilder: Sendable {
    /// The escaped text so far.
    public private(set) var escaped: [UInt8] = []
    /// Input was dropped because the escaped text reached `limit`.
    public private(set) var truncated = false
    /// Largest escaped text, in bytes.
    public let limit: Int
    /// The start of a UTF-8 sequence that the next piece may complete.
    var pending: [UInt8] = []

    public init(limit: Int) { self.limit = limit }

    /// Adds raw bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard !truncated, !bytes.isEmpty else { return }
        var input = pending
        input.append(contentsOf: bytes)
        let end = JSONStringBuilder.completeLength(input)
        pending = Array(input[end...])
        if end > 0 { add(decoding: input[..<end]) }
    }

    /// Ends the input: an incomplete sequence left at the end becomes U+FFFD.
    public mutating func finish() {
        guard !truncated, !pending.isEmpty else { return }
        let rest = pending
        pending = []
        add(decoding: rest[...])
    }

    /// Decodes `bytes` (replacing invalid UTF-8) and appends their escaped text while it fits.
    mutating func add(decoding bytes: ArraySlice<UInt8>) {
        // Past 64 KiB, room for the whole limit at once: no copy when the array grows (pages
        // not written yet cost no memory).
        if escaped.count > 65536, escaped.capacity < limit { escaped.reserveCapacity(limit) }
        var text = String(decoding: bytes, as: UTF8.self)
        text.withUTF8 { utf8 in
            var i = 0
            while i < utf8.count {
                let byte = utf8[i]
                // A character's bytes (or an escape) go in whole or not at all.
                let length = byte < 0x80 ? JSONStringBuilder.escapedLength(byte) : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                guard escaped.count + length <= limit else {
                    truncated = true
                    pending = []
                    return
                }
                if byte >= 0x80 {
                    escaped.append(contentsOf: utf8[i..<min(i + length, utf8.count)])
                    i += length
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): escaped.append(0x5C); escaped.append(byte)
                case 0x0A: escaped.append(0x5C); escaped.append(UInt8(ascii: "n"))
                case 0x0D: escaped.append(0x5C); escaped.append(UInt8(ascii: "r"))
                case 0x09: escaped.append(0x5C); escaped.append(UInt8(ascii: "t"))
                case 0..<0x20, 0x7F:
                    let hex: StaticString = "0123456789abcdef"
                    escaped.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                    escaped.append(hex.utf8Start[Int(byte >> 4)])
                    escaped.append(hex.utf8Start[Int(byte & 0xF)])
                default: escaped.append(byte)
                }
                i += 1
            }
        }
    }

    /// Bytes of the JSON text of ASCII `byte`: 1, 2 for the short escapes, 6 for `\u00XX`.
    static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: return 2
        case 0..<0x20, 0x7F: return 6
        default: return 1
        }
    }

    /// How many leading bytes of `input` can be decoded now: all but a last UTF-8 sequence
    /// that has started and is not complete yet.
    static func completeLength(_ input: [UInt8]) -> Int {
        var start = input.count - 1
        // Back over continuation bytes (at most 3) to the byte that starts the last sequence.
        while start >= 0, input.count - start <= 3, input[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return input.count }
        let lead = input[start]
        let length = (0xF0...0xF4).contains(lead) ? 4 : (0xE0...0xEF).contains(lead) ? 3 : (0xC2...0xDF).contains(lead) ? 2 : 1
        return input.count - start < length ? start : input.count
    }
}
