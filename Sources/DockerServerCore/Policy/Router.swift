/// What a request asks for (docs/API.md): the route table of the original DockerServer.
public enum Route: Equatable, Sendable {
    /// `GET /` — `docker ps -a`.
    case list
    /// `PUT /` — `docker run`.
    case run
    /// `HEAD /<image ref>` — `docker pull`.
    case pull(ImageReference)
    /// `GET /<id or name>` — `docker logs`.
    case logs(container: String)
    /// `POST /<id or name>` — `docker exec`.
    case exec(container: String)
    /// `DELETE /<id or name>` — `docker rm -f`.
    case remove(container: String)

    /// The rate-limit class (docs/API.md "Rate limits").
    public var rateClass: RateClass {
        switch self {
        case .pull, .run, .exec: return .low
        case .remove: return .mid
        case .list, .logs: return .high
        }
    }

    /// A short name for log lines.
    public var name: String {
        switch self {
        case .list: return "ps"
        case .run: return "run"
        case .pull: return "pull"
        case .logs: return "logs"
        case .exec: return "exec"
        case .remove: return "rm"
        }
    }
}

/// Rate-limit classes (docs/API.md "Rate limits"): low (pull, run, exec), mid (rm), high (ps, logs).
public enum RateClass: String, Sendable, CaseIterable {
    case low, mid, high

    /// The operations of the class, for messages.
    public var operations: String {
        switch self {
        case .low: return "pull/run/exec"
        case .mid: return "rm"
        case .high: return "ps/logs"
        }
    }
}

/// The decoded parts of a request target.
public struct RequestTarget: Equatable, Sendable {
    /// The path, percent-decoded once.
    public var path: String
    /// Query pairs, decoded.
    public var query: [(String, String)]
    /// The target in origin form, as received (`/path?query`, still percent-encoded): what a
    /// cluster node forwards.
    public var origin: String

    public static func == (lhs: RequestTarget, rhs: RequestTarget) -> Bool {
        lhs.path == rhs.path && lhs.query.map { "\($0.0)=\($0.1)" } == rhs.query.map { "\($0.0)=\($0.1)" }
    }

    /// The first value of query parameter `name`, or nil.
    public func query(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// Parses an origin-form (`/path?query`) or absolute-form (`http://host/path?query`)
    /// request target (RFC 9112 §3.2).
    /// - Throws: `HTTPError` 400 for other forms, bad escapes, or decoded control characters
    ///   (NUL included).
    public init(_ target: String) throws(HTTPError) {
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            let lower = rest.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), let schemeEnd = rest.firstRange(of: "://") else {
                throw HTTPError.badRequest("request target must be a path starting with /")
            }
            rest = rest[schemeEnd.upperBound...]
            rest = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...] } ?? "/"
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        guard !rest.contains("#") else { throw HTTPError.badRequest("fragment in request target") }
        origin = String(rest)
        let queryStart = rest.firstIndex(of: "?")
        let rawPath = queryStart.map { rest[..<$0] } ?? rest
        let decoded = try PercentEncoding.decode(rawPath)
        guard decoded.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
            throw HTTPError.badRequest("control character in request path")
        }
        path = decoded
        if let queryStart {
            query = try PercentEncoding.formPairs(rest[rest.index(after: queryStart)...])
        } else {
            query = []
        }
    }
}

/// Maps method and path to a `Route` (docs/API.md).
public enum Router {
    /// Methods allowed on `/`.
    public static let rootMethods = "GET, PUT"
    /// Methods allowed on `/<x>`.
    public static let itemMethods = "GET, HEAD, POST, DELETE"

    /// Routes a request.
    /// - Throws: `HTTPError` 405 with `Allow` for a method the path does not take, 400 for an
    ///   invalid container name or image reference.
    public static func route(method: String, path: String) throws(HTTPError) -> Route {
        if path == "/" {
            switch method {
            case "GET": return .list
            case "PUT": return .run
            default: throw methodNotAllowed(method, allow: rootMethods)
            }
        }
        // Without the path's first byte, its `/`: not its first Character, which a combining
        // mark after the slash would join (`/%D9%97v` would otherwise name container `v`).
        let rest = String(decoding: path.utf8.dropFirst(), as: UTF8.self)
        switch method {
        case "HEAD": return .pull(try ImageReference(rest))
        case "GET": return .logs(container: try ContainerReference.validate(rest))
        case "POST": return .exec(container: try ContainerReference.validate(rest))
        case "DELETE": return .remove(container: try ContainerReference.validate(rest))
        default: throw methodNotAllowed(method, allow: itemMethods)
        }
    }

    static func methodNotAllowed(_ method: String, allow: String) -> HTTPError {
        HTTPError(405, "method \(method) not allowed here; allowed: \(allow)", reason: .badMethod, headers: [("Allow", allow)])
    }
}
