/// An error that becomes an HTTP response: status code, a clear message for the client's
/// `{"code":N,"error":"…"}` body, extra response fields (e.g. `Allow`, `WWW-Authenticate`),
/// and a stable `reason` token for log lines.
public struct HTTPError: Error, Equatable, Sendable {
    /// The stable `reason=` token of the log line: what went wrong, checked by the compiler
    /// where code decides on it (a hang-up, a timeout) rather than compared as text.
    public enum Reason: String, Sendable, CaseIterable {
        case authFailed = "auth_failed"
        case authMissing = "auth_missing"
        case authRateLimited = "auth_rate_limited"
        case badChunk = "bad_chunk"
        case badConfiguration = "bad_configuration"
        case badData = "bad_data"
        case badExpect = "bad_expect"
        case badField = "bad_field"
        case badHostAddress = "bad_host_address"
        case badImage = "bad_image"
        case badLineEnding = "bad_line_ending"
        case badMediaType = "bad_media_type"
        case badMethod = "bad_method"
        case badName = "bad_name"
        case badPort = "bad_port"
        case badQuery = "bad_query"
        case badRequest = "bad_request"
        case badTarget = "bad_target"
        case badTime = "bad_time"
        case badVersion = "bad_version"
        case badVolume = "bad_volume"
        case bodyTooLarge = "body_too_large"
        /// A state the code should never reach (500).
        case bug = "bug"
        case clAndTe = "cl_and_te"
        /// The client closed the connection before the answer (not answered).
        case clientGone = "client_gone"
        case clusterNode = "cluster_node"
        case clusterUnavailable = "cluster_unavailable"
        case forwardingMismatch = "forwarding_mismatch"
        case conflict = "conflict"
        case duplicateField = "duplicate_field"
        case engineBadRequest = "engine_bad_request"
        case engineError = "engine_error"
        case engineIo = "engine_io"
        case engineProtocol = "engine_protocol"
        /// The engine did not answer within its bound.
        case engineTimeout = "engine_timeout"
        case engineTooLarge = "engine_too_large"
        case engineUnreachable = "engine_unreachable"
        case headersTooLarge = "headers_too_large"
        case imageNotFound = "image_not_found"
        case incompleteBody = "incomplete_body"
        case incompleteRequest = "incomplete_request"
        case missingData = "missing_data"
        case missingImage = "missing_image"
        case nameInUse = "name_in_use"
        case noToken = "no_token"
        case notAcceptable = "not_acceptable"
        case notFound = "not_found"
        case portInUse = "port_in_use"
        case pullFailed = "pull_failed"
        case rateLimited = "rate_limited"
        /// The request was not received within `--read_timeout`.
        case readTimeout = "read_timeout"
        case removalInProgress = "removal_in_progress"
        case requestLineTooLong = "request_line_too_long"
        case runTimeout = "run_timeout"
        case spawnFailed = "spawn_failed"
        case stopping = "stopping"
        case teUnsupported = "te_unsupported"
        case tooManyConnections = "too_many_connections"
        case tooManyFromSource = "too_many_from_source"
        case unknownField = "unknown_field"
    }

    public var status: Int
    public var message: String
    public var headers: [(String, String)]
    public var reason: Reason

    public init(_ status: Int, _ message: String, reason: Reason, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers
        self.reason = reason
    }

    public static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.reason == rhs.reason
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }

    /// 400 Bad Request with `message`.
    public static func badRequest(_ message: String, reason: Reason = .badRequest) -> HTTPError {
        HTTPError(400, message, reason: reason)
    }

    /// The JSON error body `{"code":N,"error":"message"}` (docs/API.md).
    public var jsonBody: [UInt8] {
        JSON.object([("code", .int(status)), ("error", .string(message))]).serialized
    }

    /// The complete response for this error: JSON body, `Content-Type`, extra fields.
    public var response: HTTPResponse {
        var response = HTTPResponse(status: status, json: jsonBody)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// `response` as the answer to a HEAD request, whose body is never sent (RFC 9110 §9.3.2):
    /// the message also goes into `X-Error`, printable ASCII only (others become `?`), at most
    /// 1024 characters (docs/API.md "HEAD").
    public var headResponse: HTTPResponse {
        var response = self.response
        let text = String(message.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" })
        response.headers.append(("X-Error", String(text.prefix(1024))))
        return response
    }
}
