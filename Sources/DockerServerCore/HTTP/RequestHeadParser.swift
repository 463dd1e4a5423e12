/// Parses the request line and header section of an HTTP/1.x request (RFC 9112 §2–§5).
/// Pure: feed it the bytes received so far.
public enum RequestHeadParser {
    /// Result of one attempt on the bytes received so far.
    public enum Outcome: Equatable, Sendable {
        /// The header section is not complete yet: read more.
        case needMore
        /// A complete head; the body (if any) starts at `bodyOffset` in the buffer.
        case head(HTTPRequestHead, bodyOffset: Int)
    }

    /// Parses `buffer`.
    /// - Parameter maxHeaderBytes: limit of the request line plus fields, in bytes (16 KiB per SPEC §4).
    /// - Throws: `HTTPError` 431 when the header section exceeds the limit, 400 for a
    ///   malformed request line or field, 505 for a version other than HTTP/1.x.
    public static func parse(_ buffer: [UInt8], maxHeaderBytes: Int) throws(HTTPError) -> Outcome {
        // RFC 9112 §2.2: ignore empty lines received before the request line.
        var start = 0
        while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A { start += 1 }
        guard let end = headerEnd(buffer, from: start) else {
            // A head at the limit may still lack up to 2 bytes of its final line break
            // (`\r\n` of `\n\r\n`), which do not count: only refuse what can no longer fit.
            if buffer.count - start > maxHeaderBytes + 2 {
                throw HTTPError(431, "request header section larger than \(maxHeaderBytes) bytes", reason: "headers_too_large")
            }
            return .needMore
        }
        if end.linesEnd - start > maxHeaderBytes {
            throw HTTPError(431, "request header section larger than \(maxHeaderBytes) bytes", reason: "headers_too_large")
        }
        let lines = try splitLines(buffer[start..<end.linesEnd])
        guard let requestLine = lines.first else { throw HTTPError.badRequest("empty request") }
        var head = try parseRequestLine(requestLine)
        for line in lines.dropFirst() {
            head.fields.append(try parseField(line))
        }
        return .head(head, bodyOffset: end.bodyOffset)
    }

    /// Finds the empty line ending the header section: returns where the field lines end
    /// (before the final line break) and where the body starts.
    static func headerEnd(_ buffer: [UInt8], from start: Int) -> (linesEnd: Int, bodyOffset: Int)? {
        var i = start
        while i < buffer.count {
            if buffer[i] == 0x0A {
                // Line ends at i. Is the next line empty (LF or CRLF)?
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// Splits on LF, removing a CR before it; a bare CR anywhere else is an error.
    static func splitLines(_ bytes: ArraySlice<UInt8>) throws(HTTPError) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var i = bytes.startIndex
        while i <= bytes.endIndex {
            if i == bytes.endIndex || bytes[i] == 0x0A {
                var lineEnd = i
                if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = bytes[lineStart..<lineEnd]
                if line.contains(0x0D) { throw HTTPError.badRequest("bare CR in request header section") }
                lines.append(line)
                lineStart = i + 1
            }
            i += 1
        }
        return lines
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPError) -> HTTPRequestHead {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HTTPError.badRequest("malformed request line (expected: METHOD SP request-target SP HTTP/1.1)")
        }
        guard parts[0].allSatisfy(isTokenByte) else { throw HTTPError.badRequest("invalid method") }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPError.badRequest("invalid character in request target")
        }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), version[6] == UInt8(ascii: "."),
              (0x30...0x39).contains(version[5]), (0x30...0x39).contains(version[7]) else {
            throw HTTPError.badRequest("malformed HTTP version")
        }
        guard version[5] == UInt8(ascii: "1") else {
            throw HTTPError(505, "only HTTP/1.0 and HTTP/1.1 are supported", reason: "bad_version")
        }
        return HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self),
            target: String(decoding: parts[1], as: UTF8.self),
            // A later HTTP/1.x is served as HTTP/1.1, the highest version we implement (RFC 9110 §6.2).
            minorVersion: min(Int(version[7] - 0x30), 1),
            fields: [])
    }

    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPError) -> HTTPField {
        guard let first = line.first else { throw HTTPError.badRequest("empty header line") }
        if first == 0x20 || first == 0x09 {
            throw HTTPError.badRequest("obsolete line folding in header section is not accepted")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPError.badRequest("header field without ':'")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw HTTPError.badRequest("invalid header field name")
        }
        var value = line[(colon + 1)...]
        while let b = value.first, b == 0x20 || b == 0x09 { value = value.dropFirst() }
        while let b = value.last, b == 0x20 || b == 0x09 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw HTTPError.badRequest("invalid character in header field value")
        }
        return HTTPField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Decides how the body is delimited (RFC 9112 §6.1–§6.3) and checks `Host`
    /// (RFC 9112 §3.2).
    /// - Throws: `HTTPError` 400 for `Content-Length` with `Transfer-Encoding`, an invalid or
    ///   conflicting `Content-Length`, a transfer coding whose last is not chunked, a missing
    ///   or repeated `Host` in HTTP/1.1; 501 for a transfer coding other than chunked.
    public static func framing(of head: HTTPRequestHead) throws(HTTPError) -> BodyFraming {
        let hosts = head.fields(named: "host")
        if hosts.count > 1 { throw HTTPError.badRequest("more than one Host header field") }
        if head.minorVersion == 1, hosts.isEmpty { throw HTTPError.badRequest("HTTP/1.1 request without a Host header field") }
        let encodings = head.fields(named: "transfer-encoding")
        let lengths = head.fields(named: "content-length")
        if !encodings.isEmpty {
            if !lengths.isEmpty {
                throw HTTPError.badRequest("both Content-Length and Transfer-Encoding given", reason: "cl_and_te")
            }
            if head.minorVersion == 0 {
                throw HTTPError.badRequest("Transfer-Encoding in an HTTP/1.0 request")
            }
            let codings = encodings.flatMap { $0.split(separator: ",") }
                .map { $0.trimmingSpaces.lowercased() }
                .filter { !$0.isEmpty }
            guard codings.last == "chunked" else {
                throw HTTPError.badRequest("the last transfer coding must be chunked")
            }
            guard codings.count == 1 else {
                // RFC 9112 §6.1: chunked must not be applied more than once.
                if codings.allSatisfy({ $0 == "chunked" }) { throw HTTPError.badRequest("chunked given more than once in Transfer-Encoding") }
                throw HTTPError(501, "transfer codings other than chunked are not supported", reason: "te_unsupported")
            }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        var length: Int?
        for item in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let text = item.trimmingSpaces
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let value = Int(text) else {
                throw HTTPError.badRequest("invalid Content-Length")
            }
            if let length, length != value { throw HTTPError.badRequest("conflicting Content-Length values") }
            length = value
        }
        return length == 0 ? .none : .length(length ?? 0)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
