import Glibc
import DockerServerCore

extension Spawner {
    /// The listening stream sockets systemd passed to this process (`Accept=no`,
    /// sd_listen_fds(3)), each named by `LISTEN_FDNAMES` or its local address. Empty when
    /// none were passed, or when what was passed is a connection (`Accept=yes` passes the
    /// connection as fd 3 too): then this process serves stdin/stdout as usual.
    public static func inheritedSockets(environment: [String: String]) -> [ListeningSocket] {
        SocketActivation.passedDescriptors(environment: environment, pid: getpid()).compactMap { passed in
            guard isListeningStream(passed.fd) else { return nil }
            _ = fcntl(passed.fd, F_SETFD, FD_CLOEXEC)
            let address = localAddress(passed.fd)
            return ListeningSocket(fd: passed.fd, name: passed.name.isEmpty || passed.name == "unknown" ? address : "\(passed.name)=\(address)")
        }
    }

    /// True when `fd` is a stream socket in the listening state (`SO_ACCEPTCONN`).
    static func isListeningStream(_ fd: Int32) -> Bool {
        var value: Int32 = 0, type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0, value == 1 else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == Int32(SOCK_STREAM.rawValue)
    }

    /// The local port of socket `fd`, nil when it is not a bound IP socket.
    public static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok, storage.ss_family == sa_family_t(AF_INET) || storage.ss_family == sa_family_t(AF_INET6) else { return nil }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// `ADDR:PORT` (`[ADDR]:PORT` for IPv6) of a bound socket, or `fd N` when it has none.
    static func localAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok, let host = PeerAddress.text(of: &storage) else { return "fd \(fd)" }
        let port = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Creates, binds and listens on `address` (an empty host: all addresses, IPv6 and IPv4).
    /// - Returns: the socket, or the reason it failed; an address in use says so plainly.
    public static func bind(_ address: ListenAddress) -> Result<ListeningSocket, ConfigError> {
        let v6 = address.host.isEmpty || address.host.contains(":")
        let shown = address.host.isEmpty ? "*:\(address.port)" : v6 ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ConfigError("--listen \(shown): \(Syscalls.errorText(errno))")) }
        var one: Int32 = 1, zero: Int32 = 0
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if v6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            if !address.host.isEmpty, inet_pton(AF_INET6, address.host, &sin6.sin6_addr) != 1 {
                close(fd)
                return .failure(ConfigError("--listen \(shown): not an IPv6 address"))
            }
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
            if inet_pton(AF_INET, address.host, &sin.sin_addr) != 1 {
                close(fd)
                return .failure(ConfigError("--listen \(shown): not an IPv4 address"))
            }
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0, listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            if code == EADDRINUSE {
                return .failure(ConfigError("--listen \(shown): address already in use (another docker-server or another program listens there)"))
            }
            return .failure(ConfigError("--listen \(shown): \(Syscalls.errorText(code))"))
        }
        return .success(ListeningSocket(fd: fd, name: shown))
    }

    /// `arguments` without `--listen ADDR` / `--listen=ADDR`, for the connection processes.
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
