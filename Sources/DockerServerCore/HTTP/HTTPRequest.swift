/// The request line and header fields of one HTTP/1.x request (RFC 9112 §3, §5).
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token, case-sensitive (`GET`, `PUT`, …).
    public var method: String
    /// The request target exactly as sent (origin-form `/path?query` or absolute-form).
    public var target: String
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (and any later HTTP/1.x).
    public var minorVersion: Int
    /// Fields in order, names as sent, values with surrounding whitespace removed.
    public var fields: [HTTPField]

    public init(method: String, target: String, minorVersion: Int, fields: [HTTPField]) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.fields = fields
    }

    /// The value of the first field named `name` (case-insensitive), or nil.
    public func field(_ name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name.lowercased() == name }?.value
    }

    /// All values of fields named `name` (case-insensitive), in order.
    public func fields(named name: String) -> [String] {
        let name = name.lowercased()
        return fields.filter { $0.name.lowercased() == name }.map(\.value)
    }

    /// The field lines of a list-based field (`Accept`, `Expect`) combined into one value,
    /// joined by `", "` in order (RFC 9110 §5.3); nil when there is none.
    public func combinedField(_ name: String) -> String? {
        let values = fields(named: name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}

/// One header field: name and value.
public struct HTTPField: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A whole request: head plus the decoded body bytes.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    public init(head: HTTPRequestHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }
}

/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    /// No body.
    case none
    /// Exactly this many bytes (`Content-Length`).
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
}
