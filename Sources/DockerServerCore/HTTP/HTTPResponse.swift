/// A complete HTTP response built before its first byte is written (streams aside).
/// `headers` are the fields besides the framing ones (`Content-Length`, `Connection`,
/// `Date`), which `serialize` adds. The body may be held in parts, written one after the
/// other, so that a large answer (collected output) is never joined in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// The body, in the order the parts are sent.
    public var bodyParts: [[UInt8]]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.bodyParts = [body]
    }

    public init(status: Int, headers: [(String, String)] = [], bodyParts: [[UInt8]]) {
        self.status = status
        self.headers = headers
        self.bodyParts = bodyParts
    }

    /// The whole body, joined.
    public var body: [UInt8] {
        get { bodyParts.count == 1 ? bodyParts[0] : Array(bodyParts.joined()) }
        set { bodyParts = [newValue] }
    }

    /// The body's length in bytes.
    public var bodyCount: Int { bodyParts.reduce(0) { $0 + $1.count } }

    /// A response with a JSON body and `Content-Type: application/json; charset=utf-8`; the
    /// body ends with a newline (docs/API.md "Endpoints"), added when `json` lacks it.
    public init(status: Int, json: [UInt8]) {
        self.init(status: status, headers: [("Content-Type", HTTPResponse.jsonContentType)],
                  body: json.last == 0x0A ? json : json + [0x0A])
    }

    /// A response whose body is `value` serialised.
    public init(status: Int, json value: JSON) {
        self.init(status: status, json: value.serialized)
    }

    public static let jsonContentType = "application/json; charset=utf-8"

    /// The value of the first field named `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The status line and fields (RFC 9112 §4, §5), ending with the empty line. Adds
    /// `Connection: close` (one request per connection, docs/API.md "HTTP") and `Date` when given.
    /// `contentLength` nil means chunked framing (`Transfer-Encoding: chunked`), or, with
    /// `http10`, a body delimited by closing the connection (HTTP/1.0 knows no chunked
    /// coding; RFC 9112 §6.1 forbids sending it to a 1.0 client).
    public static func head(status: Int, headers: [(String, String)], contentLength: Int?, date: String?, http10: Bool = false) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPStatus.reasonPhrase(status))\r\n"
        if let date { text += "Date: \(date)\r\n" }
        text += "Server: docker-server\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let contentLength {
            text += "Content-Length: \(contentLength)\r\n"
        } else if !http10 {
            text += "Transfer-Encoding: chunked\r\n"
        }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// The whole response as bytes. For a HEAD request (`omitBody`) the fields are the same,
    /// `Content-Length` included, but no body is sent (RFC 9110 §9.3.2).
    public func serialize(omitBody: Bool = false, date: String? = nil) -> [UInt8] {
        var out = HTTPResponse.head(status: status, headers: headers, contentLength: bodyCount, date: date)
        if !omitBody { for part in bodyParts { out.append(contentsOf: part) } }
        return out
    }

    /// One chunk of a chunked body (RFC 9112 §7.1): hex size, CRLF, data, CRLF. Empty
    /// `data` gives nothing (the last chunk is `lastChunk`).
    public static func chunk(_ data: some Collection<UInt8>) -> [UInt8] {
        guard !data.isEmpty else { return [] }
        var out = Array((String(data.count, radix: 16) + "\r\n").utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    /// The last chunk with an empty trailer section: `0\r\n\r\n`.
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
}
