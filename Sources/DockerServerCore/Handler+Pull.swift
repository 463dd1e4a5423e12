extension Handler {
    /// `docker pull`: 200 when the image is present afterwards. Errors arrive either as an
    /// error status or inside the 200 progress stream as `{"error":"…"}` lines.
    func pull(_ image: ImageReference) throws(HTTPError) -> HTTPResponse {
        try pullImage(image)
        return HTTPResponse(status: 200, json: .object([("image", .string(image.description)), ("pulled", .bool(true))]))
    }

    /// Pulls `image`, reading the progress stream line by line (only the current line is
    /// kept, at most 64 KiB of it), within `Limits.enginePullTimeoutSeconds`.
    /// - Throws: `HTTPError` 404 when the registry has no such image, 502 for other failures.
    func pullImage(_ image: ImageReference) throws(HTTPError) {
        let stream = try engine.open(EngineAPI.pull(image), timeoutSeconds: engineTimeoutSeconds, watchClient: false,
                                     bodyTimeoutSeconds: Limits.enginePullTimeoutSeconds)
        defer { stream.close() }
        let context = "pulling \(image.description)"
        guard stream.status == 200 else {
            let answer = try stream.response()
            throw Handler.pullError(answer.message, status: answer.status, context: context)
        }
        var line: [UInt8] = []
        // An error inside the progress stream: `errorDetail.message` (the only one from API
        // 1.49 on), or the older `error`.
        func check(_ line: [UInt8]) throws(HTTPError) {
            guard let json = try? JSON.parse(line),
                  let message = json["errorDetail"]?["message"]?.stringValue ?? json["error"]?.stringValue else { return }
            throw Handler.pullError(message, status: 200, context: context)
        }
        while let bytes = try stream.read() {
            for byte in bytes {
                if byte == 0x0A {
                    try check(line)
                    line.removeAll(keepingCapacity: true)
                } else if line.count < 65536 {
                    line.append(byte)
                }
            }
        }
        try check(line)
    }

    /// ImageCreate documents 404 for an image the registry does not have; a failure inside the
    /// 200 progress stream has no status, and a registry's refusal can come as a 500: there
    /// the message tells a missing image from a failed pull.
    static func pullError(_ message: String, status: Int, context: String) -> HTTPError {
        if status == 404 || EngineErrors.isMissingImage(message) {
            return HTTPError(404, "\(context): image not found: \(message)", reason: .imageNotFound)
        }
        return HTTPError(502, "\(context): \(message)", reason: .pullFailed)
    }
}
