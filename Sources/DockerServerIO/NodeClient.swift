import Glibc
import DockerServerCore

/// One request to another cluster node (docs/DESIGN.md "Cluster"): HTTP/1.1 over TCP with
/// `Connection: close`, the client's `Authorization`, `Accept` and `Content-Type`, and the
/// signed forwarding field; TLS for `https://` nodes, their certificate verified
/// (`TLSChannel.client`). Its answer is read as an engine answer is (`EngineSocketStream`).
final class NodeCall: @unchecked Sendable {
    let node: ClusterEntry
    /// The request's head, and its body (sent with the head, or after `100 Continue`).
    let headBytes: [UInt8]
    let body: [UInt8]
    /// Send `Expect: 100-continue` and the body only once the node confirmed it.
    let expectsContinue: Bool
    let readTimeoutSeconds: Int
    /// Read the whole body in `run` (else only the head; the caller streams the body).
    let readsBody: Bool
    /// A HEAD request: its answer has no body, whatever its `Content-Length` says.
    let isHead: Bool
    /// The client's socket, watched while waiting: a client that hangs up ends the call.
    let watch: Int32?
    /// Certificates trusted besides the system's for `https://` nodes (`--chain`).
    let trustPath: String?
    /// Set by `run`: the open answer (head read), the outcome, and whether the node is down
    /// (refused the connection or did not accept it in time).
    var stream: EngineSocketStream?
    var outcome: NodeAnswer.Outcome = .failed(HTTPError(502, "not asked", reason: .clusterNode))
    var down = false
    /// Set (under `completion`'s lock) when `run` has finished.
    var done = false
    /// Shared by the calls of one fan-out: who has finished.
    let completion: Completion
    /// The request was sent whole: the node may have acted on it.
    var sent = false

    /// - Parameters:
    ///   - fields: header fields to pass (name, value), besides framing and `Host`.
    ///   - expectsContinue: hold the body back until the node answers `100 Continue`
    ///     (RFC 9110 §10.1.1), within `Limits.clusterContinueTimeoutMs`: a node that accepts
    ///     connections and never answers then never gets the body (used for `PUT`, where
    ///     only a node that got nothing may be replaced by the next).
    init(node: ClusterEntry, method: String, target: String, fields: [(String, String)], body: [UInt8],
         readTimeoutSeconds: Int, readsBody: Bool, watch: Int32?, trustPath: String?, expectsContinue: Bool = false,
         completion: Completion = Completion()) {
        self.node = node
        self.readTimeoutSeconds = readTimeoutSeconds
        self.readsBody = readsBody
        self.isHead = method == "HEAD"
        self.watch = watch
        self.trustPath = trustPath
        self.completion = completion
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(Self.authority(node.host))\r\nUser-Agent: docker-server/\(Version.current)\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "PUT" || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        self.expectsContinue = expectsContinue && !body.isEmpty
        if self.expectsContinue { head += "Expect: 100-continue\r\n" }
        head += "Connection: close\r\n\r\n"
        headBytes = Array(head.utf8)
        self.body = body
    }

    static func authority(_ host: String) -> String {
        guard let url = try? NodeURL(host) else { return host }
        return (url.host.contains(":") ? "[\(url.host)]" : url.host) + ":\(url.port)"
    }

    /// Connects (within `Limits.clusterConnectTimeoutMs`), sends the request, reads the head
    /// and, with `readsBody`, the body (at most `Limits.maxNodeBodyBytes`).
    func run() {
        defer { completion.finish(self) }
        guard let url = try? NodeURL(node.host) else {
            outcome = .failed(HTTPError(502, "not a node URL", reason: .clusterNode))
            return
        }
        let start = Syscalls.monotonicMs()
        let fd: Int32
        switch EngineClient.connectTCP(host: url.host, port: url.port, deadline: start + Limits.clusterConnectTimeoutMs) {
        case .success(let connected): fd = connected
        case .failure(let failure):
            down = failure.refusedOrTimedOut
            outcome = .failed(HTTPError(503, "unreachable: \(failure.text)", reason: .clusterNode))
            return
        }
        let deadline = start + Int64(readTimeoutSeconds) * 1000
        let stream = EngineSocketStream(fd: fd, deadline: deadline, timeoutSeconds: readTimeoutSeconds, peer: "cluster node \(node.host)")
        stream.watch = watch
        let write: ([UInt8]) -> Syscalls.WriteOutcome
        if url.https {
            #if DS_NO_TLS
            stream.close()
            outcome = .failed(HTTPError(502, "this docker-server was built without TLS support (DS_NO_TLS)", reason: .clusterNode))
            return
            #else
            do throws(TLSError) {
                let tls = try TLSChannel.client(fd: fd, host: url.host, trustPath: trustPath, deadline: start + Limits.clusterConnectTimeoutMs * 2)
                stream.tls = tls
                write = { tls.writeAll($0, stallTimeoutMs: max(1, deadline - Syscalls.monotonicMs())) }
            } catch {
                stream.close()
                outcome = .failed(HTTPError(502, error.message, reason: .clusterNode))
                return
            }
            #endif
        } else {
            write = { Syscalls.writeAll(fd, $0, stallTimeoutMs: max(1, deadline - Syscalls.monotonicMs())) }
        }
        guard write(expectsContinue ? headBytes : headBytes + body) == .written else {
            stream.close()
            outcome = .failed(HTTPError(502, "sending the request failed", reason: .clusterNode))
            return
        }
        if expectsContinue {
            // The node confirms once the token passed; until then it has nothing to act on.
            stream.deadline = min(deadline, Syscalls.monotonicMs() + Limits.clusterContinueTimeoutMs)
            do throws(HTTPError) {
                try stream.readHead()
            } catch {
                stream.close()
                if error.reason == .engineTimeout {
                    down = true
                    outcome = .failed(HTTPError(504, "did not confirm the request within \(Limits.clusterContinueTimeoutMs / 1000) s (Expect: 100-continue)",
                                                reason: .clusterNode))
                } else {
                    outcome = .failed(Self.nodeError(error))
                }
                return
            }
            stream.deadline = deadline
            guard stream.status == 100 else {
                // A final answer before the body (401, 413, 503…): the node did not act.
                finishAnswer(stream)
                return
            }
            guard write(body) == .written else {
                stream.close()
                outcome = .failed(HTTPError(502, "sending the request failed", reason: .clusterNode))
                return
            }
        }
        sent = true
        do throws(HTTPError) {
            try stream.readHead()
        } catch {
            stream.close()
            outcome = .failed(Self.nodeError(error))
            return
        }
        finishAnswer(stream)
    }

    /// Reads the rest of the answer whose head `stream` has read (the whole body with
    /// `readsBody` or a status other than 200), setting `outcome` (and `stream` when the caller
    /// streams the body).
    private func finishAnswer(_ stream: EngineSocketStream) {
        do throws(HTTPError) {
            if isHead {
                stream.close()
                outcome = .answered(status: stream.status, fields: stream.head.fields.map { ($0.name, $0.value) }, body: [])
            } else if readsBody || stream.status != 200 {
                let body = try stream.readAll(limit: Limits.maxNodeBodyBytes)
                stream.close()
                outcome = .answered(status: stream.status, fields: stream.head.fields.map { ($0.name, $0.value) }, body: body)
            } else {
                self.stream = stream
                outcome = .answered(status: stream.status, fields: stream.head.fields.map { ($0.name, $0.value) }, body: [])
            }
        } catch {
            stream.close()
            outcome = .failed(Self.nodeError(error))
        }
    }

    /// An error reading a node's answer, in words that fit a node (the engine client's
    /// wording names the Docker engine).
    private static func nodeError(_ error: HTTPError) -> HTTPError {
        switch error.reason {
        case .engineProtocol where error.message.hasPrefix("the Docker engine"):
            return HTTPError(502, "sent an invalid HTTP answer", reason: .clusterNode)
        case .engineTooLarge: return HTTPError(502, "answer larger than \(Limits.maxNodeBodyBytes) bytes", reason: .clusterNode)
        default: return error
        }
    }

    /// Runs `calls` at once, one thread each, and `local` on this thread meanwhile (without
    /// `local` and `enough`, the first call runs here); returns when all have finished, or
    /// as soon as `enough` (asked every 5 ms with the milliseconds since the start, under the
    /// calls' lock) says the finished ones suffice: the calls still running are left to end
    /// with the process. A fan-out takes as long as its slowest node, not their sum.
    static func runAll(_ calls: [NodeCall], whileWaiting local: (() -> Void)? = nil, enough: ((Int64) -> Bool)? = nil) {
        let start = Syscalls.monotonicMs()
        var threads: [pthread_t] = []
        let here = local == nil && enough == nil ? calls.first : nil
        for call in calls where call !== here {
            let box = Unmanaged.passRetained(call).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                let call = Unmanaged<NodeCall>.fromOpaque(raw!).takeRetainedValue()
                Syscalls.prepareThreadForSharedLibc()
                call.run()
                return nil
            }, box)
            if started == 0 {
                threads.append(thread)
            } else {
                Unmanaged<NodeCall>.fromOpaque(box).release()
                call.run()
            }
        }
        here?.run()
        local?()
        if let enough, let completion = calls.first?.completion {
            while !completion.locked({ calls.allSatisfy(\.done) || enough(Syscalls.monotonicMs() - start) }) {
                Syscalls.sleep(milliseconds: 5)
            }
            for thread in threads { pthread_detach(thread) }
            return
        }
        for thread in threads { pthread_join(thread, nil) }
    }
}

/// The lock of one fan-out's calls: a call marks itself done under it, and the waiting
/// thread reads what has finished under it.
final class Completion: @unchecked Sendable {
    var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }

    func finish(_ call: NodeCall) { locked { call.done = true } }

    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// A `ResponseStream` that keeps the answer (at most `Limits.maxNodeBodyBytes`): this node's
/// own part of a fan-out, handled here rather than through the network.
final class CapturedResponse: ResponseStream {
    var status = 0
    var fields: [(String, String)] = []
    var body: [UInt8] = []
    var aborted: HTTPError?
    var tooLarge = false

    func begin(status: Int, headers: [(String, String)]) -> Bool {
        self.status = status
        fields = headers
        return true
    }

    func send(_ bytes: [UInt8]) -> Bool {
        guard body.count + bytes.count <= Limits.maxNodeBodyBytes else {
            tooLarge = true
            return false
        }
        body += bytes
        return true
    }

    func end() {}
    func abort(_ error: HTTPError) { aborted = error }
}
