import Glibc
import DockerServerCore

/// Where the Docker engine listens, from `DOCKER_HOST` (docs/DESIGN.md "The engine").
public enum EngineEndpoint: Equatable, Sendable {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `unix:///path`, `tcp://host:port` (also `http://`).
    /// - Throws: `ConfigError` naming DOCKER_HOST.
    public init(_ text: String) throws(ConfigError) {
        if text.hasPrefix("unix://") {
            let path = String(text.dropFirst("unix://".count))
            guard path.hasPrefix("/"), path.utf8.count < 108 else { throw ConfigError("DOCKER_HOST: bad unix socket path in \"\(text)\"") }
            self = .unix(path: path)
            return
        }
        for scheme in ["tcp://", "http://"] where text.hasPrefix(scheme) {
            var rest = Substring(text.dropFirst(scheme.count))
            if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
            var host = rest, portText: Substring = "2375"
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { portText = after.dropFirst() }
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            }
            guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
                throw ConfigError("DOCKER_HOST: expected tcp://HOST:PORT, got \"\(text)\"")
            }
            self = .tcp(host: String(host), port: port)
            return
        }
        throw ConfigError("DOCKER_HOST: expected unix:///path or tcp://host:port, got \"\(text)\"")
    }

    public var description: String {
        switch self {
        case .unix(let path): return "unix://\(path)"
        case .tcp(let host, let port): return "tcp://\(host):\(port)"
        }
    }
}

/// `EngineTransport` over a real socket: one connection per engine call, HTTP/1.1 with
/// `Connection: close`; hijacked streams (attach, exec) use `Upgrade: tcp` as the docker CLI.
public final class EngineClient: EngineTransport {
    public let endpoint: EngineEndpoint
    /// The client's socket (nil when stdin is not a socket): while a watched stream waits for
    /// the engine, the client hanging up ends the wait (logs `follow`).
    let clientWatchFD: Int32?
    /// Where the negotiated API version is cached (`--folder`), nil for no cache.
    let stateFolder: String?
    /// `/vX.Y` (or empty: unversioned) for request paths, once negotiated.
    var versionPrefix: String?

    /// - Parameters:
    ///   - clientWatchFD: the client's socket, watched while streams wait (nil: a pipe).
    ///   - stateFolder: the shared folder for the negotiated version's cache.
    public init(endpoint: EngineEndpoint, clientWatchFD: Int32?, stateFolder: String? = nil) {
        self.endpoint = endpoint
        self.clientWatchFD = clientWatchFD
        self.stateFolder = stateFolder
    }

    func unreachable(_ why: String) -> HTTPError {
        HTTPError(503, "the Docker engine at \(endpoint.description) is unreachable: \(why)", reason: .engineUnreachable)
    }

    /// Connects before `deadline` (monotonic ms).
    /// - Throws: `HTTPError` 503 when the engine cannot be reached.
    func connect(deadline: Int64) throws(HTTPError) -> Int32 {
        switch endpoint {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw unreachable(Syscalls.errorText(errno)) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else {
                let code = errno
                close(fd)
                throw unreachable(Syscalls.errorText(code))
            }
            return fd
        case .tcp(let host, let port):
            switch Self.connectTCP(host: host, port: port, deadline: deadline) {
            case .success(let fd): return fd
            case .failure(let why): throw unreachable(why.text)
            }
        }
    }

    /// Why a TCP connection could not be made.
    struct ConnectFailure: Error {
        var text: String
        /// Refused or timed out: nothing listens there (for a cluster node: it is down).
        var refusedOrTimedOut: Bool
    }

    /// Connects a non-blocking TCP socket to `host` (a numeric address needs no name
    /// service) and `port` before `deadline` (monotonic ms).
    static func connectTCP(host: String, port: Int, deadline: Int64) -> Result<Int32, ConnectFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        // A numeric address needs no name service (which a static executable would have
        // to load from the system's glibc at run time).
        if PortBinding.isIPv4(host) || PortBinding.isIPv6(host) { hints.ai_flags = AI_NUMERICHOST }
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return .failure(ConnectFailure(text: "cannot resolve \(host)", refusedOrTimedOut: false))
        }
        defer { freeaddrinfo(list) }
        var failure = ConnectFailure(text: "no address", refusedOrTimedOut: false)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                if Syscalls.wait(fd, events: Int16(POLLOUT), deadline: deadline) == .ready {
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    if code == 0 { return .success(fd) }
                    failure = ConnectFailure(text: Syscalls.errorText(code), refusedOrTimedOut: code == ECONNREFUSED || code == ETIMEDOUT || code == EHOSTUNREACH)
                } else {
                    failure = ConnectFailure(text: "connection timed out", refusedOrTimedOut: true)
                }
            } else {
                let code = errno
                failure = ConnectFailure(text: Syscalls.errorText(code), refusedOrTimedOut: code == ECONNREFUSED || code == ENETUNREACH || code == EHOSTUNREACH)
            }
            close(fd)
        }
        return .failure(failure)
    }

    public func call(_ request: EngineRequest, timeoutSeconds: Int) throws(HTTPError) -> EngineResponse {
        let stream = try openStream(request, timeoutSeconds: timeoutSeconds)
        defer { stream.close() }
        return try stream.response()
    }

    public func open(_ request: EngineRequest, timeoutSeconds: Int, watchClient: Bool, bodyTimeoutSeconds: Int?) throws(HTTPError) -> any EngineStream {
        let stream = try openStream(request, timeoutSeconds: timeoutSeconds)
        stream.deadline = bodyTimeoutSeconds.map { Syscalls.monotonicMs() + Int64($0) * 1000 }
        stream.timeoutSeconds = bodyTimeoutSeconds ?? 0
        stream.watch = watchClient ? clientWatchFD : nil
        return stream
    }

    /// `send`, on the path with the negotiated API version; when the engine refuses that
    /// version (it changed since it was negotiated), negotiates again and resends once.
    func openStream(_ request: EngineRequest, timeoutSeconds: Int) throws(HTTPError) -> EngineSocketStream {
        guard request.operation != .systemVersion else { return try send(request, path: request.path, timeoutSeconds: timeoutSeconds) }
        let prefix = try negotiatedPrefix(timeoutSeconds: timeoutSeconds, force: false)
        let stream = try send(request, path: prefix + request.path, timeoutSeconds: timeoutSeconds)
        guard stream.status == 400, !prefix.isEmpty else { return stream }
        let answer = try stream.response()
        guard EngineErrors.isVersionRefusal(answer) else {
            stream.replay(answer.body)
            return stream
        }
        stream.close()
        let again = try negotiatedPrefix(timeoutSeconds: timeoutSeconds, force: true)
        return try send(request, path: again + request.path, timeoutSeconds: timeoutSeconds)
    }

    /// Connects, sends `request` to `path` and reads the answer's head, all within
    /// `timeoutSeconds`.
    func send(_ request: EngineRequest, path: String, timeoutSeconds: Int) throws(HTTPError) -> EngineSocketStream {
        let deadline = Syscalls.monotonicMs() + Int64(timeoutSeconds) * 1000
        let connectDeadline = min(deadline, Syscalls.monotonicMs() + Int64(Limits.engineConnectTimeoutSeconds) * 1000)
        let fd = try connect(deadline: connectDeadline)
        var head = "\(request.method) \(path) HTTP/1.1\r\nHost: docker\r\nUser-Agent: docker-server/\(Version.current)\r\n"
        head += request.hijack ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n"
        if let body = request.body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        } else if request.method == "POST" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body = request.body { bytes.append(contentsOf: body) }
        Syscalls.setNonBlocking(fd)
        let stream = EngineSocketStream(fd: fd, deadline: deadline, timeoutSeconds: timeoutSeconds, peer: "the Docker engine at \(endpoint.description)")
        guard Syscalls.writeAll(fd, bytes, stallTimeoutMs: max(1, deadline - Syscalls.monotonicMs())) == .written else {
            stream.close()
            throw unreachable("sending the request failed")
        }
        try stream.readHead()
        return stream
    }
}

/// An engine answer read from its socket.
final class EngineSocketStream: EngineStream {
    let fd: Int32
    var deadline: Int64?
    /// The bound behind `deadline`, for the message when it passes.
    var timeoutSeconds: Int
    var watch: Int32?
    #if !DS_NO_TLS
    /// TLS on the socket (a cluster node at an `https://` URL).
    var tls: TLSChannel?
    #endif
    /// Who answers, for messages: "the Docker engine at unix:///…" or "cluster node http://…".
    let peer: String
    var buffer: [UInt8] = []
    var head = HTTPResponseHead(status: 0, fields: [])
    var framing = ResponseFraming.untilClose
    var chunked = ChunkedDecoder()
    var finished = false
    var closed = false

    init(fd: Int32, deadline: Int64, timeoutSeconds: Int, peer: String) {
        self.fd = fd
        self.deadline = deadline
        self.timeoutSeconds = timeoutSeconds
        self.peer = peer
    }

    var status: Int { head.status }
    var contentType: String? { head.field("content-type") }

    /// Reads more bytes from the socket; nil at end of file.
    func receive() throws(HTTPError) -> [UInt8]? {
        #if DS_NO_TLS
        let result = Syscalls.read(fd, deadline: deadline, watch: watch)
        #else
        let result = tls?.read(deadline: deadline, watch: watch) ?? Syscalls.read(fd, deadline: deadline, watch: watch)
        #endif
        switch result {
        case .data(let bytes): return bytes
        case .endOfFile: return nil
        case .timedOut:
            throw HTTPError(504, "\(peer) did not answer within \(timeoutSeconds) s", reason: .engineTimeout)
        case .hangup: throw HTTPError(499, "the client closed the connection", reason: .clientGone)
        case .failed(let code): throw HTTPError(502, "reading from \(peer) failed: \(Syscalls.errorText(code))", reason: .engineIo)
        }
    }

    func readHead() throws(HTTPError) {
        while true {
            if let (parsed, offset) = try ResponseHeadParser.parse(buffer) {
                head = parsed
                framing = parsed.framing
                buffer.removeFirst(offset)
                // A second head follows an interim (1xx) one: the final answer's framing counts.
                if case .length(0) = framing { finished = true } else { finished = false }
                return
            }
            guard let bytes = try receive() else {
                throw HTTPError(502, "\(peer) closed the connection without an answer", reason: .engineProtocol)
            }
            buffer.append(contentsOf: bytes)
        }
    }

    func read() throws(HTTPError) -> [UInt8]? {
        while !finished {
            var bytes: [UInt8]
            if buffer.isEmpty {
                guard let received = try receive() else {
                    finished = true
                    if case .untilClose = framing { return nil }
                    throw HTTPError(502, "\(peer) closed the connection mid-answer", reason: .engineProtocol)
                }
                bytes = received
            } else {
                bytes = buffer
                buffer = []
            }
            switch framing {
            case .untilClose:
                return bytes
            case .length(let remaining):
                let take = min(remaining, bytes.count)
                framing = .length(remaining - take)
                if remaining - take == 0 { finished = true }
                if take > 0 { return Array(bytes[0..<take]) }
            case .chunked:
                let data: [UInt8]
                do { data = try chunked.feed(bytes) } catch {
                    throw HTTPError(502, "\(peer) sent invalid chunked framing", reason: .engineProtocol)
                }
                if chunked.isDone { finished = true }
                if !data.isEmpty { return data }
            }
        }
        return nil
    }

    /// Coalesces what arrives within 5 ms of the previous piece: a stream of short lines goes
    /// on in pieces of kilobytes, and a pause in the stream is passed on at once.
    func read(coalescingUpTo limit: Int) throws(HTTPError) -> [UInt8]? {
        guard var out = try read() else { return nil }
        while out.count < limit, !finished,
              !buffer.isEmpty || Syscalls.wait(fd, events: Int16(POLLIN), deadline: Syscalls.monotonicMs() + 5) == .ready {
            guard let more = try read() else { break }
            out.append(contentsOf: more)
        }
        return out
    }

    func exchange(input: [UInt8], halfClose: Bool, output: ([UInt8]) -> Void) throws(HTTPError) {
        var offset = 0
        while offset < input.count, !finished {
            let (readiness, events) = Syscalls.waitForEvents(fd, events: Int16(POLLIN | POLLOUT), deadline: deadline, watch: watch)
            switch readiness {
            case .timedOut: throw HTTPError(504, "\(peer) did not answer within \(timeoutSeconds) s", reason: .engineTimeout)
            case .hangup: throw HTTPError(499, "the client closed the connection", reason: .clientGone)
            case .ready: break
            }
            if events & Int16(POLLOUT | POLLERR | POLLHUP) != 0 {
                let n = input.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, input.count - offset) }
                if n > 0 {
                    offset += n
                } else if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                    // The command closed its stdin (EPIPE, ECONNRESET): the rest of the input
                    // has no reader, and its output still comes.
                    return
                }
            }
            if events & Int16(POLLIN | POLLHUP) != 0, let bytes = try read() { output(bytes) }
        }
        if halfClose, !finished { shutdown(fd, Int32(SHUT_WR)) }
    }

    func awaitOutput(milliseconds: Int) -> Bool {
        if !buffer.isEmpty || finished { return true }
        #if !DS_NO_TLS
        if tls != nil { return true }  // decrypted bytes may wait inside OpenSSL
        #endif
        return Syscalls.wait(fd, events: Int16(POLLIN), deadline: Syscalls.monotonicMs() + Int64(milliseconds), watch: watch) != .timedOut
    }

    /// Makes `body`, already read, the stream's body again (an error answer looked at first).
    func replay(_ body: [UInt8]) {
        buffer = body
        framing = .length(body.count)
        finished = body.isEmpty
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    deinit { close() }
}
