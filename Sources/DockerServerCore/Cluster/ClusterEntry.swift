/// One node's entry in the cluster store (docs/DESIGN.md "Cluster"): the original
/// DockerServer's `{host, load}` plus the time it was written and an HMAC-SHA256 signature
/// over those fields, so that whoever can write the store cannot add or change a node.
///
/// Stored as `ds-<digits>.json` (`objectName`):
/// `{"host":"http://192.0.2.7:1717","load":0.125000,"updated":1795000000000,"signature":"<64 hex>"}`.
public struct ClusterEntry: Equatable, Sendable {
    /// The node's base URL, `http://ADDRESS:PORT` or `https://ADDRESS:PORT` (`NodeURL`).
    public var host: String
    /// The load in millionths (CPU busy fraction × memory used fraction, or `--load`): kept as
    /// an integer so that the signed text is the same on every node.
    public var loadMicros: Int
    /// When the entry was written, Unix epoch milliseconds.
    public var updatedMs: Int64
    /// Lowercase hex of HMAC-SHA256(cluster key, `signingInput`); empty when unsigned.
    public var signature: String

    public init(host: String, loadMicros: Int, updatedMs: Int64, signature: String = "") {
        self.host = host
        self.loadMicros = loadMicros
        self.updatedMs = updatedMs
        self.signature = signature
    }

    /// The load as a decimal with six places (`0.125000`), as written in the entry.
    public var loadText: String {
        let whole = loadMicros / 1_000_000, fraction = String(loadMicros % 1_000_000)
        return "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The bytes the signature covers: a fixed label, then host, load and time, one per line.
    public var signingInput: [UInt8] {
        Array("docker-server cluster entry v1\n\(host)\n\(loadText)\n\(updatedMs)".utf8)
    }

    /// The entry's object name in the store: `ds-`, digits that tell the node, `.json`. For an
    /// IPv4 address, its four numbers zero-padded to three digits and the port to five
    /// (`http://192.0.2.7:1717` → `ds-19200000200701717.json`): the original's digits of the
    /// address, made unambiguous (`10.0.0.1:11717` and `10.0.0.11:1717` differ). For a host
    /// name or an IPv6 address, whose digits alone would collide, the 20 decimal digits of the
    /// FNV-1a 64-bit hash of `host:port`.
    public static func objectName(host: String) -> String {
        guard let url = try? NodeURL(host) else { return "ds-0.json" }
        let octets = url.host.split(separator: ".")
        if PortBinding.isIPv4(url.host), octets.count == 4 {
            let padded = octets.map { String(repeating: "0", count: max(0, 3 - $0.count)) + $0 }.joined()
            let port = String(url.port)
            return "ds-" + padded + String(repeating: "0", count: 5 - port.count) + port + ".json"
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(url.host.lowercased()):\(url.port)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let digits = String(hash)
        return "ds-" + String(repeating: "0", count: 20 - digits.count) + digits + ".json"
    }

    /// True for names `objectName` can produce: what a listing of the store keeps.
    public static func isObjectName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard utf8.count > 8, name.hasPrefix("ds-"), name.hasSuffix(".json") else { return false }
        return utf8[3..<(utf8.count - 5)].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The entry as stored, one JSON object.
    public var serialized: [UInt8] {
        var out = Array("{\"host\":".utf8)
        JSON.string(host).write(into: &out)
        out += Array(",\"load\":\(loadText),\"updated\":\(updatedMs),\"signature\":".utf8)
        // Escaped as the host is: a parsed entry's signature may be any JSON string.
        JSON.string(signature).write(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses a stored entry.
    /// - Throws: `ClusterEntryError` saying what is wrong (not JSON, a field missing or of the
    ///   wrong type, a host that is not a node URL, a load out of range).
    public static func parse(_ bytes: [UInt8]) throws(ClusterEntryError) -> ClusterEntry {
        guard let json = try? JSON.parse(bytes), case .object = json else { throw ClusterEntryError("not a JSON object") }
        guard let host = json["host"]?.stringValue, (try? NodeURL(host)) != nil else {
            throw ClusterEntryError("\"host\" is not an http(s)://ADDRESS:PORT URL")
        }
        guard case let .number(loadText)? = json["load"], let loadMicros = parseMicros(loadText) else {
            throw ClusterEntryError("\"load\" is not a number from 0 to 1000")
        }
        guard case let .number(updatedText)? = json["updated"], let updated = Int64(updatedText), updated > 0 else {
            throw ClusterEntryError("\"updated\" is not epoch milliseconds")
        }
        let signature = json["signature"]?.stringValue ?? ""
        return ClusterEntry(host: host, loadMicros: loadMicros, updatedMs: updated, signature: signature)
    }

    /// A decimal (`0.25`, `1`, `0.125000`) as millionths, rounded; nil when it is not a plain
    /// decimal from 0 to 1000 (no sign, no exponent).
    public static func parseMicros(_ text: String) -> Int? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty, wholeText.count <= 4,
              wholeText.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int(wholeText) else { return nil }
        var micros = whole * 1_000_000
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            let padded = digits.count >= 7 ? String(digits.prefix(7)) : digits + String(repeating: "0", count: 7 - digits.count)
            guard let seventh = Int(padded) else { return nil }
            micros += (seventh + 5) / 10
        }
        return micros <= 1_000_000_000 ? micros : nil
    }
}

/// What is wrong with a stored cluster entry.
public struct ClusterEntryError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A cluster node's base URL: `http://` or `https://`, a numeric IPv4 or bracketed IPv6
/// address or a host name, and a port; nothing after it but an optional `/`.
public struct NodeURL: Equatable, Sendable, CustomStringConvertible {
    public var https: Bool
    /// The address without brackets.
    public var host: String
    public var port: Int

    /// - Throws: `ClusterEntryError` when `text` is not such a URL.
    public init(_ text: String) throws(ClusterEntryError) {
        let bad = ClusterEntryError("expected http(s)://ADDRESS:PORT, got \"\(text.prefix(200))\"")
        var rest: Substring
        if text.hasPrefix("http://") {
            https = false
            rest = text.dropFirst(7)
        } else if text.hasPrefix("https://") {
            https = true
            rest = text.dropFirst(8)
        } else {
            throw bad
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = PortBinding.port(rest[rest.index(after: colon)...]) else { throw bad }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            guard PortBinding.isIPv6(String(host)) else { throw bad }
        } else {
            guard !host.isEmpty, host.utf8.count <= 253,
                  host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x2D })
            else { throw bad }
        }
        self.host = String(host)
        self.port = port
    }

    /// `http(s)://host:port`, IPv6 in brackets.
    public var description: String {
        (https ? "https://" : "http://") + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }
}

extension ClusterEntry {
    /// The entries as `docker-server nodes` prints them: `[{"host","load","updated"}]`, in
    /// the order given (the live ones least loaded first: PUT's placement order).
    public static func listing(_ entries: [ClusterEntry]) -> JSON {
        .array(entries.map { .object([("host", .string($0.host)), ("load", .number($0.loadText)), ("updated", .number(String($0.updatedMs)))]) })
    }
}
