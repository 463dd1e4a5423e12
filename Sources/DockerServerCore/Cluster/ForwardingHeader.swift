/// The field a cluster node adds to a request it forwards to another node (docs/API.md
/// "Cluster"): the receiver then handles it locally (never forwards it again), logs the
/// original client, and does not count it in its rate limits. Signed with the cluster key
/// over method, request target, body hash, time and client, so a client cannot forge it.
///
/// `X-Docker-Server-Forwarded: v1; t=<epoch ms>; client=<address>; body=<SHA-256 hex>; sig=<HMAC-SHA256 hex>`
public struct ForwardingHeader: Equatable, Sendable {
    /// The field name (lowercase, as `HTTPRequestHead.field` looks it up).
    public static let fieldName = "x-docker-server-forwarded"
    /// How far the time in the field may be from the receiver's clock, milliseconds. Wider
    /// than `ClusterPolicy.clockSkewMs`, so a node never forwards to a node that would take
    /// its field for invalid and forward the request back: when B's clock is more than this
    /// behind A's, A's entry is future-dated for B, and B forwards nothing to A.
    public static let windowMs: Int64 = 60_000

    public var timeMs: Int64
    /// The original client's address (IPv4 or IPv6 text).
    public var client: String
    /// Lowercase hex SHA-256 of the request body.
    public var bodySHA256: String
    /// Lowercase hex HMAC-SHA256 of `signingInput`.
    public var signature: String

    public init(timeMs: Int64, client: String, bodySHA256: String, signature: String = "") {
        self.timeMs = timeMs
        self.client = client
        self.bodySHA256 = bodySHA256
        self.signature = signature
    }

    /// What the signature covers: a fixed label, method, request target, time, client, body
    /// hash, one per line.
    public func signingInput(method: String, target: String) -> [UInt8] {
        Array("docker-server forward v1\n\(method)\n\(target)\n\(timeMs)\n\(client)\n\(bodySHA256)".utf8)
    }

    /// The field value.
    public var value: String { "v1; t=\(timeMs); client=\(client); body=\(bodySHA256); sig=\(signature)" }

    /// Parses a field value; nil when it is not of the form `value` writes.
    public static func parse(_ text: String) -> ForwardingHeader? {
        var fields: [String: String] = [:]
        let parts = text.split(separator: ";").map { $0.trimmingSpaces }
        guard parts.first == "v1" else { return nil }
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        func isHex(_ s: String?, count: Int) -> Bool {
            guard let s, s.utf8.count == count else { return false }
            return s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }
        guard let timeText = fields["t"], let time = Int64(timeText), let client = fields["client"], !client.isEmpty,
              client.utf8.count <= 64, client.utf8.allSatisfy(Self.isClientByte),
              isHex(fields["body"], count: 64), isHex(fields["sig"], count: 64) else { return nil }
        return ForwardingHeader(timeMs: time, client: client, bodySHA256: fields["body"]!, signature: fields["sig"]!)
    }

    /// The bytes of a client address as `PeerAddress` writes it: IPv4, IPv6 with a zone
    /// (`fe80::1%eth0`), or `local` for a piped request.
    static func isClientByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2E || byte == 0x3A || byte == 0x25
            || byte == 0x5F || byte == 0x2D
    }

    /// True when the field was signed with the cluster key for this method and target, and
    /// its time is within `windowMs` of `nowMs`. The body hash is checked once the body is read.
    public func isValid(method: String, target: String, nowMs: Int64, verify: ([UInt8], String) -> Bool) -> Bool {
        abs(nowMs - timeMs) <= Self.windowMs && verify(signingInput(method: method, target: target), signature)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
