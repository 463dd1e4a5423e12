/// The settings of `docker run` beyond the original's fields (docs/API.md "PUT /": `env`,
/// `workdir`, `user`, `entrypoint`, `labels`, `restart`, `memory`, `cpus`, `network`,
/// `hostname`, `init`, `read_only`), each read as the docker command reads its flag and
/// checked before anything reaches the engine. Every error is a 400 naming the field.
public enum RunSettings {
    /// A restart policy (`--restart`; Engine API ContainerCreate `HostConfig.RestartPolicy`).
    public struct RestartPolicy: Equatable, Sendable {
        /// `no`, `always`, `unless-stopped` or `on-failure`.
        public var name: String
        /// With `on-failure:N`: at most N restarts (0: no limit).
        public var maximumRetryCount: Int
    }

    /// `-e`: a map (`env[KEY]=VALUE`, `{"env":{"KEY":"VALUE"}}`) or a list of `KEY=VALUE`
    /// (`env[]=KEY=VALUE`, `{"env":["KEY=VALUE"]}`), as the Engine API's `Env` list, in order.
    /// - Throws: `HTTPError` 400 for an empty key, a key with `=`, an entry without `=`, a
    ///   NUL character, or a key given twice.
    public static func environment(_ value: RequestFields.Value?) throws(HTTPError) -> [String] {
        var pairs: [(key: String, value: String)] = []
        switch value {
        case nil: return []
        case .map(let given)?: pairs = given.map { ($0.key, $0.value) }
        case .list(let entries)?:
            for entry in entries {
                guard let equals = entry.firstIndex(of: "=") else {
                    throw bad("env", "entry \"\(shown(entry))\" is not KEY=VALUE")
                }
                pairs.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...])))
            }
        case .text?, .bytes?:
            throw bad("env", "must be a map (env[KEY]=VALUE) or a list of KEY=VALUE (env[]=KEY=VALUE)")
        }
        var seen: Set<String> = []
        for (key, value) in pairs {
            guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0) else {
                throw bad("env", "invalid variable name \"\(shown(key))\" (not empty, no = or NUL)")
            }
            guard !value.utf8.contains(0) else { throw bad("env", "the value of \(shown(key)) contains a NUL character") }
            guard seen.insert(key).inserted else { throw bad("env", "variable \(shown(key)) given twice") }
        }
        return pairs.map { "\($0.key)=\($0.value)" }
    }

    /// `-w`: an absolute path inside the container (the engine refuses a relative one).
    /// - Throws: `HTTPError` 400 for a relative path, a NUL character, or more than 4096 bytes.
    public static func workdir(_ text: String) throws(HTTPError) -> String {
        guard text.hasPrefix("/"), text.utf8.count <= 4096, !text.utf8.contains(0) else {
            throw bad("workdir", "must be an absolute path in the container, got \"\(shown(text))\"")
        }
        return text
    }

    /// `-u`: `user`, `uid`, `user:group` or `uid:gid` (names of letters, digits, `_`, `.`, `-`,
    /// not starting with `-`; numeric ids at most 2147483647, the kernel's range; at most 256
    /// bytes).
    /// - Throws: `HTTPError` 400 otherwise.
    public static func user(_ text: String) throws(HTTPError) -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let valid = text.utf8.count <= 256 && (1...2).contains(parts.count) && parts.allSatisfy { part in
            guard let first = part.utf8.first, first != UInt8(ascii: "-") else { return false }
            if part.utf8.allSatisfy({ (0x30...0x39).contains($0) }) { return part.count <= 10 && Int(part)! <= 2_147_483_647 }
            return part.utf8.allSatisfy { ContainerReference.isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
        }
        guard valid else { throw bad("user", "must be USER, UID, USER:GROUP or UID:GID, got \"\(shown(text))\"") }
        return text
    }

    /// `--label`: keys not empty; no NUL in keys or values.
    /// - Throws: `HTTPError` 400 otherwise.
    public static func labels(_ pairs: [RequestFields.Pair]) throws(HTTPError) -> [RequestFields.Pair] {
        for pair in pairs {
            guard !pair.key.isEmpty, !pair.key.utf8.contains(0) else {
                throw bad("labels", "invalid label name \"\(shown(pair.key))\" (not empty, no NUL)")
            }
            guard !pair.value.utf8.contains(0) else { throw bad("labels", "the value of label \(shown(pair.key)) contains a NUL character") }
        }
        return pairs
    }

    /// `--restart`: `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`
    /// (0 ≤ N ≤ 1,000,000).
    /// - Throws: `HTTPError` 400 otherwise.
    public static func restart(_ text: String) throws(HTTPError) -> RestartPolicy {
        switch text {
        case "no", "always", "unless-stopped", "on-failure": return RestartPolicy(name: text, maximumRetryCount: 0)
        default:
            if text.hasPrefix("on-failure:") {
                let count = text.dropFirst("on-failure:".count)
                if !count.isEmpty, count.count <= 7, count.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                   let n = Int(count), n <= 1_000_000 {
                    return RestartPolicy(name: "on-failure", maximumRetryCount: n)
                }
            }
            throw bad("restart", "must be no, on-failure[:N], always or unless-stopped, got \"\(shown(text))\"")
        }
    }

    /// `-m`: bytes, as docker reads them: a number (a fraction allowed) with an optional unit
    /// `b`, `k`, `m`, `g`, `t` (powers of 1024; case ignored; `kb`, `kib` also read), e.g.
    /// `512m`, `1.5g`, `1073741824`. At most 2^62; 0 means no limit, as `docker run -m 0`.
    /// - Throws: `HTTPError` 400 otherwise.
    public static func memoryBytes(_ text: String) throws(HTTPError) -> Int64 {
        let fail = bad("memory", "must be bytes with an optional unit b, k, m, g or t (e.g. 512m), got \"\(shown(text))\"")
        var rest = Substring(text.lowercased())
        for suffix in ["ib", "b"] where rest.hasSuffix(suffix) && rest.count > suffix.count {
            rest = rest.dropLast(suffix.count)
            break
        }
        var unit: Double = 1
        if let last = rest.last, let power = ["k": 1, "m": 2, "g": 3, "t": 4][String(last)] {
            unit = Double(1 << (10 * power))
            rest = rest.dropLast()
        }
        guard let number = decimal(rest) else { throw fail }
        let bytes = (number * unit).rounded(.down)
        guard bytes >= 0, bytes <= Double(1 << 62) else { throw fail }
        return Int64(bytes)
    }

    /// `--cpus`: a decimal number of CPUs (at most 9 decimals), from 0.01 (the kernel's
    /// smallest CFS quota, 1 ms per 100 ms) to 1024, as the Engine API's `NanoCpus`
    /// (CPUs × 10⁹).
    /// - Throws: `HTTPError` 400 otherwise.
    public static func nanoCPUs(_ text: String) throws(HTTPError) -> Int64 {
        let fail = bad("cpus", "must be a number of CPUs from 0.01 (e.g. 1.5), got \"\(shown(text))\"")
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 4,
              whole.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw fail }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 9, fraction.utf8.allSatisfy({ (0x30...0x39).contains($0) }), parts.count == 1 || !fraction.isEmpty,
              let units = Int64(whole), let nanos = Int64(fraction + String(repeating: "0", count: 9 - fraction.count)) else { throw fail }
        let total = units * 1_000_000_000 + nanos
        guard total >= 10_000_000, total <= 1024 * 1_000_000_000 else { throw fail }
        return total
    }

    /// `--network`: a network name or id (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`, which `bridge`, `host`
    /// and `none` match), or `container:<name or id>`; the Engine API's `NetworkMode`.
    /// - Throws: `HTTPError` 400 otherwise.
    public static func network(_ text: String) throws(HTTPError) -> String {
        if text.hasPrefix("container:") {
            let container = String(text.dropFirst("container:".count))
            return "container:" + (try ContainerReference.validate(container, what: "container in network", field: "network"))
        }
        guard ContainerReference.isValid(text) else {
            throw bad("network", "must be a network name (bridge, host, none, or one of `docker network ls`) or container:NAME, got \"\(shown(text))\"")
        }
        return text
    }

    /// `-h`: a host name of RFC 1123 labels (letters, digits, `-` inside), dot-separated,
    /// at most 63 bytes each and 64 in all (the kernel's limit for a host name).
    /// - Throws: `HTTPError` 400 otherwise.
    public static func hostname(_ text: String) throws(HTTPError) -> String {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !text.isEmpty && text.utf8.count <= 64 && labels.allSatisfy { label in
            guard let first = label.utf8.first, let last = label.utf8.last, label.utf8.count <= 63,
                  first != UInt8(ascii: "-"), last != UInt8(ascii: "-") else { return false }
            return label.utf8.allSatisfy { ContainerReference.isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
        guard valid else { throw bad("hostname", "must be a host name (letters, digits, - and dots; at most 64 characters), got \"\(shown(text))\"") }
        return text
    }

    /// A decimal number: digits, optionally a `.` and more digits (at most 30 characters).
    static func decimal(_ text: Substring) -> Double? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, text.count <= 30, (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }) else { return nil }
        return Double(text)
    }

    static func bad(_ field: String, _ message: String) -> HTTPError {
        HTTPError.badRequest("field \"\(field)\" \(message)", reason: .badField)
    }

    static func shown(_ s: String) -> String { s.count > 64 ? String(s.prefix(64)) + "…" : s }
}
