/// What the handler needs besides the engine: time, randomness and waiting, so that its
/// logic stays free of syscalls.
public protocol HandlerServices {
    /// Current Unix time, seconds.
    func now() -> Int
    /// A random UUID v4 in lowercase text form (RFC 9562 §5.4).
    func uuid() -> String
    /// Waits `milliseconds`.
    func sleep(milliseconds: Int)
}

/// Where a streamed response (logs in text mode) goes. The head is sent with chunked
/// framing by `begin`; `send` returns false once the client is gone.
public protocol ResponseStream: AnyObject {
    func begin(status: Int, headers: [(String, String)]) -> Bool
    func send(_ bytes: [UInt8]) -> Bool
    func end()
}

/// Turns a routed request into Docker Engine calls and an answer (SPEC §3). One instance per
/// request; it holds no state between requests.
public struct Handler {
    public let engine: any EngineTransport
    public let services: any HandlerServices

    public init(engine: any EngineTransport, services: any HandlerServices) {
        self.engine = engine
        self.services = services
    }

    /// Performs `route`.
    /// - Returns: the response to send, or nil when the answer was already streamed to `stream`.
    /// - Throws: `HTTPError` for bad input, engine errors and an unreachable engine.
    public func handle(_ route: Route, request: HTTPRequest, target: RequestTarget, stream: any ResponseStream) throws(HTTPError) -> HTTPResponse? {
        switch route {
        case .list:
            return try list()
        case .run:
            let fields = try RequestFields(body: request.body, contentType: request.head.field("content-type"))
            return try run(RunOptions(fields: fields, defaultName: services.uuid()))
        case .pull(let image):
            return try pull(image)
        case .logs(let container):
            let options = try LogsOptions(target: target, accept: request.head.field("accept"), now: services.now())
            return try logs(container, options: options, stream: stream)
        case .exec(let container):
            let fields = try RequestFields(body: request.body, contentType: request.head.field("content-type"))
            return try exec(container, ExecOptions(fields: fields))
        case .remove(let container):
            return try remove(container)
        }
    }

    /// `docker ps -a`: the engine's container array as it is.
    func list() throws(HTTPError) -> HTTPResponse {
        let answer = try engine.call(EngineAPI.listContainers(), timeoutSeconds: Limits.engineCallTimeoutSeconds)
        guard answer.status == 200 else {
            // The list exists on every engine: a 404 means DOCKER_HOST is not a Docker engine.
            if answer.status == 404 {
                throw HTTPError(502, "listing containers: the engine answered 404; is DOCKER_HOST a Docker engine?", reason: "engine_error")
            }
            throw EngineErrors.map(answer, context: "listing containers")
        }
        return HTTPResponse(status: 200, json: answer.body)
    }

    /// `docker rm -f`.
    func remove(_ container: String) throws(HTTPError) -> HTTPResponse {
        let answer = try engine.call(EngineAPI.remove(container), timeoutSeconds: Limits.engineCallTimeoutSeconds)
        guard answer.status == 204 || answer.status == 200 else {
            throw EngineErrors.map(answer, context: "removing container \(container)")
        }
        return HTTPResponse(status: 200, json: .object([("id", .string(container)), ("removed", .bool(true))]))
    }

    /// Reads a non-JSON stream into stdout/stderr (`multiplexed` unless the TTY was on).
    func collect(_ stream: any EngineStream, multiplexed: Bool) throws(HTTPError) -> OutputCollector {
        var output = OutputCollector(multiplexed: multiplexed)
        while let bytes = try stream.read() { output.feed(bytes) }
        return output
    }
}
