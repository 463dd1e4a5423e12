/// Decodes a chunked request body (RFC 9112 §7.1) from the bytes received so far.
public enum ChunkedDecoder {
    public enum Outcome: Equatable, Sendable {
        /// The last chunk and trailer section have not arrived yet.
        case needMore
        /// The whole body, and how many input bytes it took (trailers included).
        case complete(body: [UInt8], consumed: Int)
    }

    /// Decodes `input`. Chunk extensions and trailer fields are read and ignored. A chunk size
    /// is 1 to 8 hex digits, with optional spaces or tabs around it.
    /// - Parameter maxBodyBytes: limit of the decoded body in bytes.
    /// - Throws: `HTTPError` 413 when the decoded body exceeds `maxBodyBytes` (or the encoded
    ///   form, trailers included, is far larger than it could be), 400 for malformed chunk framing.
    public static func decode(_ input: [UInt8], maxBodyBytes: Int) throws(HTTPError) -> Outcome {
        let tooLarge = HTTPError(413, "request body larger than \(maxBodyBytes) bytes", reason: "body_too_large")
        var body: [UInt8] = []
        var i = 0
        func needMore() throws(HTTPError) -> Outcome {
            if input.count > maxBodyBytes + 65536 { throw tooLarge }
            return .needMore
        }
        func line() throws(HTTPError) -> ArraySlice<UInt8>? {
            guard let lf = input[i...].firstIndex(of: 0x0A) else {
                if input.count - i > 4096 { throw HTTPError.badRequest("chunk size line too long") }
                return nil
            }
            guard lf > i, input[lf - 1] == 0x0D else { throw HTTPError.badRequest("chunk line not ended by CRLF") }
            let text = input[i..<(lf - 1)]
            i = lf + 1
            return text
        }
        while true {
            guard let sizeLine = try line() else { return try needMore() }
            var sizeText = sizeLine.prefix { $0 != UInt8(ascii: ";") }
            while let b = sizeText.first, b == 0x20 || b == 0x09 { sizeText = sizeText.dropFirst() }
            while let b = sizeText.last, b == 0x20 || b == 0x09 { sizeText = sizeText.dropLast() }
            guard !sizeText.isEmpty, sizeText.count <= 8, sizeText.allSatisfy(PercentEncoding.isHexDigit),
                  let size = Int(String(decoding: sizeText, as: UTF8.self), radix: 16) else {
                throw HTTPError.badRequest("invalid chunk size")
            }
            if body.count + size > maxBodyBytes { throw tooLarge }
            if size == 0 {
                // Trailer section: fields until an empty line.
                while true {
                    guard let trailer = try line() else { return try needMore() }
                    if trailer.isEmpty { return .complete(body: body, consumed: i) }
                }
            }
            guard input.count - i >= size + 2 else { return try needMore() }
            body.append(contentsOf: input[i..<(i + size)])
            i += size
            guard input[i] == 0x0D, input[i + 1] == 0x0A else { throw HTTPError.badRequest("chunk data not followed by CRLF") }
            i += 2
        }
    }
}
