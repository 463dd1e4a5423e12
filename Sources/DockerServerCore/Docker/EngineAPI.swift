/// One request to the Docker Engine API. `path` includes the query and is built only from
/// validated, percent-encoded parts, without the `/vX.Y` prefix: the transport adds the
/// version it negotiated with the engine (docs/DESIGN.md "The engine").
public struct EngineRequest: Equatable, Sendable {
    /// The Engine API operation, which gives its statuses their meaning.
    public var operation: EngineOperation
    public var method: String
    public var path: String
    /// JSON body, if any.
    public var body: [UInt8]?
    /// The engine hijacks the connection for a raw stream (attach, exec start).
    public var hijack: Bool

    public init(_ operation: EngineOperation, method: String, path: String, body: [UInt8]? = nil, hijack: Bool = false) {
        self.operation = operation
        self.method = method
        self.path = path
        self.body = body
        self.hijack = hijack
    }
}

/// A complete engine answer.
public struct EngineResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]

    public init(status: Int, contentType: String? = nil, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The body parsed as JSON, nil if it is not JSON.
    public var json: JSON? { try? JSON.parse(body) }

    /// The engine's error message (`{"message":"…"}`), or the body text without surrounding
    /// whitespace (line breaks included).
    public var message: String {
        if let text = json?["message"]?.stringValue { return text }
        let text = String(decoding: body.prefix(1000).trimmingWhitespace(newlines: true), as: UTF8.self)
        return text.isEmpty ? "engine answered \(status)" : text
    }
}

/// Builders for the Engine API calls docker-server makes (Engine API reference v1.41+).
public enum EngineAPI {
    static func enc(_ s: String) -> String { PercentEncoding.encode(s) }

    /// ContainerList: `GET /containers/json?all=1` (`docker ps -a`).
    public static func listContainers() -> EngineRequest { EngineRequest(.containerList, method: "GET", path: "/containers/json?all=1") }

    /// ContainerInspect: `GET /containers/{id}/json`.
    public static func inspect(_ id: String) -> EngineRequest { EngineRequest(.containerInspect, method: "GET", path: "/containers/\(enc(id))/json") }

    /// ContainerCreate: `POST /containers/create?name=…` with a JSON config.
    public static func create(name: String, config: JSON) -> EngineRequest {
        EngineRequest(.containerCreate, method: "POST", path: "/containers/create?name=\(enc(name))", body: config.serialized)
    }

    /// ContainerStart: `POST /containers/{id}/start`.
    public static func start(_ id: String) -> EngineRequest { EngineRequest(.containerStart, method: "POST", path: "/containers/\(enc(id))/start") }

    /// ContainerAttach before start, stdout and stderr streamed until the container exits;
    /// with `stdin`, what is written to the hijacked connection is the container's stdin.
    public static func attach(_ id: String, stdin: Bool = false) -> EngineRequest {
        EngineRequest(.containerAttach, method: "POST", path: "/containers/\(enc(id))/attach?stream=1\(stdin ? "&stdin=1" : "")&stdout=1&stderr=1", hijack: true)
    }

    /// ContainerWait: `POST /containers/{id}/wait?condition=next-exit|removed`; the engine
    /// sends the header at once and `{"StatusCode":N}` when the condition is met.
    public static func wait(_ id: String, untilRemoved: Bool) -> EngineRequest {
        EngineRequest(.containerWait, method: "POST", path: "/containers/\(enc(id))/wait?condition=\(untilRemoved ? "removed" : "next-exit")")
    }

    /// ContainerKill (SIGKILL): `POST /containers/{id}/kill`.
    public static func kill(_ id: String) -> EngineRequest { EngineRequest(.containerKill, method: "POST", path: "/containers/\(enc(id))/kill") }

    /// ContainerDelete with force (`docker rm -f`); with `volumes` its anonymous volumes too
    /// (`docker rm -fv`).
    public static func remove(_ id: String, volumes: Bool) -> EngineRequest {
        EngineRequest(.containerDelete, method: "DELETE", path: "/containers/\(enc(id))?force=1\(volumes ? "&v=1" : "")")
    }

    /// ContainerLogs with stdout and stderr.
    public static func logs(_ id: String, options: LogsOptions) -> EngineRequest {
        var query = "stdout=1&stderr=1"
        if let tail = options.tail { query += "&tail=\(enc(tail))" }
        if let since = options.since { query += "&since=\(enc(since))" }
        if options.timestamps { query += "&timestamps=1" }
        if options.follow { query += "&follow=1" }
        return EngineRequest(.containerLogs, method: "GET", path: "/containers/\(enc(id))/logs?\(query)")
    }

    /// ExecCreate: `POST /containers/{id}/exec`; `stdin` attaches the exec's stdin.
    public static func execCreate(_ id: String, argv: [String], tty: Bool, stdin: Bool) -> EngineRequest {
        let config = JSON.object([
            ("AttachStdin", .bool(stdin)), ("AttachStdout", .bool(true)), ("AttachStderr", .bool(true)),
            ("Tty", .bool(tty)), ("Cmd", .array(argv.map(JSON.string))),
        ])
        return EngineRequest(.containerExec, method: "POST", path: "/containers/\(enc(id))/exec", body: config.serialized)
    }

    /// ExecStart, attached: the connection is hijacked for the exec's output.
    public static func execStart(_ execID: String, tty: Bool) -> EngineRequest {
        let body = JSON.object([("Detach", .bool(false)), ("Tty", .bool(tty))]).serialized
        return EngineRequest(.execStart, method: "POST", path: "/exec/\(enc(execID))/start", body: body, hijack: true)
    }

    /// ExecInspect: `GET /exec/{id}/json` (`Running`, `ExitCode`).
    public static func execInspect(_ execID: String) -> EngineRequest { EngineRequest(.execInspect, method: "GET", path: "/exec/\(enc(execID))/json") }

    /// SystemVersion: `GET /version` (`ApiVersion`, `MinAPIVersion`), unversioned.
    public static func version() -> EngineRequest { EngineRequest(.systemVersion, method: "GET", path: "/version") }

    /// ImageCreate (`docker pull`): `POST /images/create?fromImage=NAME&tag=TAG|DIGEST`.
    public static func pull(_ image: ImageReference) -> EngineRequest {
        EngineRequest(.imageCreate, method: "POST", path: "/images/create?fromImage=\(enc(image.name))&tag=\(enc(image.pullTag))")
    }
}

/// Options of a logs request (`docker logs --tail --since --timestamps --follow`), already
/// validated and in the engine's form.
public struct LogsOptions: Equatable, Sendable {
    /// `all` or a line count.
    public var tail: String?
    /// Unix time in seconds, possibly fractional.
    public var since: String?
    public var timestamps = false
    public var follow = false
    /// Stream raw text with chunked encoding instead of a JSON object.
    public var text = false

    public init() {}
}

/// An Engine API version, `MAJOR.MINOR` (`1.41`).
public struct APIVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// Parses `MAJOR.MINOR`, each one to three digits; nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...3).contains($0.count) && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (a: APIVersion, b: APIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
}

extension EngineAPI {
    /// The newest Engine API version whose reference docker-server's calls were checked
    /// against (their paths, bodies and statuses are the same from 1.41 to this one).
    public static let newestKnownVersion = APIVersion("1.56")!

    /// The version for request paths, from the engine's SystemVersion answer (`ApiVersion`,
    /// `MinAPIVersion`): the engine's own, capped at `newestKnownVersion`, so a newer engine
    /// answers as the one we know; nil (unversioned paths, the engine's own version) when the
    /// answer does not say, or the engine refuses every version we know.
    public static func negotiatedVersion(_ answer: JSON?) -> APIVersion? {
        guard let engine = answer?["ApiVersion"]?.stringValue.flatMap(APIVersion.init) else { return nil }
        let chosen = min(engine, newestKnownVersion)
        if let minimum = answer?["MinAPIVersion"]?.stringValue.flatMap(APIVersion.init), chosen < minimum { return nil }
        return chosen
    }
}
