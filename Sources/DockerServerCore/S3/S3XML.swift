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
        let text = bytes[...]
        guard find(Array("<ListBucketResult".utf8), in: text, from: text.startIndex) != nil else {
            throw StoreError("S3 answered a listing that is not a ListBucketResult")
        }
        // A listing cut short (a connection closed early) must not pass for a shorter one.
        guard find(Array("</ListBucketResult>".utf8), in: text, from: text.startIndex) != nil else {
            throw StoreError("S3 answered an incomplete listing")
        }
        let keys = elements("Contents", in: text).compactMap { elements("Key", in: $0).first.map(unescape) }
        let truncated = elements("IsTruncated", in: text).first.map(unescape) == "true"
        let next = elements("NextContinuationToken", in: text).first.map(unescape)
        if truncated && (next ?? "").isEmpty { throw StoreError("S3 answered a truncated listing without a continuation token") }
        return Listing(keys: keys, truncated: truncated, nextToken: next)
    }

    /// `Code` and `Message` of an S3 `Error` document, nil when there is none.
    public static func error(_ bytes: [UInt8]) -> (code: String, message: String)? {
        let text = bytes.prefix(16384)
        guard let error = elements("Error", in: text).first, let code = elements("Code", in: error).first else { return nil }
        return (unescape(code), elements("Message", in: error).first.map(unescape) ?? "")
    }

    /// The content of each `<name>…</name>` (or `<name attributes>…`) in `text`, still
    /// escaped (an element's content is unescaped once, where it is text: unescaping a parent
    /// before reading its children would decode `&amp;lt;` twice and let an escaped
    /// `&lt;/Key&gt;` in a key end the key); an empty element `<name/>` gives an empty content.
    /// By bytes, not Characters: a combining mark after a `>` or `;` must not hide it.
    static func elements(_ name: String, in text: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var found: [ArraySlice<UInt8>] = []
        let open = Array("<\(name)".utf8), close = Array("</\(name)>".utf8)
        var i = text.startIndex
        while let start = find(open, in: text, from: i) {
            let after = start + open.count
            guard after < text.endIndex else { break }
            if text[after] == UInt8(ascii: "/"), after + 1 < text.endIndex, text[after + 1] == UInt8(ascii: ">") {
                found.append(text[after..<after])
                i = after + 2
                continue
            }
            guard text[after] == UInt8(ascii: ">") || text[after] == UInt8(ascii: " ") else {
                i = after
                continue
            }
            // No ">" left: no element can follow (and searching again from each "<name" of a
            // hostile body would take quadratic time).
            guard let end = text[after...].firstIndex(of: UInt8(ascii: ">")) else { break }
            guard let closing = find(close, in: text, from: end + 1) else { break }
            found.append(text[(end + 1)..<closing])
            i = closing + close.count
        }
        return found
    }

    /// Where `pattern` first occurs in `text` at or after `from`.
    static func find(_ pattern: [UInt8], in text: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = pattern.first, text.endIndex - from >= pattern.count else { return nil }
        var i = from
        while i + pattern.count <= text.endIndex {
            if text[i] == first, text[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    /// XML's predefined entities and character references, decoded; the text as UTF-8
    /// (invalid sequences replaced).
    static func unescape(_ text: ArraySlice<UInt8>) -> String {
        guard text.contains(UInt8(ascii: "&")) else { return String(decoding: text, as: UTF8.self) }
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            guard text[i] == UInt8(ascii: "&"),
                  let semi = text[(i + 1)..<min(i + 12, text.endIndex)].firstIndex(of: UInt8(ascii: ";")) else {
                out.append(text[i])
                i += 1
                continue
            }
            let entity = String(decoding: text[(i + 1)..<semi], as: UTF8.self)
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
                out += decoded.utf8
                i = semi + 1
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
