import Glibc

/// The client's address (docs/API.md "HTTP"): `getpeername(2)` on stdin (works under xinetd, systemd
/// and `systemd-socket-activate`), v4-mapped IPv6 written as IPv4; else `REMOTE_ADDR`
/// (systemd) or `REMOTE_HOST` (xinetd); else `local` (a pipe).
public enum PeerAddress {
    public static func of(fd: Int32, environment: [String: String]) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        if ok, let text = text(of: &storage) { return text }
        for name in ["REMOTE_ADDR", "REMOTE_HOST"] {
            if let value = environment[name], !value.isEmpty { return normalize(value) }
        }
        return "local"
    }

    /// The local address of socket `fd` (`getsockname(2)`), as `of` writes addresses; nil
    /// when `fd` is not an IP socket.
    public static func local(fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        return ok ? text(of: &storage) : nil
    }

    /// Numeric text of an IPv4 or IPv6 socket address, nil for other families.
    static func text(of storage: inout sockaddr_storage) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var address = sin.pointee.sin_addr
                    guard inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                    return Syscalls.string(fromNulTerminated: buffer)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var address = sin6.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
                    return normalize(Syscalls.string(fromNulTerminated: buffer))
                }
            }
        default:
            return nil
        }
    }

    /// `::ffff:1.2.3.4` → `1.2.3.4`; other text unchanged.
    public static func normalize(_ address: String) -> String {
        let lower = address.lowercased()
        if lower.hasPrefix("::ffff:"), lower.dropFirst(7).contains(".") { return String(address.dropFirst(7)) }
        return address
    }
}
