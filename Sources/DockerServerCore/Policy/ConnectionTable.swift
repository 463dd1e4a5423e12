/// The spawner's bookkeeping (docs/DESIGN.md, "The spawner"): which connection processes
/// run, the client address each serves, and whether one more connection may start one.
/// Pure: process ids and sockets are plain numbers here; the spawner does the syscalls.
public struct ConnectionTable: Sendable {
    /// Why a connection is answered `503` instead of getting a process.
    public enum Refusal: Sendable, Equatable {
        /// `--max_connections` processes run already.
        case tooManyConnections
        /// `--max_per_source` processes serve this client address already.
        case tooManyFromSource
        /// The system would not start a process (`posix_spawn` failed).
        case spawnFailed
        /// The spawner is stopping: connections that were waiting to be accepted.
        case stopping

        /// The stable `reason=` token of log lines and of the 503.
        public var reason: HTTPError.Reason {
            switch self {
            case .tooManyConnections: return .tooManyConnections
            case .tooManyFromSource: return .tooManyFromSource
            case .spawnFailed: return .spawnFailed
            case .stopping: return .stopping
            }
        }
    }

    /// One running connection process: the client's address and the spawner's copy of the
    /// connection socket (kept to end the connection at shutdown, as a hang-up does).
    public struct Entry: Sendable, Equatable {
        public var source: String
        public var socket: Int32
    }

    public let maxConnections: Int
    public let maxPerSource: Int
    public private(set) var entries: [Int32: Entry] = [:]
    var perSource: [String: Int] = [:]

    /// - Parameters:
    ///   - maxConnections: processes at once (`--max_connections`), at least 1.
    ///   - maxPerSource: processes at once for one client address (`--max_per_source`).
    public init(maxConnections: Int, maxPerSource: Int) {
        self.maxConnections = maxConnections
        self.maxPerSource = maxPerSource
    }

    /// Running connection processes.
    public var count: Int { entries.count }

    /// Connection processes serving `source`.
    public func count(from source: String) -> Int { perSource[source] ?? 0 }

    /// The processes serving `source`.
    public func pids(from source: String) -> [Int32] {
        entries.compactMap { $0.value.source == source ? $0.key : nil }
    }

    /// Nil when a connection from `source` may start a process, else why not.
    /// - Parameter closedFromSource: how many of `source`'s processes serve connections the
    ///   client has already closed (they are finishing): not counted against
    ///   `maxPerSource`, which caps the connections a client has open.
    public func refusal(for source: String, closedFromSource: Int = 0) -> Refusal? {
        if entries.count >= maxConnections { return .tooManyConnections }
        if count(from: source) - closedFromSource >= maxPerSource { return .tooManyFromSource }
        return nil
    }

    /// Records the process `pid` serving `source` on `socket`.
    public mutating func add(pid: Int32, source: String, socket: Int32) {
        if let old = entries.updateValue(Entry(source: source, socket: socket), forKey: pid) { release(old.source) }
        perSource[source, default: 0] += 1
    }

    /// Forgets the process `pid` (it exited).
    /// - Returns: its entry, or nil for a pid the table does not hold.
    @discardableResult
    public mutating func remove(pid: Int32) -> Entry? {
        guard let entry = entries.removeValue(forKey: pid) else { return nil }
        release(entry.source)
        return entry
    }

    mutating func release(_ source: String) {
        let left = (perSource[source] ?? 1) - 1
        perSource[source] = left > 0 ? left : nil
    }
}

/// Refused connections summed into at most one log line per reason a second, so that a
/// flood is visible without writing a line per connection.
public struct RefusalLog: Sendable {
    /// Refusals not logged yet, per reason: count and the last client address.
    public private(set) var pending: [String: (count: Int, source: String)] = [:]
    var lastFlushMs: Int64?
    /// Milliseconds between two summaries.
    public let intervalMs: Int64

    public init(intervalMs: Int64 = 1000) { self.intervalMs = intervalMs }

    /// Counts one refusal.
    public mutating func record(_ refusal: ConnectionTable.Refusal, source: String) {
        let old = pending[refusal.reason.rawValue]?.count ?? 0
        pending[refusal.reason.rawValue] = (old + 1, source)
    }

    /// When a summary is due at `nowMs` (monotonic ms), the pending counts (reason, count,
    /// last client), sorted by reason, which are then cleared; else nothing. The first
    /// refusal after a quiet second is reported at once.
    public mutating func due(nowMs: Int64) -> [(reason: String, count: Int, source: String)] {
        guard !pending.isEmpty else { return [] }
        if let last = lastFlushMs, nowMs - last < intervalMs { return [] }
        lastFlushMs = nowMs
        let out = pending.map { (reason: $0.key, count: $0.value.count, source: $0.value.source) }.sorted { $0.reason < $1.reason }
        pending = [:]
        return out
    }

    /// Milliseconds from `nowMs` until pending refusals are due, nil when none are pending.
    public func msUntilDue(nowMs: Int64) -> Int64? {
        guard !pending.isEmpty else { return nil }
        guard let last = lastFlushMs else { return 0 }
        return max(0, last + intervalMs - nowMs)
    }
}
