extension Handler {
    /// `docker logs` (docs/API.md "GET /<id or name>"). JSON: `{"id","stdout","stderr"}`,
    /// output capped after escaping. Text mode: the raw output, stdout and stderr interleaved
    /// as they were written, streamed with chunked framing (and followed when `follow`), what
    /// has arrived from the engine sent as one chunk (up to 64 KiB), not a chunk per line. The container is inspected first for its full
    /// id, its existence (404) and whether it has a TTY (then the output is not multiplexed).
    func logs(_ container: String, options: LogsOptions, stream out: any ResponseStream) throws(HTTPError) -> HTTPResponse? {
        let inspected = try engine.call(EngineAPI.inspect(container), timeoutSeconds: engineTimeoutSeconds)
        guard inspected.status == 200, let info = inspected.json, let id = info["Id"]?.stringValue, ContainerReference.isValid(id) else {
            throw EngineErrors.map(inspected, operation: .containerInspect, context: "container \(container)")
        }
        let multiplexed = info["Config"]?["Tty"] != .bool(true)
        // Followed logs last as long as the client watches; the rest is bounded.
        let stream = try engine.open(EngineAPI.logs(id, options: options), timeoutSeconds: engineTimeoutSeconds,
                                     watchClient: options.follow, bodyTimeoutSeconds: options.follow ? nil : engineTimeoutSeconds)
        defer { stream.close() }
        guard stream.status == 200 else { throw EngineErrors.map(try stream.response(), operation: .containerLogs, context: "logs of \(container)") }
        guard options.text else {
            var output = try collect(stream, multiplexed: multiplexed)
            return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)],
                                bodyParts: output.jsonParts([("id", .string(id))]))
        }
        guard out.begin(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Container-Id", id)]) else { return nil }
        var demuxer = StreamDemuxer()
        do throws(HTTPError) {
            while let bytes = try stream.read(coalescingUpTo: 65536) {
                var text = bytes
                if multiplexed {
                    text = []
                    for (_, payload) in demuxer.feed(bytes) { text.append(contentsOf: payload) }
                }
                guard out.send(text) else { return nil }
            }
        } catch {
            // A client that hung up ends followed logs: nothing to tell it.
            if error.reason != .clientGone { out.abort(error) }
            return nil
        }
        out.end()
        return nil
    }
}
