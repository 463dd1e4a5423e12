/// Decodes a chunked request body (RFC 9112 §7.1) from the bytes received so far, following
/// the grammar exactly (a parser that guesses where a proxy in front does not is a request
/// smuggling primitive):
///
///     chunk      = 1*HEXDIG [ chunk-ext ] CRLF chunk-data CRLF
///     chunk-ext  = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )
///     last-chunk = 1*"0" [ chunk-ext ] CRLF, then field lines, then CRLF
///
/// No space before the size, none after it but before a `;`, CRLF only. Extensions and
/// trailer fields are checked and ignored.
public enum ChunkedDecoder {
    public enum Outcome: Equatable, Sendable {
        /// The last chunk and trailer section have not arrived yet.
        case needMore
        /// The whole body, and how many input bytes it took (trailers included).
        case complete(body: [UInt8], consumed: Int)
    }

    /// Decodes `input`.
    /// - Parameter maxBodyBytes: limit of the decoded body in bytes.
    /// - Throws: `HTTPError` 413 when the decoded body would exceed `maxBodyBytes` (or the
    ///   encoded form, trailers included, is far larger than it could be), 400 for anything
    ///   off the grammar.
    public static func decode(_ input: [UInt8], maxBodyBytes: Int) throws(HTTPError) -> Outcome {
        let tooLarge = HTTPError(413, "request body larger than \(maxBodyBytes) bytes", reason: "body_too_large")
        var body: [UInt8] = []
        var i = 0
        func needMore() throws(HTTPError) -> Outcome {
            if input.count > maxBodyBytes + 65536 { throw tooLarge }
            return .needMore
        }
        /// The next line without its CRLF, nil when it has not arrived whole.
        func line() throws(HTTPError) -> ArraySlice<UInt8>? {
            guard let lf = input[i...].firstIndex(of: 0x0A) else {
                if input.count - i > 4096 { throw HTTPError.badRequest("chunk line longer than 4096 bytes", reason: "bad_chunk") }
                return nil
            }
            guard lf > i, input[lf - 1] == 0x0D else { throw HTTPError.badRequest("chunk line not ended by CRLF", reason: "bad_chunk") }
            let text = input[i..<(lf - 1)]
            guard !text.contains(0x0D) else { throw HTTPError.badRequest("bare CR in a chunk line", reason: "bad_chunk") }
            i = lf + 1
            return text
        }
        while true {
            guard let sizeLine = try line() else { return try needMore() }
            let digits = sizeLine.prefix { PercentEncoding.isHexDigit($0) }
            guard !digits.isEmpty, isChunkExtensions(sizeLine.dropFirst(digits.count)) else {
                throw HTTPError.badRequest("invalid chunk size line (expected hex digits, then only ;extensions)", reason: "bad_chunk")
            }
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            // More than 8 hex digits is more than 4 GiB: past any limit.
            guard significant.count <= 8 else { throw tooLarge }
            let size = significant.isEmpty ? 0 : Int(String(decoding: significant, as: UTF8.self), radix: 16)!
            if body.count + size > maxBodyBytes { throw tooLarge }
            if size == 0 {
                // Trailer section: field lines until an empty line.
                while true {
                    guard let trailer = try line() else { return try needMore() }
                    if trailer.isEmpty { return .complete(body: body, consumed: i) }
                    _ = try RequestHeadParser.parseField(trailer)
                }
            }
            guard input.count - i >= size + 2 else { return try needMore() }
            body.append(contentsOf: input[i..<(i + size)])
            i += size
            guard input[i] == 0x0D, input[i + 1] == 0x0A else { throw HTTPError.badRequest("chunk data not followed by CRLF", reason: "bad_chunk") }
            i += 2
        }
    }

    /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`.
    static func isChunkExtensions(_ text: ArraySlice<UInt8>) -> Bool {
        var i = text.startIndex
        func whitespace() { while i < text.endIndex, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < text.endIndex, RequestHeadParser.isTokenByte(text[i]) { i += 1 }
            return i > start
        }
        func quotedString() -> Bool {
            guard i < text.endIndex, text[i] == UInt8(ascii: "\"") else { return false }
            i += 1
            while i < text.endIndex {
                let b = text[i]
                if b == UInt8(ascii: "\"") { i += 1; return true }
                if b == UInt8(ascii: "\\") {
                    guard i + 1 < text.endIndex, text[i + 1] == 0x09 || text[i + 1] >= 0x20 && text[i + 1] != 0x7F else { return false }
                    i += 2
                    continue
                }
                guard b == 0x09 || b >= 0x20 && b != 0x7F else { return false }
                i += 1
            }
            return false
        }
        while true {
            whitespace()
            guard i < text.endIndex else { return i == text.startIndex }  // trailing whitespace alone is not an extension
            guard text[i] == UInt8(ascii: ";") else { return false }
            i += 1
            whitespace()
            guard token() else { return false }
            let afterName = i
            whitespace()
            if i < text.endIndex, text[i] == UInt8(ascii: "=") {
                i += 1
                whitespace()
                guard token() || quotedString() else { return false }
            } else {
                i = afterName
            }
            if i == text.endIndex { return true }
        }
    }
}
