/// Base64 decoding (RFC 4648 §4, standard alphabet), as used by HTTP Basic credentials
/// (RFC 7617). Padding is optional; whitespace and other characters are rejected.
public enum Base64 {
    /// The decoded bytes, or nil when `text` is not valid base64.
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for b in text.utf8 {
            if b == UInt8(ascii: "=") { padding += 1; continue }
            guard padding == 0 else { return nil }
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(b - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(b - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(b - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            default: return nil
            }
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        if padding > 0, (values.count + padding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 1 < values.count {
            let n = min(4, values.count - i)
            var acc: UInt32 = 0
            for k in 0..<4 { acc = acc << 6 | UInt32(k < n ? values[i + k] : 0) }
            out.append(UInt8(truncatingIfNeeded: acc >> 16))
            if n > 2 { out.append(UInt8(truncatingIfNeeded: acc >> 8)) }
            if n > 3 { out.append(UInt8(truncatingIfNeeded: acc)) }
            i += 4
        }
        return out
    }

    /// Encodes bytes with padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var acc: UInt32 = 0
            for k in 0..<3 { acc = acc << 8 | UInt32(k < n ? bytes[i + k] : 0) }
            for k in 0..<4 {
                out.append(k <= n ? alphabet[Int((acc >> (18 - 6 * UInt32(k))) & 63)] : UInt8(ascii: "="))
            }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
