extension Handler {
    /// `docker run` (docs/API.md "PUT /"). Detached: create, start, `201 {"id","name"}`.
    /// Attached: create, attach and wait before start (as the docker CLI does, so output is
    /// complete even for a container that exits at once), start, give stdin its `input` and
    /// end-of-file when attached, read the output to the end, `200
    /// {"id","name","exitCode","stdout","stderr"}`. With `remove` the engine's AutoRemove
    /// deletes the container when it exits, even if this process is gone by then. A missing
    /// image is pulled first. A container whose start fails is removed before answering. A
    /// client that hangs up before the answer, or a run past
    /// `Limits.attachedRunTimeoutSeconds`, gets its container killed (ContainerKill).
    func run(_ options: RunOptions) throws(HTTPError) -> HTTPResponse {
        let id = try createContainer(options)
        if options.detach {
            try startContainer(id, name: options.name)
            return HTTPResponse(status: 201, json: .object([("id", .string(id)), ("name", .string(options.name))]))
        }
        let attach = try openOrCleanUp(EngineAPI.attach(id, stdin: options.attachesStdin), container: id,
                                       context: "attaching to \(options.name)")
        defer { attach.close() }
        let wait = try openOrCleanUp(EngineAPI.wait(id, untilRemoved: options.remove), container: id,
                                     context: "waiting for \(options.name)")
        defer { wait.close() }
        try startContainer(id, name: options.name)
        var output: OutputCollector
        let waited: [UInt8]
        do throws(HTTPError) {
            output = try collect(attach, multiplexed: !options.tty, input: options.attachesStdin ? options.input ?? [] : nil, tty: options.tty)
            waited = try wait.readAll()
        } catch {
            // The client hung up (like Ctrl-C on `docker run`), or the run took too long: stop
            // the container rather than leave it running unwatched; with `remove` the engine
            // then deletes it.
            _ = try? engine.call(EngineAPI.kill(id), timeoutSeconds: engineTimeoutSeconds)
            if error.reason == .engineTimeout {
                throw HTTPError(504, "\(options.name) did not exit within \(Limits.attachedRunTimeoutSeconds) s; it was killed",
                                reason: .runTimeout)
            }
            if error.reason == .clientGone {
                throw HTTPError(499, "the client left during the run of \(options.name): its container was killed\(options.remove ? " (and removed)" : "")",
                                reason: .clientGone)
            }
            throw error
        }
        guard let result = try? JSON.parse(waited), let exitCode = result["StatusCode"]?.intValue else {
            throw HTTPError(502, "waiting for \(options.name): unexpected engine answer", reason: .engineError)
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType), ("X-Exit-Code", String(exitCode))],
                            bodyParts: output.jsonParts([("id", .string(id)), ("name", .string(options.name)), ("exitCode", .int(exitCode))]))
    }

    /// ContainerCreate, pulling the image first when the engine does not have it.
    /// - Returns: the new container's full id.
    func createContainer(_ options: RunOptions) throws(HTTPError) -> String {
        let request = EngineAPI.create(name: options.name, config: options.createConfig)
        var answer = try engine.call(request, timeoutSeconds: engineTimeoutSeconds)
        if answer.status == 404, answer.message.lowercased().contains("no such image") {
            try pullImage(options.image)
            answer = try engine.call(request, timeoutSeconds: engineTimeoutSeconds)
        }
        guard answer.status == 201, let id = answer.json?["Id"]?.stringValue, ContainerReference.isValid(id) else {
            if answer.status == 201 {
                throw HTTPError(502, "creating container \(options.name): the engine answered 201 without a container id", reason: .engineProtocol)
            }
            throw EngineErrors.map(answer, operation: .containerCreate, context: "creating container \(options.name)")
        }
        return id
    }

    /// ContainerStart; on failure the created container is removed and the error returned
    /// (a host port already taken is 409).
    func startContainer(_ id: String, name: String) throws(HTTPError) {
        let answer: EngineResponse
        do throws(HTTPError) {
            answer = try engine.call(EngineAPI.start(id), timeoutSeconds: engineTimeoutSeconds)
        } catch {
            removeQuietly(id)
            throw error
        }
        guard answer.status == 204 || answer.status == 304 else {
            removeQuietly(id)
            throw EngineErrors.map(answer, operation: .containerStart, context: "starting container \(name)")
        }
    }

    /// Opens a stream that ends with `client_gone` when the client hangs up, and with 504
    /// after `Limits.attachedRunTimeoutSeconds`; when opening fails the container is removed.
    func openOrCleanUp(_ request: EngineRequest, container id: String, context: String) throws(HTTPError) -> any EngineStream {
        do throws(HTTPError) {
            let stream = try engine.open(request, timeoutSeconds: engineTimeoutSeconds, watchClient: true,
                                         bodyTimeoutSeconds: Limits.attachedRunTimeoutSeconds)
            guard stream.status == 101 || stream.status == 200 else {
                let answer = (try? stream.response()) ?? EngineResponse(status: stream.status, body: [])
                stream.close()
                throw EngineErrors.map(answer, operation: request.operation, context: context)
            }
            return stream
        } catch {
            removeQuietly(id)
            throw error
        }
    }

    /// `docker rm -f` whose failure is ignored (clean-up after another error).
    func removeQuietly(_ id: String) {
        _ = try? engine.call(EngineAPI.remove(id, volumes: false), timeoutSeconds: engineTimeoutSeconds)
    }
}
