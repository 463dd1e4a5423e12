/// The status line and fields of an HTTP/1.x response (RFC 9112 §4), as the engine sends it.
public struct HTTPResponseHead: Equatable, Sendable {
    public var status: Int
    public var fields: [HTTPField]

    public init(status: Int, fields: [HTTPField]) {
        self.status = status
        self.fields = fields
    }

    /// The value of the first field named `name` (lowercase), or nil.
    public func field(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name }?.value
    }

    /// How the body is delimited (RFC 9112 §6.3): none for 1xx/204/304, chunked, a
    /// `Content-Length`, or until the connection closes (nil length, `untilClose`).
    public var framing: ResponseFraming {
        if status == 101 { return .untilClose }
        if (100..<200).contains(status) || status == 204 || status == 304 { return .length(0) }
        if let te = field("transfer-encoding"), te.lowercased().contains("chunked") { return .chunked }
        if let cl = field("content-length") {
            // Only digits (RFC 9110 §8.6); anything else leaves the body delimited by the close.
            let text = cl.trimmingSpaces
            if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text) { return .length(n) }
        }
        return .untilClose
    }
}

/// Response body framing.
public enum ResponseFraming: Equatable, Sendable {
    case length(Int)
    case chunked
    case untilClose
}

/// Parses a response head from the bytes received so far.
public enum ResponseHeadParser {
    /// The head and where the body starts, or nil when more bytes are needed.
    /// - Throws: `HTTPError` 502 for a malformed or oversized head.
    public static func parse(_ buffer: [UInt8], maxBytes: Int = 64 * 1024) throws(HTTPError) -> (HTTPResponseHead, bodyOffset: Int)? {
        // Not HTTP at all (an SSH banner, a TLS port, another protocol): say so at once rather
        // than wait for a head that never comes.
        let prefix = Array("HTTP/1.".utf8)
        guard buffer.prefix(prefix.count).elementsEqual(prefix.prefix(buffer.count)) else {
            throw bad("it does not speak HTTP (is DOCKER_HOST right?)")
        }
        guard let end = headerEnd(buffer) else {
            if buffer.count > maxBytes { throw bad("response head too large") }
            return nil
        }
        let lines = buffer[0..<end.linesEnd].split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? line.dropLast() : line
        }
        guard let statusLine = lines.first else { throw bad("empty response") }
        let parts = statusLine.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        // `status-code = 3DIGIT` (RFC 9112 §4): not `-01` or `+20`, which Int(_:) would take.
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)), parts[1].count == 3,
              parts[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let status = Int(String(decoding: parts[1], as: UTF8.self)) else {
            throw bad("malformed status line")
        }
        var fields: [HTTPField] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw bad("malformed header field") }
            fields.append(HTTPField(String(decoding: line[line.startIndex..<colon], as: UTF8.self),
                                    String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces))
        }
        return (HTTPResponseHead(status: status, fields: fields), end.bodyOffset)
    }

    /// Finds the empty line ending the header section (after LF or CRLF line ends): where
    /// the field lines end and where the body starts.
    static func headerEnd(_ buffer: [UInt8]) -> (linesEnd: Int, bodyOffset: Int)? {
        var i = 0
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    static func bad(_ why: String) -> HTTPError {
        HTTPError(502, "the Docker engine sent an invalid HTTP answer: \(why)", reason: .engineProtocol)
    }
}
