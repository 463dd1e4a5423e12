import Glibc
import DockerServerCore

/// A connection the spawner answers itself with `503` (docs/DESIGN.md, "The spawner").
struct RefusedConnection {
    var fd: Int32
    var refusal: ConnectionTable.Refusal
    var source: String
    /// The answer was written and the sending side shut down: now only drained.
    var answered = false
    /// Monotonic ms: until then the request's first bytes are awaited (to tell a HEAD
    /// request, whose answer has no body), or, once answered, what follows is drained.
    var deadline: Int64
}

extension Spawner {
    /// Refuses a connection without starting a process: a `503` with `Retry-After` and a
    /// JSON error, written once the request's first bytes arrived (a `HEAD` gets no body,
    /// RFC 9110 §9.3.2) or after `Limits.refusedRequestWaitMs`; then the sending side is shut
    /// down and what the client still sends is drained for `Limits.refusedLingerMs` (RFC 9112
    /// §9.6), so the answer is not lost to a reset. Nothing blocks the spawner. With
    /// `--https` nothing is written (no clear text to a TLS client): the connection is closed
    /// without a reset.
    func refuse(_ fd: Int32, _ refusal: ConnectionTable.Refusal, source: String) {
        Syscalls.setNonBlocking(fd)
        refusals.record(refusal, source: source)
        guard refused.count < Limits.maxRefusedConnections else {
            close(fd)  // not reached: accepting pauses before the places run out
            return
        }
        var connection = RefusedConnection(fd: fd, refusal: refusal, source: source,
                                           deadline: Syscalls.monotonicMs() + Limits.refusedRequestWaitMs)
        if config.https || Syscalls.pendingBytes(fd) > 0 { answer(&connection) }
        refused.append(connection)
    }

    /// Writes the 503 (unless `--https`), shuts the sending side down, starts the drain.
    func answer(_ connection: inout RefusedConnection) {
        if !config.https {
            let message: String
            switch connection.refusal {
            case .tooManyConnections: message = "the server is busy: \(config.maxConnections) connections are being served; retry shortly"
            case .tooManyFromSource: message = "too many connections at once from \(connection.source) (at most \(config.maxPerSource)); retry shortly"
            case .spawnFailed: message = "the server could not start a process for this connection; retry shortly"
            case .stopping: message = "the server is stopping; retry shortly"
            }
            let error = HTTPError(503, message, reason: connection.refusal.reason,
                                  headers: [("Retry-After", String(Limits.refusedRetryAfterSeconds))])
            let head = Syscalls.startsWithHead(connection.fd)
            let bytes = (head ? error.headResponse : error.response).serialize(omitBody: head, date: Logger.httpDate())
            _ = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.answered = true
        connection.deadline = Syscalls.monotonicMs() + Limits.refusedLingerMs
    }

    /// Advances the refused connections after a `poll` (`polled` in the same order): the
    /// first bytes or the wait's end lead to the answer; answered ones are drained and closed
    /// at their EOF, on an error, or at their deadline.
    func serveRefused(_ polled: [pollfd]) {
        let now = Syscalls.monotonicMs()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var kept: [RefusedConnection] = []
        for (i, entry) in refused.enumerated() {
            var connection = entry
            let readable = i < polled.count && polled[i].revents != 0
            if !connection.answered {
                if readable || now >= connection.deadline { answer(&connection) }
                kept.append(connection)
                continue
            }
            var open = now < connection.deadline
            while open, readable {
                let n = recv(connection.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n > 0 || (n < 0 && errno == EINTR) { continue }
                if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { break }
                open = false
            }
            if open { kept.append(connection) } else { close(connection.fd) }
        }
        refused = kept
    }

    /// Closes every refused connection (the spawner is exiting).
    func closeRefused() {
        for connection in refused { close(connection.fd) }
        refused = []
        logRefusals(nowMs: Int64.max)
    }

    /// Logs the refusals' summary when due (`Int64.max`: now, whatever the interval).
    func logRefusals(nowMs: Int64) {
        for summary in refusals.due(nowMs: nowMs) {
            logger.log(.warn, "connections_refused", [("cause", summary.reason), ("count", String(summary.count)),
                                                      ("last_client", summary.source)])
        }
    }
}
