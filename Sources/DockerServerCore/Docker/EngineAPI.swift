/// One request to the Docker Engine API. `path` includes the query and is built only from
/// validated, percent-encoded parts. Paths carry no `/vX.Y` prefix: the engine answers
/// unversioned paths with its own current version, which works from API 1.41 (Debian 12's
/// docker.io) to engines that refuse old versions.
public struct EngineRequest: Equatable, Sendable {
    public var method: String
    public var path: String
    /// JSON body, if any.
    public var body: [UInt8]?
    /// The engine hijacks the connection for a raw stream (attach, exec start).
    public var hijack: Bool

    public init(method: String, path: String, body: [UInt8]? = nil, hijack: Bool = false) {
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
    public static func listContainers() -> EngineRequest { EngineRequest(method: "GET", path: "/containers/json?all=1") }

    /// ContainerInspect: `GET /containers/{id}/json`.
    public static func inspect(_ id: String) -> EngineRequest { EngineRequest(method: "GET", path: "/containers/\(enc(id))/json") }

    /// ContainerCreate: `POST /containers/create?name=…` with a JSON config.
    public static func create(name: String, config: JSON) -> EngineRequest {
        EngineRequest(method: "POST", path: "/containers/create?name=\(enc(name))", body: config.serialized)
    }

    /// ContainerStart: `POST /containers/{id}/start`.
    public static func start(_ id: String) -> EngineRequest { EngineRequest(method: "POST", path: "/containers/\(enc(id))/start") }

    /// ContainerAttach before start, stdout and stderr streamed until the container exits;
    /// with `stdin`, what is written to the hijacked connection is the container's stdin.
    public static func attach(_ id: String, stdin: Bool = false) -> EngineRequest {
        EngineRequest(method: "POST", path: "/containers/\(enc(id))/attach?stream=1\(stdin ? "&stdin=1" : "")&stdout=1&stderr=1", hijack: true)
    }

    /// ContainerWait: `POST /containers/{id}/wait?condition=next-exit|removed`; the engine
    /// sends the header at once and `{"StatusCode":N}` when the condition is met.
    public static func wait(_ id: String, untilRemoved: Bool) -> EngineRequest {
        EngineRequest(method: "POST", path: "/containers/\(enc(id))/wait?condition=\(untilRemoved ? "removed" : "next-exit")")
    }

    /// ContainerKill (SIGKILL): `POST /containers/{id}/kill`.
    public static func kill(_ id: String) -> EngineRequest { EngineRequest(method: "POST", path: "/containers/\(enc(id))/kill") }

    /// ContainerDelete with force (`docker rm -f`); with `volumes` its anonymous volumes too
    /// (`docker rm -fv`).
    public static func remove(_ id: String, volumes: Bool) -> EngineRequest {
        EngineRequest(method: "DELETE", path: "/containers/\(enc(id))?force=1\(volumes ? "&v=1" : "")")
    }

    /// ContainerLogs with stdout and stderr.
    public static func logs(_ id: String, options: LogsOptions) -> EngineRequest {
        var query = "stdout=1&stderr=1"
        if let tail = options.tail { query += "&tail=\(enc(tail))" }
        if let since = options.since { query += "&since=\(enc(since))" }
        if options.timestamps { query += "&timestamps=1" }
        if options.follow { query += "&follow=1" }
        return EngineRequest(method: "GET", path: "/containers/\(enc(id))/logs?\(query)")
    }

    /// ExecCreate: `POST /containers/{id}/exec`; `stdin` attaches the exec's stdin.
    public static func execCreate(_ id: String, argv: [String], tty: Bool, stdin: Bool) -> EngineRequest {
        let config = JSON.object([
            ("AttachStdin", .bool(stdin)), ("AttachStdout", .bool(true)), ("AttachStderr", .bool(true)),
            ("Tty", .bool(tty)), ("Cmd", .array(argv.map(JSON.string))),
        ])
        return EngineRequest(method: "POST", path: "/containers/\(enc(id))/exec", body: config.serialized)
    }

    /// ExecStart, attached: the connection is hijacked for the exec's output.
    public static func execStart(_ execID: String, tty: Bool) -> EngineRequest {
        let body = JSON.object([("Detach", .bool(false)), ("Tty", .bool(tty))]).serialized
        return EngineRequest(method: "POST", path: "/exec/\(enc(execID))/start", body: body, hijack: true)
    }

    /// ExecInspect: `GET /exec/{id}/json` (`Running`, `ExitCode`).
    public static func execInspect(_ execID: String) -> EngineRequest { EngineRequest(method: "GET", path: "/exec/\(enc(execID))/json") }

    /// ImageCreate (`docker pull`): `POST /images/create?fromImage=NAME&tag=TAG|DIGEST`.
    public static func pull(_ image: ImageReference) -> EngineRequest {
        EngineRequest(method: "POST", path: "/images/create?fromImage=\(enc(image.name))&tag=\(enc(image.pullTag))")
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
