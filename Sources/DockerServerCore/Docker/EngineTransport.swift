/// How the handler reaches the Docker engine. Implemented over a real socket in
/// DockerServerIO. Failures to reach the engine are thrown as `HTTPError` 502/503/504 with a
/// clear message; engine answers of any status are returned, not thrown.
public protocol EngineTransport {
    /// Sends `request` and reads the whole answer.
    /// - Parameter timeoutSeconds: deadline for the whole exchange (then 504).
    func call(_ request: EngineRequest, timeoutSeconds: Int) throws(HTTPError) -> EngineResponse
    /// Sends `request` and reads the answer's head; the body is read from the stream.
    /// - Parameters:
    ///   - timeoutSeconds: deadline for the head (then 504).
    ///   - watchClient: a body read ends with `HTTPError` 499 (`client_gone`) when the client
    ///     closes its side of the connection (followed logs, attached runs, exec: anything
    ///     that waits on the container). A half-close counts as gone, as nginx takes it.
    ///   - bodyTimeoutSeconds: deadline for the whole body from now (then 504); nil waits
    ///     as long as the engine sends or the client watches.
    func open(_ request: EngineRequest, timeoutSeconds: Int, watchClient: Bool, bodyTimeoutSeconds: Int?) throws(HTTPError) -> any EngineStream
}

extension EngineTransport {
    /// `open` without watching the client, the body bounded by `timeoutSeconds` as well.
    public func open(_ request: EngineRequest, timeoutSeconds: Int) throws(HTTPError) -> any EngineStream {
        try open(request, timeoutSeconds: timeoutSeconds, watchClient: false, bodyTimeoutSeconds: timeoutSeconds)
    }
}

/// An engine answer whose body is read as it arrives (logs, attach, exec, wait, lists).
public protocol EngineStream: AnyObject {
    var status: Int { get }
    var contentType: String? { get }
    /// The next body bytes (de-chunked when chunked), or nil at the end.
    func read() throws(HTTPError) -> [UInt8]?
    /// The next body bytes, and then whatever else has already arrived, up to about `limit`
    /// bytes (to pass streams on in larger pieces); nil at the end.
    func read(coalescingUpTo limit: Int) throws(HTTPError) -> [UInt8]?
    /// Gives a hijacked stream (attach, exec) its stdin while reading its output, so that
    /// neither side waits on the other (a command that writes as it reads fills its output
    /// long before it has taken a large input); then, with `halfClose`, ends stdin by
    /// half-closing. Returns once the input is written, or earlier when the command closed
    /// its stdin (the rest is dropped, as a pipe to a command that exits) or the output
    /// ended; the rest of the output is read with `read()`.
    /// - Parameter output: the output read meanwhile, in order.
    /// - Throws: as `read()`.
    func exchange(input: [UInt8], halfClose: Bool, output: ([UInt8]) -> Void) throws(HTTPError)
    /// Waits up to `milliseconds` for output (or the end, or the client leaving); false when
    /// the stream stayed quiet all that time.
    func awaitOutput(milliseconds: Int) -> Bool
    func close()
}

extension EngineStream {
    /// Streams that cannot wait say output is there (`read()` then waits).
    public func awaitOutput(milliseconds: Int) -> Bool { true }

    /// `read()`: streams that cannot tell what has arrived coalesce nothing.
    public func read(coalescingUpTo limit: Int) throws(HTTPError) -> [UInt8]? { try read() }

    /// Reads to the end, at most `limit` bytes.
    /// - Throws: `HTTPError` 502 when the engine sends more than `limit`.
    public func readAll(limit: Int = Limits.maxEngineBodyBytes) throws(HTTPError) -> [UInt8] {
        var body: [UInt8] = []
        while let chunk = try read() {
            body.append(contentsOf: chunk)
            if body.count > limit { throw HTTPError(502, "engine answer larger than \(limit) bytes", reason: .engineTooLarge) }
        }
        return body
    }

    /// Reads the rest and turns it into a complete response.
    public func response() throws(HTTPError) -> EngineResponse {
        EngineResponse(status: status, contentType: contentType, body: try readAll())
    }
}
