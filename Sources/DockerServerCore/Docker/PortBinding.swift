/// One published port from the `ports` map of a run request: host side → container side
/// (`docker run -p [IP:]HOSTPORT:CONTAINERPORT[/PROTO]`).
public struct PortBinding: Equatable, Sendable {
    /// Host address to bind, `""` for all addresses.
    public var hostIP: String
    public var hostPort: Int
    public var containerPort: Int
    /// `tcp`, `udp` or `sctp`.
    public var proto: String

    /// The engine's port key, e.g. `80/tcp` (ExposedPorts and PortBindings).
    public var containerKey: String { "\(containerPort)/\(proto)" }

    /// Parses one map entry. Keys: `8080`, `8080/udp`, `127.0.0.1:8080`, `[::1]:8080`;
    /// values: `80` or `80/udp`. A protocol may be given on either side; both must agree.
    /// - Throws: `HTTPError` 400 naming the entry.
    public init(host key: String, container value: String) throws(HTTPError) {
        func invalid(_ why: String) -> HTTPError {
            HTTPError.badRequest("invalid port mapping \"\(key)\" -> \"\(value)\": \(why)", reason: .badPort)
        }
        func split(_ s: Substring) -> (Substring, String?) {
            guard let slash = s.firstIndex(of: "/") else { return (s, nil) }
            return (s[..<slash], String(s[s.index(after: slash)...]).lowercased())
        }
        var (hostPart, hostProto) = split(Substring(key))
        let (containerPart, containerProto) = split(Substring(value))
        if let hostProto, let containerProto, hostProto != containerProto { throw invalid("protocols differ") }
        let proto = hostProto ?? containerProto ?? "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid("protocol must be tcp, udp or sctp") }
        var ip = ""
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]"), hostPart[hostPart.index(after: close)...].hasPrefix(":") else {
                throw invalid("expected [IPv6]:PORT")
            }
            ip = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            guard PortBinding.isIPv6(ip) else { throw invalid("bad IPv6 address") }
            hostPart = hostPart[hostPart.index(close, offsetBy: 2)...]
        } else if let colon = hostPart.lastIndex(of: ":") {
            ip = String(hostPart[..<colon])
            guard PortBinding.isIPv4(ip) else { throw invalid("bad IPv4 address") }
            hostPart = hostPart[hostPart.index(after: colon)...]
        }
        guard let hostPort = PortBinding.port(hostPart) else { throw invalid("host port must be 1-65535") }
        guard let containerPort = PortBinding.port(containerPart) else { throw invalid("container port must be 1-65535") }
        self.hostIP = ip
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    static func port(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 5, s.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(s), (1...65535).contains(n) else {
            return nil
        }
        return n
    }

    /// Dotted-quad IPv4 address, each part 0–255 without leading zeros.
    public static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(p) else { return false }
            return n <= 255 && (p.count == 1 || p.first != "0")
        }
    }

    /// IPv6 address text (RFC 4291 §2.2): eight groups of 1–4 hex digits separated by single
    /// colons, at most one `::` standing for one or more zero groups, optionally a dotted-quad
    /// IPv4 tail in place of the last two groups.
    public static func isIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.count <= 45 else { return false }
        let halves = s.splitting(on: "::")
        guard halves.count <= 2 else { return false }
        var groupCount = 0
        for (h, half) in halves.enumerated() where !half.isEmpty {
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            for (g, group) in groups.enumerated() {
                if h == halves.count - 1, g == groups.count - 1, group.contains(".") {
                    guard isIPv4(String(group)) else { return false }
                    groupCount += 2
                } else {
                    guard !group.isEmpty, group.count <= 4, group.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return false }
                    groupCount += 1
                }
            }
        }
        return halves.count == 2 ? groupCount < 8 : groupCount == 8
    }
}

extension String {
    /// The parts between occurrences of `separator` (no Foundation, no generic string
    /// searching: this runs on every start for the log file name).
    public func splitting(on separator: String) -> [Substring] {
        let text = Array(utf8), pattern = Array(separator.utf8)
        guard !pattern.isEmpty, text.count >= pattern.count else { return [self[...]] }
        var parts: [Substring] = []
        var partStart = 0, i = 0
        while i + pattern.count <= text.count {
            if text[i] == pattern[0], Array(text[i..<(i + pattern.count)]) == pattern {
                parts.append(Substring(decoding: text[partStart..<i], as: UTF8.self))
                i += pattern.count
                partStart = i
            } else {
                i += 1
            }
        }
        parts.append(Substring(decoding: text[partStart...], as: UTF8.self))
        return parts
    }
}
