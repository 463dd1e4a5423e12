/// What the handler needs besides the engine: time, randomness and waiting, so that its
/// logic stays free of syscalls.
public protocol HandlerServices {
    /// Current Unix time, nanoseconds.
    func nowNanoseconds() -> Int
    /// A random UUID v4 in lowercase text form (RFC 9562 §5.4).
    func uuid() -> String
    /// Waits `milliseconds`.
    func sleep(milliseconds: Int)
    /// A monotonic clock, milliseconds: for bounds on polling loops.
    func monotonicMilliseconds() -> Int64
}

/// Where a streamed response (lists, logs in text mode) goes. The head is sent with chunked
/// framing by `begin`; `send` returns false once the client is gone.
public protocol ResponseStream: AnyObject {
    func begin(status: Int, headers: [(String, String)]) -> Bool
    func send(_ bytes: [UInt8]) -> Bool
    /// Ends the answer: the last chunk (RFC 9112 §7.1).
    func end()
    /// Ends an answer whose head is already sent after `error` (the engine failed midway):
    /// no last chunk, and the connection is reset, so that the client sees an incomplete
    /// answer rather than a short one that looks whole; the error is logged.
    func abort(_ error: HTTPError)
}

/// Turns a routed request into Docker Engine calls and an answer (docs/API.md). One instance
/// per request; it holds no state between requests.
public struct Handler {
    public let engine: any EngineTransport
    public let services: any HandlerServices
    /// Bound of an ordinary engine call, seconds (`--engine_timeout`).
    public let engineTimeoutSeconds: Int

    public init(engine: any EngineTransport, services: any HandlerServices, engineTimeoutSeconds: Int = Limits.defaultEngineTimeoutSeconds) {
        self.engine = engine
        self.services = services
        self.engineTimeoutSeconds = engineTimeoutSeconds
    }

    /// Performs `route`.
    /// - Returns: the response to send, or nil when the answer was already streamed to `stream`.
    /// - Throws: `HTTPError` for bad input, engine errors and an unreachable engine; 406 when
    ///   `Accept` allows none of the route's media types.
    public func handle(_ route: Route, request: HTTPRequest, target: RequestTarget, stream: any ResponseStream) throws(HTTPError) -> HTTPResponse? {
        let accept = request.head.combinedField("accept")
        try Self.requireJSON(route, accept: accept)
        switch route {
        case .list:
            return try list(stream: stream)
        case .run:
            let fields = try RequestFields(body: request.body, contentType: request.head.field("content-type"))
            return try run(RunOptions(fields: fields, defaultName: services.uuid()))
        case .pull(let image):
            return try pull(image)
        case .logs(let container):
            let options = try LogsOptions(target: target, accept: accept, nowNanoseconds: services.nowNanoseconds())
            return try logs(container, options: options, stream: stream)
        case .exec(let container):
            let fields = try RequestFields(body: request.body, contentType: request.head.field("content-type"))
            return try exec(container, ExecOptions(fields: fields))
        case .remove(let container):
            return try remove(container, volumes: try Self.volumes(target))
        }
    }

    /// Every answer but logs (JSON or text) and a pull (no body) is JSON only.
    /// - Throws: `HTTPError` 406 when `accept` does not allow it.
    static func requireJSON(_ route: Route, accept: String?) throws(HTTPError) {
        switch route {
        case .logs, .pull: return
        default:
            guard ContentNegotiation.choose(["application/json"], accept: accept) != nil else {
                throw HTTPError(406, "the Accept field does not allow application/json, the only form of this answer", reason: .notAcceptable)
            }
        }
    }

    /// `?volumes=` of a DELETE: absent is false, present without a value true.
    /// - Throws: `HTTPError` 400 for a value that is not a boolean.
    static func volumes(_ target: RequestTarget) throws(HTTPError) -> Bool {
        guard let volumes = target.query("volumes").map({ $0.isEmpty ? true : RequestFields.parseBool($0) }) ?? false else {
            throw HTTPError.badRequest("query volumes must be a boolean, got \"\(target.query("volumes") ?? "")\"", reason: .badQuery)
        }
        return volumes
    }

    /// Checks a request as `handle` does before its first engine call (406, 400): cluster
    /// mode checks here before it sends the request to other nodes.
    /// - Returns: for logs, the options (text or JSON, follow).
    @discardableResult
    public func validate(_ route: Route, request: HTTPRequest, target: RequestTarget) throws(HTTPError) -> LogsOptions? {
        let accept = request.head.combinedField("accept")
        try Self.requireJSON(route, accept: accept)
        switch route {
        case .list, .pull: return nil
        case .run: _ = try RunOptions(fields: try RequestFields(body: request.body, contentType: request.head.field("content-type")), defaultName: "x")
        case .exec: _ = try ExecOptions(fields: try RequestFields(body: request.body, contentType: request.head.field("content-type")))
        case .remove: _ = try Self.volumes(target)
        case .logs: return try LogsOptions(target: target, accept: accept, nowNanoseconds: services.nowNanoseconds())
        }
        return nil
    }

    /// `docker ps -a`: the engine's container array as it is, streamed (a list of thousands
    /// of containers is never held in memory whole), ending with a newline (the engine's
    /// encoder writes one; added if it did not).
    func list(stream out: any ResponseStream) throws(HTTPError) -> HTTPResponse? {
        let stream = try engine.open(EngineAPI.listContainers(), timeoutSeconds: engineTimeoutSeconds)
        defer { stream.close() }
        guard stream.status == 200 else {
            // The list exists on every engine: a 404 means DOCKER_HOST is not a Docker engine.
            if stream.status == 404 {
                throw HTTPError(502, "listing containers: the engine answered 404; is DOCKER_HOST a Docker engine?", reason: .engineError)
            }
            throw EngineErrors.map(try stream.response(), operation: .containerList, context: "listing containers")
        }
        guard out.begin(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)]) else { return nil }
        var last: UInt8?
        do throws(HTTPError) {
            while let bytes = try stream.read(coalescingUpTo: 65536) {
                guard out.send(bytes) else { return nil }
                last = bytes.last ?? last
            }
        } catch {
            out.abort(error)
            return nil
        }
        if last != 0x0A, !out.send([0x0A]) { return nil }
        out.end()
        return nil
    }

    /// `docker rm -f` (`-v` too with `volumes`). A container the engine is already removing
    /// (an auto-removed one that just exited, say) is waited for, within the engine timeout,
    /// and then reported removed.
    func remove(_ container: String, volumes: Bool) throws(HTTPError) -> HTTPResponse {
        let answer = try engine.call(EngineAPI.remove(container, volumes: volumes), timeoutSeconds: engineTimeoutSeconds)
        if answer.status == 409, EngineErrors.isRemovalInProgress(answer) {
            try waitUntilGone(container)
        } else if answer.status != 204, answer.status != 200 {
            throw EngineErrors.map(answer, operation: .containerDelete, context: "removing container \(container)")
        }
        return HTTPResponse(status: 200, json: .object([("id", .string(container)), ("removed", .bool(true))]))
    }

    /// Polls ContainerInspect until the engine no longer knows `container`, all within the
    /// engine timeout.
    /// - Throws: `HTTPError` 409 when it is still there after the engine timeout.
    func waitUntilGone(_ container: String) throws(HTTPError) {
        let deadline = services.monotonicMilliseconds() + Int64(engineTimeoutSeconds) * 1000
        while let left = secondsLeft(until: deadline) {
            let answer = try engine.call(EngineAPI.inspect(container), timeoutSeconds: left)
            if answer.status == 404 { return }
            services.sleep(milliseconds: 100)
        }
        throw HTTPError(409, "removing container \(container): the engine is still removing it after \(engineTimeoutSeconds) s",
                        reason: .removalInProgress)
    }

    /// Whole seconds (at least 1) left before `deadline` (monotonic ms), nil once it passed.
    func secondsLeft(until deadline: Int64) -> Int? {
        let left = deadline - services.monotonicMilliseconds()
        return left > 0 ? Int((left + 999) / 1000) : nil
    }

    /// Reads a non-JSON stream to the end into stdout/stderr (`multiplexed` unless the TTY
    /// was on). With `input` (stdin attached), stdin first gets it (possibly empty) and then
    /// end-of-file while the output is read. Without a TTY end-of-file is the half-close;
    /// with one the engine would end the whole stream there, so end-of-file is the
    /// terminal's: Ctrl-D at the start of a line (a newline is added after a partial last
    /// line, as shells with line editing ignore Ctrl-D on a non-empty line).
    ///
    /// A terminal can lose that Ctrl-D: typed before the command switches the terminal out of
    /// canonical mode (a shell starting its line editing), it is dropped in the switch, and
    /// the command would wait for input that cannot come. So whenever the command has been
    /// quiet for `Limits.ttyEndOfFileRepeatMs`, another Ctrl-D follows (at most
    /// `Limits.ttyEndOfFileRepeats` in all): to a command that already had end-of-file it is
    /// end-of-file again.
    func collect(_ stream: any EngineStream, multiplexed: Bool, input: [UInt8]? = nil, tty: Bool = false) throws(HTTPError) -> OutputCollector {
        var output = OutputCollector(multiplexed: multiplexed)
        if let input {
            let endOfFile: [UInt8] = input.isEmpty || input.last == 0x0A ? [0x04] : [0x0A, 0x04]
            try stream.exchange(input: tty ? input + endOfFile : input, halfClose: !tty) { output.feed($0) }
        }
        var repeats = tty && input != nil ? 0 : Limits.ttyEndOfFileRepeats
        while true {
            if repeats < Limits.ttyEndOfFileRepeats, !stream.awaitOutput(milliseconds: Limits.ttyEndOfFileRepeatMs) {
                try stream.exchange(input: [0x04], halfClose: false) { output.feed($0) }
                repeats += 1
                continue
            }
            guard let bytes = try stream.read() else { break }
            output.feed(bytes)
        }
        return output
    }
}
