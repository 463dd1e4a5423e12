/// Decodes the chunked transfer coding (RFC 9112 §7.1) as bytes arrive, for request bodies
/// and engine answers alike, following the grammar exactly (a parser that guesses where a
/// proxy in front does not is a request smuggling primitive):
///
///     chunk      = 1*HEXDIG [ chunk-ext ] CRLF chunk-data CRLF
///     chunk-ext  = *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )
///     last-chunk = 1*"0" [ chunk-ext ] CRLF, then field lines, then CRLF
///
/// No space before the size, none after it but before a `;`, CRLF only. Extensions and
/// trailer fields are checked and dropped. Memory: the current line (at most 4096 bytes).
/// Bounds: the framing around a bounded body (size lines, extensions, CRLFs) at most
/// `maxFramingBytes`; the trailer section at most `Limits.maxHeaderBytes`, as the header
/// section.
public struct ChunkedDecoder: Sendable {
    /// Why the input is refused.
    public enum Failure: Error, Equatable, Sendable {
        /// Off the grammar; the message says where.
        case malformed(String)
        /// The body is larger than `maxBodyBytes`.
        case tooLarge
        /// The framing around a bounded body is larger than `maxFramingBytes`.
        case framingTooLarge
        /// The trailer section is larger than `Limits.maxHeaderBytes`.
        case trailersTooLarge
    }

    enum State: Equatable, Sendable { case size, data(Int), dataEnd, trailer, done }
    var state = State.size
    var line: [UInt8] = []
    /// Body bytes decoded so far.
    public private(set) var bodyCount = 0
    /// Input bytes taken so far; once `isDone`, the length of the whole encoding.
    public private(set) var consumed = 0
    /// Bytes of the trailer section taken so far.
    var trailerBytes = 0
    /// Largest framing around a bounded body, bytes: room for thousands of chunks with
    /// short extensions, not for megabytes of extensions around a small body.
    public static let maxFramingBytes = 64 * 1024
    /// Largest body, bytes; nil for no limit (engine streams).
    public let maxBodyBytes: Int?

    public init(maxBodyBytes: Int? = nil) { self.maxBodyBytes = maxBodyBytes }

    /// True once the last chunk and its trailer section were read.
    public var isDone: Bool { state == .done }

    /// Consumes `input` (bytes after the end are not taken); returns the data it carried.
    /// - Throws: `Failure.malformed` off the grammar, `.tooLarge` past `maxBodyBytes` (as
    ///   soon as a chunk size announces it), `.framingTooLarge` past `maxFramingBytes`,
    ///   `.trailersTooLarge` past `Limits.maxHeaderBytes` of trailer section.
    public mutating func feed(_ input: some Collection<UInt8>) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        var i = input.startIndex
        while i < input.endIndex, state != .done {
            if case .data(let remaining) = state {
                let end = input.index(i, offsetBy: remaining, limitedBy: input.endIndex) ?? input.endIndex
                let taken = input.distance(from: i, to: end)
                out.append(contentsOf: input[i..<end])
                consumed += taken
                i = end
                state = remaining == taken ? .dataEnd : .data(remaining - taken)
                continue
            }
            let byte = input[i]
            i = input.index(after: i)
            consumed += 1
            if state == .trailer {
                trailerBytes += 1
                if trailerBytes > Limits.maxHeaderBytes { throw .trailersTooLarge }
            } else if maxBodyBytes != nil, consumed - bodyCount > ChunkedDecoder.maxFramingBytes {
                throw .framingTooLarge
            }
            if state == .dataEnd {
                // Exactly CRLF after the data.
                line.append(byte)
                guard line == [0x0D] || line == [0x0D, 0x0A] else { throw .malformed("chunk data not followed by CRLF") }
                if line.count == 2 {
                    line.removeAll(keepingCapacity: true)
                    state = .size
                }
                continue
            }
            guard byte == 0x0A else {
                line.append(byte)
                if line.count > 4096 { throw .malformed("chunk line longer than 4096 bytes") }
                continue
            }
            guard line.last == 0x0D else { throw .malformed("chunk line not ended by CRLF") }
            line.removeLast()
            guard !line.contains(0x0D) else { throw .malformed("bare CR in a chunk line") }
            defer { line.removeAll(keepingCapacity: true) }
            if state == .trailer {
                if line.isEmpty {
                    state = .done
                } else {
                    do { _ = try RequestHeadParser.parseField(line[...]) } catch { throw .malformed("invalid trailer field: \(error.message)") }
                }
                continue
            }
            let size = try ChunkedDecoder.size(line[...])
            if let maxBodyBytes, bodyCount + size > maxBodyBytes { throw .tooLarge }
            bodyCount += size
            state = size == 0 ? .trailer : .data(size)
        }
        return out
    }

    /// The size of a chunk size line: hex digits, then only chunk extensions.
    static func size(_ line: ArraySlice<UInt8>) throws(Failure) -> Int {
        let digits = line.prefix { PercentEncoding.isHexDigit($0) }
        guard !digits.isEmpty, isChunkExtensions(line.dropFirst(digits.count)) else {
            throw .malformed("invalid chunk size line (expected hex digits, then only ;extensions)")
        }
        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        // More than 15 hex digits would not fit an Int; past any limit anyway.
        guard significant.count <= 15 else { throw .tooLarge }
        return significant.isEmpty ? 0 : Int(String(decoding: significant, as: UTF8.self), radix: 16)!
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

extension ChunkedDecoder {
    /// Result of decoding a whole buffer.
    public enum Outcome: Equatable, Sendable {
        /// The last chunk and trailer section have not arrived yet.
        case needMore
        /// The whole body, and how many input bytes it took (trailers included).
        case complete(body: [UInt8], consumed: Int)
    }

    /// Decodes a chunked request body from all the bytes received so far.
    /// - Throws: `HTTPError` 413 past `maxBodyBytes` or `maxFramingBytes`, 431 past
    ///   `Limits.maxHeaderBytes` of trailers, 400 off the grammar.
    public static func decode(_ input: [UInt8], maxBodyBytes: Int) throws(HTTPError) -> Outcome {
        var decoder = ChunkedDecoder(maxBodyBytes: maxBodyBytes)
        let body = try decoder.requestBody(input)
        return decoder.isDone ? .complete(body: body, consumed: decoder.consumed) : .needMore
    }

    /// `feed` for a request body: failures as the client's errors (400, 413, 431).
    public mutating func requestBody(_ input: some Collection<UInt8>) throws(HTTPError) -> [UInt8] {
        do { return try feed(input) } catch {
            switch error {
            case .tooLarge:
                throw HTTPError(413, "request body larger than \(maxBodyBytes ?? 0) bytes", reason: .bodyTooLarge)
            case .framingTooLarge:
                throw HTTPError(413, "chunked framing (sizes, extensions) larger than \(ChunkedDecoder.maxFramingBytes) bytes", reason: .bodyTooLarge)
            case .trailersTooLarge:
                throw HTTPError(431, "trailer section larger than \(Limits.maxHeaderBytes) bytes", reason: .headersTooLarge)
            case .malformed(let message): throw HTTPError.badRequest(message, reason: .badChunk)
            }
        }
    }
}
