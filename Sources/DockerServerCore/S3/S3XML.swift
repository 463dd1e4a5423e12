/// The parts of S3's XML answers the store reads (Amazon S3 API Reference: ListObjectsV2,
/// Error responses). Elements are found by name; their text is unescaped (the five XML
/// entities and numeric character references). S3 sends no CDATA or comments in these.
public enum S3XML {
    /// One page of ListObjectsV2.
    public struct Listing: Equatable, Sendable {
        /// The `Key` of every `Contents` element, in order.
        public var keys: [String]
        /// `IsTruncated`: more pages follow.
        public var truncated: Bool
        /// `NextContinuationToken`, for the next page.
        public var nextToken: String?
    }

    /// Reads a `ListBucketResult`, linear in its size.
    /// - Throws: `StoreError` when it is not one, or not a whole one.
    public static func listing(_ bytes: [UInt8]) throws(StoreError) -> Listing {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("<ListBucketResult") else { throw StoreError("S3 answered a listing that is not a ListBucketResult") }
        // A listing cut short (a connection closed early) must not pass for a shorter one.
        guard text.contains("</ListBucketResult>") else { throw StoreError("S3 answered an incomplete listing") }
        let keys = elements("Contents", in: text).compactMap { elements("Key", in: $0).first }
        let truncated = elements("IsTruncated", in: text).first == "true"
        let next = elements("NextContinuationToken", in: text).first
        if truncated && (next ?? "").isEmpty { throw StoreError("S3 answered a truncated listing without a continuation token") }
        return Listing(keys: keys, truncated: truncated, nextToken: next)
    }

    /// `Code` and `Message` of an S3 `Error` document, nil when there is none.
    public static func error(_ bytes: [UInt8]) -> (code: String, message: String)? {
        let text = String(decoding: bytes.prefix(16384), as: UTF8.self)
        guard let error = elements("Error", in: text).first, let code = elements("Code", in: error).first else { return nil }
        return (code, elements("Message", in: error).first ?? "")
    }

    /// The unescaped text inside each `<name>…</name>` (or `<name attributes>…`) in `text`;
    /// an empty element `<name/>` gives "".
    static func elements(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        let close = "</\(name)>"
        while let open = rest.firstRange(of: "<\(name)") {
            let after = rest[open.upperBound...]
            guard let first = after.first else { break }
            if after.hasPrefix("/>") {
                found.append("")
                rest = after.dropFirst(2)
                continue
            }
            guard first == ">" || first == " " else {
                rest = after
                continue
            }
            // No ">" left: no element can follow (and searching again from each "<name" of a
            // hostile body would take quadratic time).
            guard let end = after.firstIndex(of: ">") else { break }
            let content = after[after.index(after: end)...]
            guard let closing = content.firstRange(of: close) else { break }
            found.append(unescape(content[..<closing.lowerBound]))
            rest = content[closing.upperBound...]
        }
        return found
    }

    /// XML's predefined entities and character references, decoded.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: semi) <= 10 else {
                out += "&"
                rest = after
                continue
            }
            let entity = after[..<semi]
            var decoded: String?
            switch entity {
            case "amp": decoded = "&"
            case "lt": decoded = "<"
            case "gt": decoded = ">"
            case "quot": decoded = "\""
            case "apos": decoded = "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                decoded = number.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
            }
            if let decoded {
                out += decoded
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }
}
