/// Proactive content negotiation on `Accept` (RFC 9110 §12.5.1): media ranges with
/// wildcards and q-values. The weight of a type is the q of the most specific range that
/// matches it (a type with parameters, then the type, then `type/*`, then `*/*`); the
/// acceptable type (q > 0) with the highest weight wins, ties going to the more specific
/// match, then to the range named first, then to the server's order.
public enum ContentNegotiation {
    /// The chosen media type among `offered` (`type/subtype`, lowercase, in the server's
    /// order of preference), or nil when `accept` makes none acceptable. No `Accept` field,
    /// or one with nothing usable in it, accepts everything: the first offered type.
    public static func choose(_ offered: [String], accept: String?) -> String? {
        guard let accept, !accept.trimmingSpaces.isEmpty else { return offered.first }
        let ranges = parse(accept)
        guard !ranges.isEmpty else { return offered.first }
        var best: (type: String, q: Int, specificity: Int, position: Int)?
        for type in offered {
            // The most specific range naming the type decides its weight.
            var match: (q: Int, specificity: Int, position: Int)?
            for (position, range) in ranges.enumerated() {
                guard let specificity = range.specificity(for: type) else { continue }
                if match == nil || specificity > match!.specificity { match = (range.q, specificity, position) }
            }
            guard let match, match.q > 0 else { continue }
            if let current = best {
                let better = match.q != current.q ? match.q > current.q
                    : match.specificity != current.specificity ? match.specificity > current.specificity
                    : match.position < current.position
                if !better { continue }
            }
            best = (type, match.q, match.specificity, match.position)
        }
        return best?.type
    }

    /// One media range of an `Accept` field, its weight in thousandths.
    struct MediaRange {
        var type: String
        var subtype: String
        /// Parameters other than `q`, lowercase names.
        var parameters: [(String, String)]
        var q: Int

        /// How specifically this range names `offered` (3 with matching parameters, 2 the
        /// type, 1 `type/*`, 0 `*/*`), nil when it does not. Only `charset` is understood as a
        /// parameter (ours is UTF-8); a range with another parameter does not match.
        func specificity(for offered: String) -> Int? {
            let parts = offered.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            if type == "*" { return subtype == "*" && parameters.isEmpty ? 0 : nil }
            guard type == parts[0] else { return nil }
            if subtype == "*" { return parameters.isEmpty ? 1 : nil }
            guard subtype == parts[1] else { return nil }
            guard !parameters.isEmpty else { return 2 }
            let utf8 = parameters.allSatisfy { $0.0 == "charset" && ["utf-8", "utf8"].contains($0.1.lowercased()) }
            return utf8 ? 3 : nil
        }
    }

    /// The well-formed ranges of an `Accept` field value, in order. Malformed members (not
    /// `token/token`, or a q that is not `0`–`1` with at most three decimals) are skipped;
    /// so are empty members and empty parameters (`#` lists and `*( OWS ";" OWS [ parameter
    /// ] )`, RFC 9110 §5.6.1, §5.6.6). Commas and semicolons inside quoted strings separate
    /// nothing.
    static func parse(_ accept: String) -> [MediaRange] {
        var ranges: [MediaRange] = []
        for member in split(Substring(accept), on: UInt8(ascii: ",")) {
            let pieces = split(member, on: UInt8(ascii: ";")).map { $0.trimmingSpaces }
            guard let first = pieces.first, !first.isEmpty else { continue }
            let names = first.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard names.count == 2, names.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(RequestHeadParser.isTokenByte) }),
                  names[0] != "*" || names[1] == "*" else { continue }
            var range = MediaRange(type: names[0], subtype: names[1], parameters: [], q: 1000)
            var valid = true
            for parameter in pieces.dropFirst() where !parameter.isEmpty {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
                guard pair.count == 2, !pair[0].isEmpty else { valid = false; break }
                let name = pair[0].lowercased()
                if name == "q" {
                    guard let q = weight(pair[1]) else { valid = false; break }
                    range.q = q
                    break  // what follows q are accept-extensions, not media type parameters
                }
                var value = pair[1]
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                range.parameters.append((name, value))
            }
            if valid { ranges.append(range) }
        }
        return ranges
    }

    /// `text` cut at each `separator` outside quoted strings (where `\\` escapes the next byte).
    static func split(_ text: Substring, on separator: UInt8) -> [Substring] {
        var pieces: [Substring] = []
        var start = text.startIndex
        var quoted = false, escaped = false
        for i in text.utf8.indices {
            let b = text.utf8[i]
            if escaped { escaped = false; continue }
            if quoted, b == UInt8(ascii: "\\") { escaped = true; continue }
            if b == UInt8(ascii: "\"") { quoted.toggle(); continue }
            if !quoted, b == separator {
                pieces.append(text[start..<i])
                start = text.utf8.index(after: i)
            }
        }
        pieces.append(text[start...])
        return pieces
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
    static func weight(_ text: String) -> Int? {
        let b = Array(text.utf8)
        guard let first = b.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        guard b.count > 1 else { return first == UInt8(ascii: "1") ? 1000 : 0 }
        guard b[1] == UInt8(ascii: "."), b.count <= 5, b[2...].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        var thousandths = 0
        for k in 2..<5 { thousandths = thousandths * 10 + (k < b.count ? Int(b[k] - 0x30) : 0) }
        if first == UInt8(ascii: "1") { return thousandths == 0 ? 1000 : nil }
        return thousandths
    }
}
