import Glibc
import DockerServerCore

/// Serves the one HTTP request on stdin/stdout (docs/API.md "HTTP"): reads the head against the read
/// deadline, checks the token before the body is read, answers `100 Continue` only then,
/// reads the body, routes, calls the engine, writes the whole answer with `Connection:
/// close`, logs one access line, and returns the exit code.
public final class Connection: ResponseStream {
    let input: Int32 = 0
    let output: Int32 = 1
    let config: Config
    let environment: [String: String]
    let logger: Logger
    let startedMs = Syscalls.monotonicMs()
    /// The client's address; for a request forwarded by a cluster node, the original client's.
    var client: String
    var buffer: [UInt8] = []
    var method = "-"
    var path = "-"
    var status = 0
    var bytesSent = 0
    var omitBody = false
    var clientGone = false
    /// The answer was cut short after its head (`abort`): the connection is reset.
    var aborted = false
    var timedOut = false
    /// The whole request, body included, was read: no bytes of it can still be in flight.
    var requestComplete = false
    /// An HTTP/1.0 request: streamed answers are delimited by closing, not chunked.
    var http10 = false
    /// The request's target and route, once they parsed (in `authenticate`).
    var routed: (target: RequestTarget, route: Route)?
    /// `RateLimit-*` fields for the answer, once a counter decided (docs/API.md "Rate limits").
    var rateHeaders: [(String, String)] = []
    /// Cluster mode (`--cluster`): the cluster view once made, and the valid forwarding
    /// field of a request another node forwarded (docs/API.md "Cluster").
    var cluster: ClusterNodes?
    var forwarded: ForwardingHeader?
    lazy var rateLimiter = RateLimiter(folder: config.folder, windowSeconds: config.rateWindowSeconds, logger: logger)
    #if !DS_NO_TLS
    /// TLS on the connection with `--https` (docs/API.md "HTTPS"), set up in `serve`.
    var tls: TLSChannel?
    #endif

    public init(config: Config, environment: [String: String], logger: Logger) {
        self.config = config
        self.environment = environment
        self.logger = logger
        client = PeerAddress.of(fd: 0, environment: environment)
    }

    /// Exit codes (tipidee's table): 0 a response was written, 1 the client vanished or
    /// timed out before one could be.
    public func serve() -> Int32 {
        let deadline = startedMs + Int64(config.readTimeoutSeconds) * 1000
        // Every write then waits through poll with --write_timeout, never in write(2).
        if Syscalls.isSocket(output) { Syscalls.setNonBlocking(output) }
        #if DS_NO_TLS
        if config.https {
            logger.log(.error, "tls_setup_failed", [("client", client), ("detail", "built without TLS support (DS_NO_TLS)")])
            return 1
        }
        #else
        if config.https {
            // Fail closed: without working TLS nothing is answered, least of all in clear text.
            do throws(TLSError) {
                let channel = try TLSChannel(config: config, input: input, output: output)
                tls = channel
                try channel.handshake(deadline: deadline)
            } catch {
                if tls == nil {
                    logger.log(.error, "tls_setup_failed", [("client", client), ("detail", error.message)])
                } else {
                    logger.log(.warn, "tls_handshake_failed", [("client", client), ("detail", error.message)])
                }
                // Close with a FIN rather than a reset: half-close, then drain briefly (bounded).
                if Syscalls.isSocket(output) {
                    shutdown(output, Int32(SHUT_WR))
                    Syscalls.drain(input, maxBytes: 1 << 16)
                }
                return 1
            }
        }
        #endif
        do throws(HTTPError) {
            let request = try readRequest(deadline: deadline)
            guard let request else { return 1 }
            try respond(to: request)
        } catch {
            if error.reason == .clientGone {
                clientGone = true
                logger.log(.info, "client_gone", [("client", client), ("method", method), ("path", path), ("detail", error.message)])
            } else {
                // A HEAD request refused before its head parsed still gets no body (and X-Error).
                if buffer.starts(with: Array("HEAD ".utf8)) { omitBody = true }
                send(error: error)
            }
            timedOut = error.reason == .readTimeout
        }
        finish()
        return clientGone || timedOut || aborted || status == 0 ? 1 : 0
    }

    // MARK: Reading

    /// Reads more of the request before `deadline`.
    /// - Returns: false at end of input.
    /// - Throws: `HTTPError` 408 when the deadline passes.
    func receive(deadline: Int64) throws(HTTPError) -> Bool {
        switch clientRead(deadline: deadline) {
        case .data(let bytes):
            buffer.append(contentsOf: bytes)
            return true
        case .timedOut:
            throw HTTPError(408, "request not received within \(config.readTimeoutSeconds) s", reason: .readTimeout)
        case .endOfFile, .hangup, .failed:
            return false
        }
    }

    /// Reads and checks the request. Returns nil when the client sent nothing at all.
    func readRequest(deadline: Int64) throws(HTTPError) -> HTTPRequest? {
        var parsed: (HTTPRequestHead, Int)?
        while parsed == nil {
            if case let .head(head, bodyOffset) = try RequestHeadParser.parse(buffer, maxHeaderBytes: Limits.maxHeaderBytes) {
                parsed = (head, bodyOffset)
                break
            }
            guard try receive(deadline: deadline) else {
                if buffer.allSatisfy({ $0 == 0x0D || $0 == 0x0A }) { return nil }
                throw HTTPError.badRequest("connection closed before the request header section was complete", reason: .incompleteRequest)
            }
        }
        guard let (head, bodyOffset) = parsed else { return nil }
        method = head.method
        path = String(head.target.prefix { $0 != "?" }.prefix(256))
        omitBody = head.method == "HEAD"
        http10 = head.minorVersion == 0
        let framing = try RequestHeadParser.framing(of: head)
        try authenticate(head)
        if case .length(let n) = framing, n > config.maxBodyBytes {
            throw HTTPError(413, "request body of \(n) bytes is larger than the limit of \(config.maxBodyBytes) bytes", reason: .bodyTooLarge)
        }
        if try RequestHeadParser.expectsContinue(head), framing != .none, buffer.count == bodyOffset, head.minorVersion == 1 {
            clientWrite(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        buffer.removeFirst(bodyOffset)
        var body: [UInt8] = []
        switch framing {
        case .none:
            break
        case .length(let n):
            while buffer.count < n {
                guard try receive(deadline: deadline) else {
                    throw HTTPError.badRequest("connection closed after \(buffer.count) of \(n) body bytes", reason: .incompleteBody)
                }
            }
            body = Array(buffer.prefix(n))
            buffer = []  // bytes pipelined after the request are not answered; the memory is the body's
        case .chunked:
            var decoder = ChunkedDecoder(maxBodyBytes: config.maxBodyBytes)
            while true {
                body += try decoder.requestBody(buffer)
                buffer.removeAll(keepingCapacity: true)
                if decoder.isDone { break }
                guard try receive(deadline: deadline) else {
                    throw HTTPError.badRequest("connection closed inside the chunked body", reason: .incompleteBody)
                }
            }
        }
        requestComplete = true
        return HTTPRequest(head: head, body: body)
    }

    /// docs/API.md "Authentication": no token configured → 503; missing or wrong → 401 with `WWW-Authenticate`.
    func authenticate(_ head: HTTPRequestHead) throws(HTTPError) {
        let (token, problem) = TokenSource.resolve(config: config, environment: environment)
        guard let token else {
            logger.log(.error, "no_token", [("detail", problem ?? "")])
            throw HTTPError(503, "the server has no API token configured; it refuses every request until one is set", reason: .noToken)
        }
        // One locked counter per client address (docs/API.md "Rate limits"): failed authentications are limited
        // (past the limit the token is not even compared), then the request's class is counted.
        var outcome = Authenticator.Outcome.missing
        let authorization = head.field("authorization")
        // Routed here already (pure, no I/O) for the rate class; `respond` reuses it, and
        // parses again only to report the error of a request that did not route.
        if let target = try? RequestTarget(head.target), let route = try? Router.route(method: head.method, path: target.path) {
            routed = (target, route)
        }
        if let header = validForwarding(head, token: token) {
            // Counted once, by the node the client reached; its token was checked there and
            // is checked again here.
            forwarded = header
            client = header.client
            guard Authenticator.check(authorization: authorization, token: token) == .accepted else {
                throw HTTPError(401, "invalid token", reason: .authFailed, headers: [("WWW-Authenticate", Authenticator.challenge)])
            }
            return
        }
        let rateClass = routed?.route.rateClass
        let admission = timed("request") {
            rateLimiter.admit(client: client, authLimit: config.authBurst, rateClass: rateClass,
                              limit: rateClass.map { config.limit(for: $0) } ?? 0) {
                outcome = Authenticator.check(authorization: authorization, token: token)
                return outcome == .accepted
            }
        }
        if case let .authRefused(decision) = admission {
            rateHeaders = RateLimit.headers(decision)
            throw HTTPError(429, "too many failed authentications from \(client): at most \(decision.limit) per \(config.rateWindowSeconds) s; retry in \(decision.resetSeconds) s",
                            reason: .authRateLimited)
        }
        if case let .authenticated(decision?) = admission, let rateClass {
            rateHeaders = RateLimit.headers(decision)
            guard decision.allowed else {
                throw HTTPError(429, "rate limit of \(decision.limit) \(rateClass.operations) requests per \(config.rateWindowSeconds) s exceeded for \(client); retry in \(decision.resetSeconds) s",
                                reason: .rateLimited)
            }
        }
        switch outcome {
        case .accepted:
            return
        case .missing:
            throw HTTPError(401, "authentication required: send Authorization: Bearer TOKEN or Basic credentials", reason: .authMissing,
                            headers: [("WWW-Authenticate", Authenticator.challenge)])
        case .rejected:
            throw HTTPError(401, "invalid token", reason: .authFailed, headers: [("WWW-Authenticate", Authenticator.challenge)])
        }
    }

    // MARK: Handling

    func respond(to request: HTTPRequest) throws(HTTPError) {
        guard let (target, route) = routed else {
            // It did not route: parse again for the error that says why.
            let target = try RequestTarget(request.head.target)
            _ = try Router.route(method: request.head.method, path: target.path)
            throw HTTPError(500, "request routed on the second parse only", reason: .bug)
        }
        let engineEndpoint: EngineEndpoint
        do { engineEndpoint = try EngineEndpoint(config.dockerHost) } catch {
            throw HTTPError(503, error.message, reason: .engineUnreachable)
        }
        let watch: Int32? = Syscalls.isSocket(input) ? input : nil
        // The negotiated API version is this machine's: in cluster mode --folder is shared.
        let versionFolder = config.cluster ? ClusterNodes.localFolder(environment: environment) : config.folder
        let handler = Handler(engine: EngineClient(endpoint: engineEndpoint, clientWatchFD: watch, stateFolder: versionFolder), services: SystemServices(),
                              engineTimeoutSeconds: config.engineTimeoutSeconds)
        var nodes: ClusterNodes?
        if config.cluster {
            let (token, _) = TokenSource.resolve(config: config, environment: environment)
            guard let token, let made = clusterNodes(token: token) else {
                throw HTTPError(503, "cluster mode is unusable on this node; its log says why", reason: .clusterUnavailable)
            }
            nodes = made
            if let forwarded {
                guard made.key.sha256(request.body) == forwarded.bodySHA256 else {
                    throw HTTPError.badRequest("the body does not match the forwarding field's signature", reason: .forwardingMismatch)
                }
            } else if try clusterRespond(route, request: request, target: target, nodes: made, handler: handler) {
                return
            }
        }
        if var response = try handler.handle(route, request: request, target: target, stream: self) {
            // A run placed on this node says so, as a forwarded one does.
            if route == .run, forwarded == nil, let host = nodes?.selfURL {
                response = HTTPResponse(status: response.status, headers: response.headers + [("X-Cluster-Host", host)],
                                        bodyParts: [ClusterMerge.withHost(response.bodyParts.flatMap { $0 }, host: host)])
            }
            send(response)
        }
    }

    // MARK: Writing

    /// Reads from the client: through TLS with `--https`, else straight from stdin.
    func clientRead(deadline: Int64) -> Syscalls.ReadResult {
        #if !DS_NO_TLS
        if let tls { return tls.read(deadline: deadline) }
        #endif
        return Syscalls.read(input, deadline: deadline)
    }

    /// Writes to the client (through TLS with `--https`). A client that takes no bytes for
    /// `--write_timeout` seconds is dropped and logged (`client_stalled`); either way a failed
    /// write marks the client gone, which ends streams and the request as a hang-up does.
    /// - Returns: false when the client is gone (now or before).
    @discardableResult
    func clientWrite(_ bytes: [UInt8]) -> Bool {
        guard !clientGone else { return false }
        let stallMs = Int64(config.writeTimeoutSeconds) * 1000
        #if DS_NO_TLS
        let outcome = Syscalls.writeAll(output, bytes, stallTimeoutMs: stallMs)
        #else
        let outcome = tls?.writeAll(bytes, stallTimeoutMs: stallMs) ?? Syscalls.writeAll(output, bytes, stallTimeoutMs: stallMs)
        #endif
        switch outcome {
        case .written: return true
        case .stalled:
            logger.log(.warn, "client_stalled", [("client", client), ("method", method), ("path", path),
                                                 ("write_timeout_s", String(config.writeTimeoutSeconds)), ("bytes", String(bytesSent))])
        case .failed: break
        }
        clientGone = true
        return false
    }

    func send(_ response: HTTPResponse) {
        var response = response
        response.headers += rateHeaders
        status = response.status
        let date = Logger.httpDate()
        let length = response.bodyCount
        // Small answers go out in one write; large ones part by part, never joined in memory.
        if length <= 65536 || omitBody {
            if clientWrite(response.serialize(omitBody: omitBody, date: date)) { bytesSent += omitBody ? 0 : length }
            return
        }
        guard clientWrite(HTTPResponse.head(status: response.status, headers: response.headers, contentLength: length, date: date)) else { return }
        for part in response.bodyParts where !part.isEmpty {
            guard clientWrite(part) else { return }
            bytesSent += part.count
        }
    }

    /// An error as JSON; for HEAD (pull) also in `X-Error`, since HEAD answers have no body.
    func send(error: HTTPError) {
        guard status == 0 else { return }  // a stream already started: nothing more to say
        let response = omitBody ? error.headResponse : error.response
        if error.status >= 500 {
            logger.log(.error, error.reason.rawValue, [("client", client), ("method", method), ("path", path), ("detail", error.message)])
        } else if error.status == 401 || error.status == 429 {
            logger.log(.warn, error.reason.rawValue, [("client", client), ("method", method), ("path", path)])
        }
        send(response)
    }

    public func begin(status: Int, headers: [(String, String)]) -> Bool {
        self.status = status
        return clientWrite(HTTPResponse.head(status: status, headers: headers + rateHeaders, contentLength: nil, date: Logger.httpDate(), http10: http10))
    }

    public func send(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !clientGone }
        guard clientWrite(http10 ? bytes : HTTPResponse.chunk(bytes)) else { return false }
        bytesSent += bytes.count
        return true
    }

    public func end() {
        guard !http10 else { return }
        clientWrite(HTTPResponse.lastChunk)
    }

    public func abort(_ error: HTTPError) {
        logger.log(.warn, "answer_aborted", [("client", client), ("method", method), ("path", path), ("bytes", String(bytesSent)),
                                             ("detail", error.message)])
        aborted = true
    }

    /// Runs a rate-limit step; at debug level logs its duration (`reason=ratelimit class=…
    /// us=…`; `class=sweep` for the clean-up), which `scripts/bench.sh` reads.
    func timed<T>(_ step: String, _ body: () -> T) -> T {
        guard logger.enabled(.debug) else { return body() }
        let start = Syscalls.monotonicNanoseconds()
        let result = body()
        logger.log(.debug, "ratelimit", [("class", step), ("us", String((Syscalls.monotonicNanoseconds() - start) / 1000))])
        return result
    }

    /// Logs the access line and closes gracefully: half-close, then drain what the client
    /// still sends (up to 1 s), so an early answer (401, 413) is not lost to a TCP reset.
    func finish() {
        let elapsed = Syscalls.monotonicMs() - startedMs
        if status != 0 {
            logger.log(.info, "access", [("client", client), ("method", method), ("path", path), ("status", String(status)),
                                         ("bytes", String(bytesSent)), ("ms", String(elapsed))])
        }
        let socket = Syscalls.isSocket(output)
        if aborted {
            // A reset (SO_LINGER 0), not a FIN: even an HTTP/1.0 answer, delimited by the
            // close, is then seen as incomplete.
            if socket { Syscalls.resetOnClose(output) }
            return
        }
        #if !DS_NO_TLS
        if !clientGone { tls?.close() }
        #endif
        if socket { shutdown(output, Int32(SHUT_WR)) }
        timed("sweep") { rateLimiter.sweep() }  // the client has its whole answer by now
        cluster?.refreshIfDue()
        guard socket else { return }
        // Closing with unread input makes the kernel send RST, which can destroy the response
        // before the client reads it (RFC 9112 §9.6): linger and drain, unless the request was
        // read whole and nothing more is waiting.
        if requestComplete, Syscalls.pendingBytes(input) == 0 { return }
        Syscalls.drain(input)
    }
}
