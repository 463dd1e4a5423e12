import Glibc
import DockerServerCore

/// `--listen [ADDR:]PORT` (SPEC §10): a minimal inetd. Accepts TCP connections and spawns
/// one fresh `docker-server` process per connection with the socket as its stdin and stdout,
/// at most `--max_connections` at once (further connections wait in the listen backlog).
public enum Listener {
    /// Binds, then accepts forever.
    /// - Parameters:
    ///   - childArguments: arguments for each connection's process (without `--listen`).
    /// - Returns: an exit code when binding fails (111), never otherwise.
    public static func run(config: Config, address: ListenAddress, childArguments: [String], logger: Logger) -> Int32 {
        let fd: Int32
        switch bind(address) {
        case .success(let socket): fd = socket
        case .failure(let message):
            let text = "docker-server: --listen \(address.host.isEmpty ? "*" : address.host):\(address.port): \(message)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
            logger.log(.fatal, "listen_failed", [("detail", message)])
            return 111
        }
        let executable = selfExecutable()
        let arguments = [executable] + childArguments
        var environment: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !text.hasPrefix("DS_LISTEN=") { environment.append(text) }
            entry += 1
        }
        logger.log(.info, "listening", [("address", address.host.isEmpty ? "*" : address.host), ("port", String(address.port)),
                                        ("max_connections", String(config.maxConnections))])
        var active = 0
        while true {
            while active > 0, waitpid(-1, nil, WNOHANG) > 0 { active -= 1 }
            while active >= config.maxConnections {
                if waitpid(-1, nil, 0) > 0 { active -= 1 } else if errno == ECHILD { active = 0 }
            }
            // Wake at least once a second to reap finished connections (no lingering zombies).
            guard Syscalls.wait(fd, events: Int16(POLLIN), deadline: Syscalls.monotonicMs() + 1000) == .ready else { continue }
            let connection = accept(fd, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE { Syscalls.sleep(milliseconds: 100); continue }
                logger.log(.error, "accept_failed", [("detail", Syscalls.errorText(errno))])
                Syscalls.sleep(milliseconds: 100)
                continue
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            if spawn(arguments: arguments, environment: environment, connection: connection) {
                active += 1
            } else {
                logger.log(.error, "spawn_failed", [("detail", Syscalls.errorText(errno))])
            }
            close(connection)
        }
    }

    enum BindResult { case success(Int32), failure(String) }

    /// Creates, binds and listens. An empty host binds all addresses, IPv6 and IPv4.
    static func bind(_ address: ListenAddress) -> BindResult {
        let v6 = address.host.isEmpty || address.host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Syscalls.errorText(errno)) }
        var one: Int32 = 1, zero: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if v6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            if !address.host.isEmpty, inet_pton(AF_INET6, address.host, &sin6.sin6_addr) != 1 { close(fd); return .failure("bad address") }
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
            if inet_pton(AF_INET, address.host, &sin.sin_addr) != 1 { close(fd); return .failure("bad address") }
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0, listen(fd, 512) == 0 else {
            let message = Syscalls.errorText(errno)
            close(fd)
            return .failure(message)
        }
        return .success(fd)
    }

    /// The path of the running executable (`/proc/self/exe`).
    static func selfExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    /// `posix_spawn(3)` with the connection as stdin and stdout.
    static func spawn(arguments: [String], environment: [String], connection: Int32) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, connection, 0)
        posix_spawn_file_actions_adddup2(&actions, connection, 1)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        return posix_spawn(&pid, argv[0]!, &actions, nil, argv, envp) == 0
    }
}

extension Listener {
    /// `arguments` without `--listen ADDR` / `--listen=ADDR`, for the per-connection processes.
    public static func withoutListen(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--listen" { skipNext = true; continue }
            if argument.hasPrefix("--listen=") { continue }
            out.append(argument)
        }
        return out
    }
}
