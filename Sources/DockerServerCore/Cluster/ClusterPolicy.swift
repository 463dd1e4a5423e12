/// Which cluster entries count and in what order nodes are tried (docs/DESIGN.md "Cluster").
/// Pure: the signature check is passed in (HMAC-SHA256 lives in the I/O module).
public enum ClusterPolicy {
    /// How far in the future an entry's `updated` may be (clocks of nodes differ a little),
    /// milliseconds.
    public static let clockSkewMs: Int64 = 30_000

    /// Why an entry is not used.
    public enum Rejection: String, Equatable, Sendable {
        case malformed, unsigned, badSignature = "bad_signature", futureDated = "future_dated", stale
    }

    /// The verdict on the stored entries.
    public struct Membership: Equatable, Sendable {
        /// Usable entries, least loaded first (ties: by host), at most one per host (the
        /// newest).
        public var live: [ClusterEntry]
        /// Entries refused, by object name, with the reason (`stale` ones are normal and not
        /// worth a warning; the others are).
        public var rejected: [(name: String, why: Rejection)]

        public static func == (a: Membership, b: Membership) -> Bool {
            a.live == b.live && a.rejected.map { "\($0.name) \($0.why)" } == b.rejected.map { "\($0.name) \($0.why)" }
        }
    }

    /// Sorts the stored entries (object name, bytes) into live and rejected ones.
    /// - Parameters:
    ///   - nowMs: Unix epoch milliseconds.
    ///   - refreshRateMs: `--refresh_rate`; entries older than three times it are stale.
    ///   - verify: true when a signature (hex) is right for the signing input.
    public static func membership(_ objects: [(name: String, bytes: [UInt8])], nowMs: Int64, refreshRateMs: Int,
                                  verify: ([UInt8], String) -> Bool) -> Membership {
        var live: [String: ClusterEntry] = [:]
        var rejected: [(name: String, why: Rejection)] = []
        for (name, bytes) in objects {
            guard let entry = try? ClusterEntry.parse(bytes) else {
                rejected.append((name, .malformed))
                continue
            }
            guard !entry.signature.isEmpty else {
                rejected.append((name, .unsigned))
                continue
            }
            guard verify(entry.signingInput, entry.signature) else {
                rejected.append((name, .badSignature))
                continue
            }
            if entry.updatedMs > nowMs + clockSkewMs {
                rejected.append((name, .futureDated))
            } else if entry.updatedMs < nowMs - 3 * Int64(refreshRateMs) {
                rejected.append((name, .stale))
            } else if live[entry.host].map({ $0.updatedMs < entry.updatedMs }) ?? true {
                live[entry.host] = entry
            }
        }
        let ordered = live.values.sorted { ($0.loadMicros, $0.host) < ($1.loadMicros, $1.host) }
        return Membership(live: ordered, rejected: rejected)
    }

    /// The order in which a `PUT` tries nodes: least loaded first; on a tie this node first
    /// (no network hop), then by host.
    public static func placement(_ live: [ClusterEntry], selfHost: String) -> [ClusterEntry] {
        live.sorted { a, b in
            if a.loadMicros != b.loadMicros { return a.loadMicros < b.loadMicros }
            if (a.host == selfHost) != (b.host == selfHost) { return a.host == selfHost }
            return a.host < b.host
        }
    }

    /// The load published for a node: CPU busy fraction × memory used fraction (the original
    /// DockerServer's formula), in millionths.
    /// - Parameters:
    ///   - cpu: `/proc/stat` `cpu` line counters (busy, total) at two times, earlier first.
    ///   - memory: `/proc/meminfo` text.
    public static func measuredLoadMicros(cpu earlier: ProcStat.CPU, _ later: ProcStat.CPU, memory: String) -> Int? {
        guard let used = ProcStat.memoryUsedFraction(memory) else { return nil }
        let total = later.total - earlier.total
        let busy = later.busy - earlier.busy
        let fraction = total > 0 ? min(1, max(0, Double(busy) / Double(total))) : 0
        return Int((fraction * used * 1_000_000).rounded())
    }
}

/// The kernel's counters in `/proc/stat` and `/proc/meminfo` (proc(5)).
public enum ProcStat {
    /// CPU time since boot in clock ticks: all of it, and the part not idle (idle and iowait
    /// excluded).
    public struct CPU: Equatable, Sendable {
        public var busy: Int64
        public var total: Int64
        public init(busy: Int64, total: Int64) {
            self.busy = busy
            self.total = total
        }
    }

    /// The aggregate `cpu` line of `/proc/stat` (user nice system idle iowait irq softirq
    /// steal …); nil when there is none.
    public static func cpu(_ text: String) -> CPU? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Int64($0) }
        guard values.count >= 4 else { return nil }
        // guest and guest_nice (fields 9 and 10) are already counted in user and nice.
        let counted = Array(values.prefix(8))
        let total = counted.reduce(0, +)
        let idle = counted[3] + (counted.count > 4 ? counted[4] : 0)
        return CPU(busy: total - idle, total: total)
    }

    /// 1 − MemAvailable / MemTotal from `/proc/meminfo`; nil when either is missing.
    public static func memoryUsedFraction(_ text: String) -> Double? {
        var total: Double?, available: Double?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = value }
            if parts[0] == "MemAvailable:" { available = value }
        }
        guard let total, let available, total > 0 else { return nil }
        return min(1, max(0, 1 - available / total))
    }
}
