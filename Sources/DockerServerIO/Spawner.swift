import Glibc
import DockerServerCore

/// The write end of the spawner's self-pipe: its signal handler writes the signal's number
/// there (write(2) is async-signal-safe), and the event loop reads it with the sockets.
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1
/// Set by the signal handler on SIGTERM/SIGINT, so that a burst of accepts stops at once.
nonisolated(unsafe) private var stopSignalSeen: Int32 = 0

/// The spawner (docs/DESIGN.md, "The spawner"): `--listen [ADDR:]PORT`, or the listening
/// sockets systemd passed (`Accept=no`, sd_listen_fds(3)). One thread, one `poll(2)` loop:
/// accepts connections and starts one fresh `docker-server` process per connection with
/// the socket as its stdin and stdout (`posix_spawn(3)`), keeping no request state itself.
/// - Past `--max_connections` processes, or `--max_per_source` for one client address, a
///   connection gets a short `503` with `Retry-After` (never a bare reset), and the
///   refusals are summed into at most one log line per reason a second.
/// - SIGTERM or SIGINT: stop accepting, let connections finish for `--shutdown_grace`
///   seconds, then end the rest as a client hang-up does (`shutdown(2)` of their sockets:
///   an attached run's container is killed), give their processes
///   `Limits.shutdownCleanupSeconds` to clean up, kill what is left, exit 0. A second
///   signal ends the grace at once.
/// - On sockets passed by systemd: exits 0 after `--idle_timeout` seconds without
///   connections (socket activation starts it again on the next one).
public final class Spawner {
    /// A socket the spawner accepts on, and how log lines name it.
    public struct ListeningSocket {
        public var fd: Int32
        public var name: String
    }

    let config: Config
    let logger: Logger
    let sockets: [ListeningSocket]
    /// True for sockets passed by systemd: idle exit applies.
    let inherited: Bool
    let argv: [UnsafeMutablePointer<CChar>?]
    let envp: [UnsafeMutablePointer<CChar>?]
    var table: ConnectionTable
    var refusals = RefusalLog()
    /// Refused connections: waiting for the request's first bytes, or drained after the 503.
    var refused: [RefusedConnection] = []
    var signalPipeRead: Int32 = -1
    /// Accepting pauses until then after EMFILE/ENFILE (monotonic ms).
    var acceptPausedUntil: Int64 = 0
    var lastActivityMs = Syscalls.monotonicMs()
    var stopGraceDeadline: Int64?
    var cleanupDeadline: Int64?
    var served = 0

    /// - Parameters:
    ///   - sockets: listening stream sockets, already bound.
    ///   - inherited: they were passed by systemd (enables `--idle_timeout`).
    ///   - childArguments: arguments of each connection's process (without `--listen`).
    public init(config: Config, sockets: [ListeningSocket], inherited: Bool, childArguments: [String], logger: Logger) {
        self.config = config
        self.logger = logger
        self.sockets = sockets
        self.inherited = inherited
        table = ConnectionTable(maxConnections: config.maxConnections, maxPerSource: config.maxPerSource)
        // argv[0] names the installed path (what `ps` shows); the image is /proc/self/exe,
        // so the processes run this very executable even after an upgrade replaced the file.
        argv = ([CommandLine.arguments[0]] + childArguments).map { strdup($0) } + [nil]
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var entry = environ
        let dropped = SocketActivation.variableNames + ["DS_LISTEN", "NOTIFY_SOCKET"]
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !dropped.contains(where: { text.hasPrefix($0 + "=") }) { environment.append(strdup(pointer)) }
            entry += 1
        }
        envp = environment + [nil]
    }

    /// Serves until stopped by a signal or, on sockets from systemd, until idle.
    /// - Returns: the exit code, 0.
    public func run() -> Int32 {
        raiseDescriptorLimit()
        installSignalHandlers()
        for socket in sockets { Syscalls.setNonBlocking(socket.fd) }
        logger.log(.info, "listening", [("address", sockets.map(\.name).joined(separator: ",")),
                                        ("max_connections", String(config.maxConnections)),
                                        ("max_per_source", String(config.maxPerSource)),
                                        ("idle_timeout", inherited ? String(config.idleTimeoutSeconds) : "none")])
        while true {
            let now = Syscalls.monotonicMs()
            if let code = checkTimers(now: now) { return code }
            var fds = [pollfd(fd: signalPipeRead, events: Int16(POLLIN), revents: 0)]
            // With every place for refused connections taken, new ones wait in the listen queue
            // (and then in the kernel's SYN handling) rather than being reset.
            let accepting = stopGraceDeadline == nil && now >= acceptPausedUntil && refused.count < Limits.maxRefusedConnections
            if accepting { fds += sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) } }
            let refusedStart = fds.count
            fds += refused.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), timeoutMs(now: now))
            reap()
            if ready > 0 {
                if fds[0].revents != 0 { handleSignals() }
                if accepting, stopGraceDeadline == nil {
                    for (i, socket) in sockets.enumerated() where fds[1 + i].revents != 0 { acceptAll(on: socket.fd) }
                }
            }
            // Also when poll timed out: the refused connections' own deadlines are due.
            serveRefused(ready > 0 ? Array(fds[refusedStart...]) : [])
        }
    }

    // MARK: Accepting

    /// Accepts what is waiting (up to `limit` connections), starting a process for each or
    /// refusing it with a 503 (all of them with `refuseAll`).
    func acceptAll(on listening: Int32, limit: Int = 64, refuseAll: ConnectionTable.Refusal? = nil) {
        for _ in 0..<limit {
            // A stop signal arrived during the burst: it is handled before accepting more.
            if refuseAll == nil, stopSignalSeen != 0 { return }
            guard refused.count < Limits.maxRefusedConnections else { return }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listening, $0, &length) }
            }
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.log(.error, "accept_failed", [("detail", Syscalls.errorText(errno)), ("pause_ms", "100")])
                    acceptPausedUntil = Syscalls.monotonicMs() + 100
                    return
                default:
                    logger.log(.error, "accept_failed", [("detail", Syscalls.errorText(errno))])
                    return
                }
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            lastActivityMs = Syscalls.monotonicMs()
            let source = PeerAddress.text(of: &address) ?? "local"
            if let refusal = refuseAll ?? admission(source) {
                refuse(fd, refusal, source: source)
            } else if let pid = spawn(connection: fd) {
                table.add(pid: pid, source: source, socket: fd)
                served += 1
            } else {
                refuse(fd, .spawnFailed, source: source)
            }
        }
    }

    /// Nil when a connection from `source` may have a process, else why not. At a cap it
    /// first collects processes that exited meanwhile, and does not count, for the client's
    /// own cap, connections the client has already closed (their processes are finishing):
    /// a client that reconnects at once is not refused for connections it no longer has.
    func admission(_ source: String) -> ConnectionTable.Refusal? {
        guard table.refusal(for: source) != nil else { return nil }
        reap()
        guard table.refusal(for: source) == .tooManyFromSource else { return table.refusal(for: source) }
        var fds = table.pids(from: source).compactMap { table.entries[$0] }.map {
            pollfd(fd: $0.socket, events: Int16(Syscalls.pollReadHangup), revents: 0)
        }
        guard poll(&fds, nfds_t(fds.count), 0) > 0 else { return .tooManyFromSource }
        let hangup = Int16(Syscalls.pollReadHangup | Int32(POLLHUP) | Int32(POLLERR))
        return table.refusal(for: source, closedFromSource: fds.filter { $0.revents & hangup != 0 }.count)
    }

    /// `posix_spawn(3)` of this executable with `connection` as stdin and stdout, in a
    /// process group of its own (a Ctrl-C in the spawner's terminal reaches the spawner
    /// only, which then stops gracefully) and with default signal dispositions.
    /// - Returns: the process id, or nil when it could not start.
    func spawn(connection: Int32) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, connection, 0)
        posix_spawn_file_actions_adddup2(&actions, connection, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        var result = posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv, envp)
        if result == ENOENT { result = posix_spawn(&pid, argv[0]!, &actions, &attributes, argv, envp) }
        guard result == 0 else {
            logger.log(.error, "spawn_failed", [("detail", Syscalls.errorText(result))])
            return nil
        }
        return pid
    }

    // MARK: Processes and signals

    /// Collects every connection process that exited and closes the spawner's copy of its
    /// socket.
    func reap() {
        while true {
            let pid = waitpid(-1, nil, WNOHANG)
            guard pid > 0 else { return }
            if let entry = table.remove(pid: pid) { close(entry.socket) }
            if table.count == 0 { lastActivityMs = Syscalls.monotonicMs() }
        }
    }

    func installSignalHandlers() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            logger.log(.error, "signal_setup_failed", [("detail", Syscalls.errorText(errno))])
            return
        }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Syscalls.setNonBlocking(fd)
        }
        signalPipeRead = ends[0]
        signalPipeWrite = ends[1]
        let handler: @convention(c) (Int32) -> Void = { signal in
            let saved = errno
            if signal != SIGCHLD { stopSignalSeen = 1 }
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalPipeWrite, &byte, 1)
            errno = saved
        }
        for signal in [SIGTERM, SIGINT, SIGCHLD] { _ = Glibc.signal(signal, handler) }
    }

    /// Reads the signals noted by the handler. SIGTERM/SIGINT start the graceful stop; a
    /// second one ends the grace at once.
    func handleSignals() {
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = read(signalPipeRead, &bytes, bytes.count)
        guard n > 0 else { return }
        for signal in bytes[..<n].map(Int32.init) where signal == SIGTERM || signal == SIGINT {
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            let now = Syscalls.monotonicMs()
            if stopGraceDeadline == nil {
                stopGraceDeadline = now + Int64(config.shutdownGraceSeconds) * 1000
                // A socket of our own: connections already in its queue get a 503 rather than
                // the reset that closing it would send them. A socket passed by systemd stays
                // open there: its queue waits for the service's next start.
                for socket in sockets {
                    if !inherited { acceptAll(on: socket.fd, limit: 1024, refuseAll: .stopping) }
                    close(socket.fd)
                }
                logger.log(.info, "stopping", [("signal", name), ("connections", String(table.count)),
                                               ("grace_s", String(config.shutdownGraceSeconds))])
            } else if cleanupDeadline == nil {
                logger.log(.warn, "stop_hurried", [("signal", name), ("connections", String(table.count))])
                stopGraceDeadline = now
            }
        }
    }

    /// The stop, idle and refusal-log clocks. Returns an exit code when the spawner is done.
    func checkTimers(now: Int64) -> Int32? {
        logRefusals(nowMs: now)
        if let graceDeadline = stopGraceDeadline {
            // Done when no connection process runs and every refused client has its 503.
            if table.count == 0 { return refused.isEmpty ? stopped(ended: 0, killed: 0) : nil }
            if cleanupDeadline == nil, now >= graceDeadline {
                // End the connections as a client hang-up would: their processes see it and
                // clean up (an attached run's container is killed, and removed with `remove`).
                logger.log(.warn, "connections_ended", [("count", String(table.count)), ("cleanup_s", String(Limits.shutdownCleanupSeconds))])
                for entry in table.entries.values { shutdown(entry.socket, Int32(SHUT_RDWR)) }
                cleanupDeadline = now + Int64(Limits.shutdownCleanupSeconds) * 1000
            } else if let cleanup = cleanupDeadline, now >= cleanup {
                let left = table.entries.keys.sorted()
                logger.log(.error, "connections_killed", [("count", String(left.count)), ("pids", left.map(String.init).joined(separator: ","))])
                for pid in left {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, nil, 0)
                    if let entry = table.remove(pid: pid) { close(entry.socket) }
                }
                return stopped(ended: left.count, killed: left.count)
            }
            return nil
        }
        if inherited, config.idleTimeoutSeconds > 0, table.count == 0, refused.isEmpty,
           now - lastActivityMs >= Int64(config.idleTimeoutSeconds) * 1000 {
            closeRefused()
            logger.log(.info, "idle_exit", [("idle_s", String(config.idleTimeoutSeconds)), ("served", String(served))])
            return 0
        }
        return nil
    }

    func stopped(ended: Int, killed: Int) -> Int32 {
        closeRefused()
        logger.log(.info, "stopped", [("served", String(served)), ("killed", String(killed))])
        return 0
    }

    /// Milliseconds `poll` may wait: until the next clock of `checkTimers` or a linger
    /// deadline, and at most a second.
    func timeoutMs(now: Int64) -> Int32 {
        var deadlines: [Int64] = [now + 1000]
        if let due = refusals.msUntilDue(nowMs: now) { deadlines.append(now + due) }
        if let deadline = stopGraceDeadline { deadlines.append(cleanupDeadline ?? deadline) }
        if inherited, config.idleTimeoutSeconds > 0, table.count == 0 {
            deadlines.append(lastActivityMs + Int64(config.idleTimeoutSeconds) * 1000)
        }
        if acceptPausedUntil > now { deadlines.append(acceptPausedUntil) }
        deadlines += refused.map(\.deadline)
        return Int32(max(0, min(deadlines.min()! - now, 1000)))
    }

    // MARK: Set-up helpers

    /// The spawner holds one socket per connection: lift the soft descriptor limit (1024
    /// under systemd, for select(2)'s sake; this code uses poll) to the hard one.
    func raiseDescriptorLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = min(limit.rlim_max, 65536)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
