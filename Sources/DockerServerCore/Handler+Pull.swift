extension Handler {
    /// `docker pull`: 200 when the image is present afterwards. Errors arrive either as an
    /// error status or inside the 200 progress stream as `{"error":"…"}` lines.
    func pull(_ image: ImageReference) throws(HTTPError) -> HTTPResponse {
        try pullImage(image)
        return HTTPResponse(status: 200, headers: [("Content-Type", HTTPResponse.jsonContentType)],
                            body: JSON.object([("image", .string(image.description)), ("pulled", .bool(true))]).serialized)
    }

    /// Pulls `image`.
    /// - Throws: `HTTPError` 404 when the registry has no such image, 502 for other failures.
    func pullImage(_ image: ImageReference) throws(HTTPError) {
        let answer = try engine.call(EngineAPI.pull(image), timeoutSeconds: Limits.enginePullTimeoutSeconds)
        let context = "pulling \(image.description)"
        guard answer.status == 200 else { throw Handler.pullError(answer.message, status: answer.status, context: context) }
        for line in answer.body.split(separator: 0x0A) {
            guard let json = try? JSON.parse(line), let message = json["error"]?.stringValue else { continue }
            throw Handler.pullError(message, status: 200, context: context)
        }
    }

    static func pullError(_ message: String, status: Int, context: String) -> HTTPError {
        let lower = message.lowercased()
        let missing = ["not found", "manifest unknown", "does not exist", "no such image", "name unknown"]
        if status == 404 || missing.contains(where: lower.contains) {
            return HTTPError(404, "\(context): image not found: \(message)", reason: "image_not_found")
        }
        if status == 400 { return HTTPError(400, "\(context): \(message)", reason: "bad_image") }
        return HTTPError(502, "\(context): \(message)", reason: "pull_failed")
    }
}
