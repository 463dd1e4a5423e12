extension Handler {
    /// `docker exec` (docs/API.md "POST /<id or name>"): ExecCreate, ExecStart attached, stdin
    /// given its `input` and end-of-file when attached (`interactive`, `input` or `tty`), output read
    /// to the end, then ExecInspect for the real exit code: `200
    /// {"id","exitCode","stdout","stderr"}`. Unknown container 404, stopped 409.
    func exec(_ container: String, _ options: ExecOptions) throws(HTTPError) -> HTTPResponse {
        let created = try engine.call(EngineAPI.execCreate(container, argv: options.argv, tty: options.tty, stdin: options.attachesStdin),
                                      timeoutSeconds: engineTimeoutSeconds)
        guard created.status == 201, let execID = created.json?["Id"]?.stringValue, ContainerReference.isValid(execID) else {
            throw EngineErrors.map(created, operation: .containerExec, context: "exec in container \(container)")
        }
        // Watched: a client that hangs up ends this process (the engine has no way to stop an
        // exec; its command runs on in the container, as after a killed `docker exec`).
        let stream = try engine.open(EngineAPI.execStart(execID, tty: options.tty), timeoutSeconds: engineTimeoutSeconds,
                                     watchClient: true, bodyTimeoutSeconds: Limits.attachedRunTimeoutSeconds)
        defer { stream.close() }
        guard stream.status == 101 || stream.status == 200 else {
            throw EngineErrors.map(try stream.response(), operation: .execStart, context: "starting exec in container \(container)")
        }
        var output = try collect(stream, multiplexed: !options.tty, input: options.attachesStdin ? options.input ?? [] : nil, tty: options.tty)
        let exitCode = try execExitCode(execID, container: container)
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType), ("X-Exit-Code", String(exitCode))],
                            bodyParts: output.jsonParts([("id", .string(container)), ("exitCode", .int(exitCode))]))
    }

    /// The exec's exit code. The engine may still report it running for a moment after its
    /// stream ended, so ask again briefly: for up to 5 s, and all calls within the engine
    /// timeout.
    func execExitCode(_ execID: String, container: String) throws(HTTPError) -> Int {
        let start = services.monotonicMilliseconds()
        let deadline = start + Int64(engineTimeoutSeconds) * 1000
        var attempt = 0
        while let left = secondsLeft(until: deadline), services.monotonicMilliseconds() - start < 5000 {
            let answer = try engine.call(EngineAPI.execInspect(execID), timeoutSeconds: left)
            guard answer.status == 200, let json = answer.json else {
                throw EngineErrors.map(answer, operation: .execInspect, context: "inspecting exec in container \(container)")
            }
            if json["Running"] != .bool(true), let code = json["ExitCode"]?.intValue { return code }
            services.sleep(milliseconds: attempt < 10 ? 5 : 50)
            attempt += 1
        }
        throw HTTPError(502, "exec in container \(container): the engine did not report an exit code", reason: .engineError)
    }
}
