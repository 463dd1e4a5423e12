/// An error that becomes an HTTP response: status code, a clear message for the client's
/// `{"code":N,"error":"…"}` body, extra response fields (e.g. `Allow`, `WWW-Authenticate`),
/// and a stable `reason` token for log lines.
public struct HTTPError: Error, Equatable, Sendable {
    public var status: Int
    public var message: String
    public var headers: [(String, String)]
    public var reason: String

    public init(_ status: Int, _ message: String, reason: String = "", headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers
        self.reason = reason.isEmpty ? "status_\(status)" : reason
    }

    public static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.reason == rhs.reason
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// 400 Bad Request with `message`.
    public static func badRequest(_ message: String, reason: String = "bad_request") -> HTTPError {
        HTTPError(400, message, reason: reason)
    }

    /// The JSON error body `{"code":N,"error":"message"}` (SPEC §3).
    public var jsonBody: [UInt8] {
        JSON.object([("code", .int(status)), ("error", .string(message))]).serialized
    }

    /// The complete response for this error: JSON body, `Content-Type`, extra fields.
    public var response: HTTPResponse {
        var response = HTTPResponse(status: status, json: jsonBody)
        response.headers.append(contentsOf: headers)
        return response
    }
}
