extension Handler {
    /// `docker logs` (SPEC §3). JSON: `{"id","stdout","stderr"}`. Text mode: the raw output,
    /// stdout and stderr interleaved as they were written, streamed with chunked framing
    /// (and followed when `follow`). The container is inspected first for its full id, its
    /// existence (404) and whether it has a TTY (then the output is not multiplexed).
    func logs(_ container: String, options: LogsOptions, stream out: any ResponseStream) throws(HTTPError) -> HTTPResponse? {
        let inspected = try engine.call(EngineAPI.inspect(container), timeoutSeconds: Limits.engineCallTimeoutSeconds)
        guard inspected.status == 200, let info = inspected.json, let id = info["Id"]?.stringValue, ContainerReference.isValid(id) else {
            throw EngineErrors.map(inspected, context: "container \(container)")
        }
        let multiplexed = info["Config"]?["Tty"] != .bool(true)
        let stream = try engine.open(EngineAPI.logs(id, options: options), timeoutSeconds: Limits.engineCallTimeoutSeconds,
                                     watchClient: options.follow)
        defer { stream.close() }
        guard stream.status == 200 else { throw EngineErrors.map(try stream.response(), context: "logs of \(container)") }
        guard options.text else {
            let output = try collect(stream, multiplexed: multiplexed)
            return HTTPResponse(status: 200, json: .object([("id", .string(id))] + output.members))
        }
        guard out.begin(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Container-Id", id)]) else { return nil }
        var demuxer = StreamDemuxer()
        // After the head is sent, an engine failure can only end the stream early.
        while let bytes = try? stream.read() {
            if multiplexed {
                for (_, payload) in demuxer.feed(bytes) where !out.send(Array(payload)) { return nil }
            } else if !out.send(bytes) {
                return nil
            }
        }
        out.end()
        return nil
    }
}
