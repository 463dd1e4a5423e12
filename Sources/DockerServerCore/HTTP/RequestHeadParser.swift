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

    /// Parses `buffer`. The head follows the RFC 9112 grammar exactly: every line ends with
    /// CRLF (a bare LF or CR is refused, not guessed at), the request line is `method SP
    /// request-target SP HTTP-version` with single spaces, field names are tokens with no
    /// space before the colon, and no line is folded.
    /// - Parameter maxHeaderBytes: limit of the field lines after the request line, in bytes
    ///   (the request line has its own, `Limits.maxRequestLineBytes`).
    /// - Throws: `HTTPError` 414 for a request line past its limit, 431 for a header section
    ///   past `maxHeaderBytes`, 400 for anything malformed, 505 for a version other than
    ///   HTTP/1.x.
    public static func parse(_ buffer: [UInt8], maxHeaderBytes: Int) throws(HTTPError) -> Outcome {
        // RFC 9112 §2.2: empty lines (CRLF) before the request line are ignored.
        var start = 0
        while start + 1 < buffer.count, buffer[start] == 0x0D, buffer[start + 1] == 0x0A { start += 2 }
        // Every LF must end a CRLF, every CR start one: checked as far as bytes have arrived.
        var lineEnds: [Int] = []
        var lineStart = start
        var i = start
        while i < buffer.count {
            if buffer[i] == 0x0A {
                guard i > start, buffer[i - 1] == 0x0D else {
                    throw HTTPError.badRequest("bare LF in the request head: lines end with CRLF", reason: .badLineEnding)
                }
                let lineEnd = i - 1
                // An empty line after the request line ends the head.
                if lineEnd == lineStart, !lineEnds.isEmpty {
                    return try head(buffer, start: start, lineEnds: lineEnds + [lineEnd], maxHeaderBytes: maxHeaderBytes)
                }
                if lineEnds.isEmpty { try checkRequestLineLength(lineEnd - start) }
                lineEnds.append(lineEnd)
                lineStart = i + 1
            } else if buffer[i] == 0x0D, i + 1 < buffer.count, buffer[i + 1] != 0x0A {
                throw HTTPError.badRequest("bare CR in the request head", reason: .badLineEnding)
            }
            i += 1
        }
        // Incomplete: refuse what can no longer fit.
        if let first = lineEnds.first {
            if buffer.count - (first + 2) > maxHeaderBytes + 2 { throw headersTooLarge(maxHeaderBytes) }
        } else {
            try checkRequestLineLength(buffer.count - start - 1)
        }
        return .needMore
    }

    static func checkRequestLineLength(_ length: Int) throws(HTTPError) {
        guard length <= Limits.maxRequestLineBytes else {
            throw HTTPError(414, "request line longer than \(Limits.maxRequestLineBytes) bytes", reason: .requestLineTooLong)
        }
    }

    static func headersTooLarge(_ limit: Int) -> HTTPError {
        HTTPError(431, "request header section larger than \(limit) bytes", reason: .headersTooLarge)
    }

    /// The head whose lines end (before their CRLF) at `lineEnds`, the last one empty.
    static func head(_ buffer: [UInt8], start: Int, lineEnds: [Int], maxHeaderBytes: Int) throws(HTTPError) -> Outcome {
        let requestLineEnd = lineEnds[0]
        try checkRequestLineLength(requestLineEnd - start)
        let blankLine = lineEnds[lineEnds.count - 1]
        if blankLine - (requestLineEnd + 2) > maxHeaderBytes { throw headersTooLarge(maxHeaderBytes) }
        var head = try parseRequestLine(buffer[start..<requestLineEnd])
        var lineStart = requestLineEnd + 2
        for end in lineEnds.dropFirst().dropLast() {
            head.fields.append(try parseField(buffer[lineStart..<end]))
            lineStart = end + 2
        }
        return .head(head, bodyOffset: blankLine + 2)
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
        if let problem = requestTargetProblem(parts[1]) { throw HTTPError.badRequest(problem, reason: .badTarget) }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), version[6] == UInt8(ascii: "."),
              (0x30...0x39).contains(version[5]), (0x30...0x39).contains(version[7]) else {
            throw HTTPError.badRequest("malformed HTTP version")
        }
        guard version[5] == UInt8(ascii: "1") else {
            throw HTTPError(505, "only HTTP/1.0 and HTTP/1.1 are supported", reason: .badVersion)
        }
        return HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self),
            target: String(decoding: parts[1], as: UTF8.self),
            // A later HTTP/1.x is served as HTTP/1.1, the highest version we implement (RFC 9110 §6.2).
            minorVersion: min(Int(version[7] - 0x30), 1),
            fields: [])
    }

    /// What is wrong with a request target's characters (RFC 9112 §3.2, RFC 3986 §3), nil
    /// when nothing: only unreserved, sub-delims, `:@/?` and `%HH` escapes, `[ ]` only in an
    /// absolute-form's authority (IPv6 literals), and no userinfo there (`http://user@host/`:
    /// RFC 9110 §4.2.4 has recipients treat it as an error).
    static func requestTargetProblem(_ bytes: ArraySlice<UInt8>) -> String? {
        // In absolute-form (`http://[::1]:1717/x`) the path starts at the third slash.
        var inAuthority = bytes.first != UInt8(ascii: "/")
        var slashes = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            i += 1
            if b == UInt8(ascii: "/") { slashes += 1; if slashes == 3 { inAuthority = false } }
            if b == UInt8(ascii: "%") {
                guard i + 1 < bytes.endIndex, PercentEncoding.isHexDigit(bytes[i]), PercentEncoding.isHexDigit(bytes[i + 1]) else {
                    return "invalid percent-encoding in request target (% must start %HH)"
                }
                i += 2
                continue
            }
            if inAuthority, b == UInt8(ascii: "@") { return "userinfo (user@) in the request target is not accepted" }
            if isUnreservedOrSubDelim(b) || ":@/?".utf8.contains(b) { continue }
            if inAuthority, b == UInt8(ascii: "[") || b == UInt8(ascii: "]") { continue }
            return "invalid character in request target (RFC 3986: percent-encode it)"
        }
        return nil
    }

    /// RFC 3986 unreserved (`ALPHA DIGIT - . _ ~`) and sub-delims (`! $ & ' ( ) * + , ; =`).
    static func isUnreservedOrSubDelim(_ b: UInt8) -> Bool {
        ContainerReference.isAlnum(b) || "-._~!$&'()*+,;=".utf8.contains(b)
    }

    /// `Host` (RFC 9112 §3.2, RFC 3986 §3.2.2): empty, or `host [ ":" port ]` with host an
    /// IP literal in brackets, an IPv4 address or a registered name (whose `%` start `%HH`).
    static func isValidHost(_ value: String) -> Bool {
        var rest = Substring(value)
        if rest.isEmpty { return true }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return false }
            let literal = rest[rest.index(after: rest.startIndex)..<close]
            guard !literal.isEmpty,
                  literal.utf8.allSatisfy({ PercentEncoding.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return false }
            rest = rest[rest.index(after: close)...]
        } else {
            let name = rest.prefix { $0 != ":" }
            guard !name.isEmpty, name.utf8.allSatisfy({ isUnreservedOrSubDelim($0) || $0 == UInt8(ascii: "%") }),
                  (try? PercentEncoding.decodeBytes(name, plusIsSpace: false)) != nil else { return false }
            rest = rest.dropFirst(name.count)
        }
        guard !rest.isEmpty else { return true }
        return rest.first == ":" && rest.dropFirst().utf8.allSatisfy { (0x30...0x39).contains($0) }
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
        let value = line[(colon + 1)...].trimmingWhitespace()
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw HTTPError.badRequest("invalid character in header field value")
        }
        return HTTPField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Decides how the body is delimited (RFC 9112 §6.1–§6.3) and checks `Host`
    /// (RFC 9112 §3.2) and `Content-Type` (a singleton field, RFC 9110 §5.3).
    /// - Throws: `HTTPError` 400 for `Content-Length` with `Transfer-Encoding`, an invalid or
    ///   conflicting `Content-Length`, a transfer coding whose last is not chunked, a missing
    ///   or repeated `Host` in HTTP/1.1, a repeated `Content-Type`; 501 for a transfer coding
    ///   other than chunked.
    public static func framing(of head: HTTPRequestHead) throws(HTTPError) -> BodyFraming {
        let hosts = head.fields(named: "host")
        if hosts.count > 1 { throw HTTPError.badRequest("more than one Host header field") }
        if head.fields(named: "content-type").count > 1 {
            throw HTTPError.badRequest("more than one Content-Type header field (the body's type would be a guess)")
        }
        if let host = hosts.first, !isValidHost(host) { throw HTTPError.badRequest("invalid Host header field \"\(host.prefix(64))\"") }
        if head.minorVersion == 1, hosts.isEmpty { throw HTTPError.badRequest("HTTP/1.1 request without a Host header field") }
        let encodings = head.fields(named: "transfer-encoding")
        let lengths = head.fields(named: "content-length")
        if !encodings.isEmpty {
            if !lengths.isEmpty {
                throw HTTPError.badRequest("both Content-Length and Transfer-Encoding given", reason: .clAndTe)
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
                throw HTTPError(501, "transfer codings other than chunked are not supported", reason: .teUnsupported)
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

    /// Whether the client waits for `100 Continue` (RFC 9110 §10.1.1): `Expect` is a list whose
    /// only expectation defined is `100-continue`; its field lines are combined, and empty
    /// members skipped.
    /// - Throws: `HTTPError` 417 naming any other member.
    public static func expectsContinue(_ head: HTTPRequestHead) throws(HTTPError) -> Bool {
        guard let expect = head.combinedField("expect") else { return false }
        var expects = false
        for member in expect.split(separator: ",") {
            let text = member.trimmingSpaces
            if text.isEmpty { continue }
            guard text.lowercased() == "100-continue" else {
                throw HTTPError(417, "unsupported expectation \"\(text.prefix(64))\" (only 100-continue is defined)", reason: .badExpect)
            }
            expects = true
        }
        return expects
    }
}
