/// Percent-encoding (RFC 3986 §2.1) and `application/x-www-form-urlencoded` decoding.
public enum PercentEncoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`, for form data) to bytes.
    /// - Throws: `HTTPError` 400 for a `%` not followed by two hex digits.
    public static func decodeBytes(_ text: some StringProtocol, plusIsSpace: Bool = false) throws(HTTPError) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else {
                    throw HTTPError.badRequest("invalid percent-encoding")
                }
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? 0x20 : b)
                i += 1
            }
        }
        return out
    }

    /// Decodes to a string; invalid UTF-8 is rejected. Control characters (NUL included) are
    /// kept: callers that must refuse them check the result (as `RequestTarget` does).
    /// - Throws: `HTTPError` 400.
    public static func decode(_ text: some StringProtocol, plusIsSpace: Bool = false) throws(HTTPError) -> String {
        let bytes = try decodeBytes(text, plusIsSpace: plusIsSpace)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw HTTPError.badRequest("percent-encoded text is not valid UTF-8")
        }
        return s
    }

    /// True for `0-9`, `a-f`, `A-F`.
    static func isHexDigit(_ b: UInt8) -> Bool { hexValue(b) != nil }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Encodes every byte except the unreserved set `A-Z a-z 0-9 - . _ ~`, so the result is
    /// one path segment or query value that cannot change the URL's structure.
    public static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `a=1&b=2` into decoded pairs in order (form rules: `+` is a space). A pair
    /// without `=` has an empty value; empty pairs are skipped.
    /// - Throws: `HTTPError` 400 for invalid escapes or UTF-8.
    public static func formPairs(_ text: some StringProtocol) throws(HTTPError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (name, value) in try formPairBytes(text) {
            guard let value = String(validating: value, as: UTF8.self) else {
                throw HTTPError.badRequest("the value of \"\(name)\" is not valid UTF-8 once percent-decoded")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    /// `formPairs` with the values as bytes, which may be any bytes (`input=%00%FF`); names
    /// must be UTF-8.
    /// - Throws: `HTTPError` 400 for invalid escapes or a name that is not UTF-8.
    public static func formPairBytes(_ text: some StringProtocol) throws(HTTPError) -> [(String, [UInt8])] {
        var pairs: [(String, [UInt8])] = []
        // By bytes, as the WHATWG urlencoded parser splits: as Characters, `&` or `=` followed
        // by a combining mark would be one Character and separate nothing.
        for part in Array(text.utf8).split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let eq = part.firstIndex(of: UInt8(ascii: "="))
            let nameBytes = try decodeBytes(String(decoding: eq.map { part[..<$0] } ?? part[...], as: UTF8.self), plusIsSpace: true)
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                throw HTTPError.badRequest("percent-encoded text is not valid UTF-8")
            }
            let value = try decodeBytes(String(decoding: eq.map { part[($0 + 1)...] } ?? [], as: UTF8.self), plusIsSpace: true)
            pairs.append((name, value))
        }
        return pairs
    }
}
