/// Rate limiting by sliding log (docs/API.md "Rate limits"): a counter keeps the times of the requests it let
/// through in the last window; a request passes when fewer than `limit` are inside the window
/// ending now. Unlike fixed per-minute buckets this never lets 2 × limit through around a
/// window edge, and the wait it announces is exact.
///
/// A counter keeps at most `maxEntries` entries, so its cost stays bounded whatever the limit:
/// past that, the two entries closest in time merge into one that carries both counts at the
/// later time. Merged requests count as later than they were, which only ever refuses a little
/// early, never lets more through. Limits up to `maxEntries` (the defaults: 60, 180, 300, 10)
/// are never merged and stay exact.
public enum RateLimit {
    /// A counter's entries, oldest first: requests let through at one time, `count` of them,
    /// the latest at `time` (Unix ms). Stored as flat `[Int]` pairs, the standard library's
    /// own array type: each process is new, and types of our own inside arrays would cost it
    /// runtime metadata to build on every request.
    public struct Log: Equatable, Sendable {
        /// `time, count, time, count, …`
        public var pairs: [Int]

        public init(_ pairs: [Int] = []) { self.pairs = pairs }

        /// Number of entries.
        public var count: Int { pairs.count / 2 }
        public func time(_ i: Int) -> Int { pairs[2 * i] }
        public func requests(_ i: Int) -> Int { pairs[2 * i + 1] }
        /// Requests over all entries.
        public var total: Int {
            var sum = 0
            for i in 0..<count { sum += requests(i) }
            return sum
        }

        /// Appends an entry.
        public mutating func append(time: Int, count: Int = 1) {
            pairs.append(time)
            pairs.append(count)
        }
    }

    /// Entries a counter keeps at most.
    public static let maxEntries = 512

    /// The outcome for one request.
    public struct Decision: Equatable, Sendable {
        /// True when the request may proceed.
        public var allowed: Bool
        /// Requests per window (`RateLimit-Limit`).
        public var limit: Int
        /// Requests still allowed in the window after this one (`RateLimit-Remaining`).
        public var remaining: Int
        /// Whole seconds, at least 1, until the oldest counted request leaves the window and
        /// a slot frees up (`RateLimit-Reset`; `Retry-After` when refused).
        public var resetSeconds: Int
        /// The counter after this request: the expired entries dropped and, when allowed and
        /// `record` was asked, one for now added.
        public var log: Log
    }

    /// Decides one request against a counter.
    /// - Parameters:
    ///   - log: the counter's entries (in any order; times more than a window in the future
    ///     are dropped as corrupt).
    ///   - nowMs: now, Unix ms. `windowMs`: the window length, ms (> 0). `limit`: requests per
    ///     window (> 0).
    ///   - record: count this request when allowed (false: only look, as for the failed-login
    ///     class before the token is known).
    public static func decide(log: Log, nowMs: Int, windowMs: Int, limit: Int, record: Bool = true) -> Decision {
        var live = Log()
        var counted = 0, sorted = true
        for i in 0..<log.count {
            let time = log.time(i), requests = log.requests(i)
            guard time > nowMs - windowMs, time <= nowMs + windowMs, requests > 0 else { continue }
            if live.count > 0, live.time(live.count - 1) > time { sorted = false }
            live.append(time: time, count: requests)
            counted += requests
        }
        if !sorted { live = sortedByTime(live) }
        let allowed = counted < limit
        if allowed && record {
            live.append(time: nowMs)
            counted += 1
            if live.count > maxEntries { mergeClosest(&live) }
        }
        let oldest = live.count > 0 ? live.time(0) : nowMs
        let resetMs = max(oldest + windowMs - nowMs, 1)
        return Decision(allowed: allowed, limit: limit, remaining: max(limit - counted, 0),
                        resetSeconds: (resetMs + 999) / 1000, log: live)
    }

    /// The entries ordered by time (insertion sort: counters are written in order and small).
    static func sortedByTime(_ log: Log) -> Log {
        var pairs = log.pairs
        var i = 2
        while i < pairs.count {
            let time = pairs[i], requests = pairs[i + 1]
            var j = i - 2
            while j >= 0, pairs[j] > time {
                pairs[j + 2] = pairs[j]
                pairs[j + 3] = pairs[j + 1]
                j -= 2
            }
            pairs[j + 2] = time
            pairs[j + 3] = requests
            i += 2
        }
        return Log(pairs)
    }

    /// Merges the two neighbouring entries (by time, sorted) closest in time into one at the
    /// later time with both counts.
    static func mergeClosest(_ log: inout Log) {
        guard log.count > 1 else { return }
        var best = 0
        for i in 0..<(log.count - 1) where log.time(i + 1) - log.time(i) < log.time(best + 1) - log.time(best) {
            best = i
        }
        log.pairs[2 * best + 3] += log.pairs[2 * best + 1]
        log.pairs.removeSubrange((2 * best)..<(2 * best + 2))
    }

    /// The response fields for a decision: `RateLimit-Limit`, `RateLimit-Remaining`,
    /// `RateLimit-Reset` (IETF draft-ietf-httpapi-ratelimit-headers, delta seconds) and the
    /// same values as `X-RateLimit-*`; a refusal adds `Retry-After` (RFC 9110 §10.2.3, seconds).
    public static func headers(_ decision: Decision) -> [(String, String)] {
        let values = [("Limit", String(decision.limit)), ("Remaining", String(decision.remaining)),
                      ("Reset", String(decision.resetSeconds))]
        var fields = values.map { ("RateLimit-" + $0.0, $0.1) } + values.map { ("X-RateLimit-" + $0.0, $0.1) }
        if !decision.allowed { fields.append(("Retry-After", String(decision.resetSeconds))) }
        return fields
    }

    // MARK: Counter files

    static let magic = Array("docker-server ratelimit 1\n".utf8)
    static let movedLine = Array("moved\n".utf8)

    /// The classes a client's counter holds, in file order: failed authentications, then the
    /// request classes of `RateClass`.
    public static let classNames = ["auth", "low", "mid", "high"]
    static let classNameBytes = classNames.map { Array($0.utf8) }

    /// The index in `classNames` of failed authentications.
    public static let authIndex = 0

    /// The index in `classNames` of a request class.
    public static func classIndex(_ rateClass: RateClass) -> Int {
        switch rateClass {
        case .low: return 1
        case .mid: return 2
        case .high: return 3
        }
    }

    /// The counts of one client, one log per class of `classNames` (a struct, not an array
    /// of logs: no runtime metadata to build).
    public struct Counts: Equatable, Sendable {
        public var auth = Log(), low = Log(), mid = Log(), high = Log()

        public init() {}

        /// Appends an entry to the log of class `index`, in place (no copy of the log).
        mutating func append(to index: Int, time: Int, count: Int) {
            switch index {
            case 0: auth.append(time: time, count: count)
            case 1: low.append(time: time, count: count)
            case 2: mid.append(time: time, count: count)
            default: high.append(time: time, count: count)
            }
        }

        /// The log of class `index` (see `classNames`).
        public subscript(index: Int) -> Log {
            get {
                switch index {
                case 0: return auth
                case 1: return low
                case 2: return mid
                default: return high
                }
            }
            set {
                switch index {
                case 0: auth = newValue
                case 1: low = newValue
                case 2: mid = newValue
                default: high = newValue
                }
            }
        }
    }

    /// A client's counter file: its counts per class, so one locked read and write per
    /// request serves the failed-login check and the class limit.
    public enum Counter: Equatable, Sendable {
        case counts(Counts)
        /// Taken over by the next epoch's folder (see `epochFolder`).
        case moved

        /// A counter with nothing recorded.
        public static var empty: Counter { .counts(Counts()) }
    }

    /// Parses a counter file: the magic line, then one entry per line, `CLASS TIME` (Unix ms)
    /// or `CLASS TIME*COUNT` (a count of at most 9 digits), or the line `moved`. Anything else
    /// (a truncated write, garbage, an unknown class, more than `maxEntries` entries in a class,
    /// which this program never writes) reads as an empty counter, to be rewritten.
    /// Byte-wise: this runs on every request.
    public static func parse(_ bytes: [UInt8]) -> Counter {
        guard bytes.count >= magic.count, bytes[..<magic.count].elementsEqual(magic) else { return .empty }
        if bytes[magic.count...].elementsEqual(movedLine) { return .moved }
        var counts = Counts()
        var nameStart = magic.count
        var index = 0, time = 0, count = 0, digits = 0
        var part = 0  // 0 class name, 1 time, 2 count
        var position = magic.count
        while position < bytes.count {
            let b = bytes[position]
            switch (part, b) {
            case (0, 0x61...0x7A) where position - nameStart < 8:
                break
            case (0, 0x20):
                guard let found = classIndex(bytes[nameStart..<position]) else { return .empty }
                index = found
                part = 1
            case (1, 0x30...0x39) where digits < 16:
                time = time * 10 + Int(b - 0x30)
                digits += 1
            case (1, UInt8(ascii: "*")) where digits > 0:
                part = 2
                digits = 0
            case (2, 0x30...0x39) where digits < 9:
                count = count * 10 + Int(b - 0x30)
                digits += 1
            case (1, 0x0A) where digits > 0, (2, 0x0A) where digits > 0:
                guard counts[index].count < maxEntries else { return .empty }
                counts.append(to: index, time: time, count: part == 2 ? count : 1)
                time = 0; count = 0; digits = 0; part = 0
                nameStart = position + 1
            default:
                return .empty
            }
            position += 1
        }
        return .counts(counts)  // an unterminated last line (a cut write) is left out
    }

    /// The index in `classNames` of the name in `bytes`, nil for another name.
    static func classIndex(_ bytes: ArraySlice<UInt8>) -> Int? {
        for index in 0..<classNameBytes.count where classNameBytes[index].elementsEqual(bytes) { return index }
        return nil
    }

    /// The file content for `counter` (see `parse`).
    public static func serialize(_ counter: Counter) -> [UInt8] {
        var out = magic
        switch counter {
        case .moved:
            out += movedLine
        case .counts(let counts):
            for index in 0..<classNames.count {
                let log = counts[index]
                for i in 0..<log.count {
                    out += classNameBytes[index]
                    out.append(0x20)
                    appendDecimal(log.time(i), to: &out)
                    if log.requests(i) != 1 {
                        out.append(UInt8(ascii: "*"))
                        appendDecimal(log.requests(i), to: &out)
                    }
                    out.append(0x0A)
                }
            }
        }
        return out
    }

    /// Appends the decimal digits of `value` (≥ 0) to `out`.
    public static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        var divisor = 1
        let value = max(value, 0)
        while divisor <= value / 10 { divisor *= 10 }
        repeat {
            out.append(UInt8(truncatingIfNeeded: (value / divisor) % 10) + 0x30)
            divisor /= 10
        } while divisor > 0
    }

    // MARK: Where counters live

    /// The folder, relative to `<folder>/ratelimit/`, of counters for windows of
    /// `windowSeconds` during the epoch of `nowMs`: `w<seconds>-<epoch>`, epoch =
    /// `nowMs / window`. A counter lives in its epoch's folder; the first request of the next
    /// epoch takes it over (marking the old file `moved`). Folders two or more epochs old hold
    /// only expired times, so clean-up deletes their files without reading them.
    public static func epochFolder(windowSeconds: Int, nowMs: Int) -> String {
        epochFolder(windowSeconds: windowSeconds, epoch: epoch(windowSeconds: windowSeconds, nowMs: nowMs))
    }

    /// `w<seconds>-<epoch>`.
    public static func epochFolder(windowSeconds: Int, epoch: Int) -> String {
        var out: [UInt8] = [UInt8(ascii: "w")]
        appendDecimal(windowSeconds, to: &out)
        out.append(UInt8(ascii: "-"))
        if epoch < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(epoch < 0 ? -epoch : epoch, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `nowMs / window`.
    public static func epoch(windowSeconds: Int, nowMs: Int) -> Int {
        nowMs / (windowSeconds * 1000)
    }

    /// True when `name` is an epoch folder whose counters have all expired (two or more
    /// epochs before the one of `nowMs`, for its own window length).
    public static func isExpiredFolder(_ name: String, nowMs: Int) -> Bool {
        let parts = name.utf8.split(separator: UInt8(ascii: "-"))
        guard name.utf8.first == UInt8(ascii: "w"), parts.count == 2,
              let seconds = Int(String(decoding: parts[0].dropFirst(), as: UTF8.self)), seconds > 0,
              let epoch = Int(String(decoding: parts[1], as: UTF8.self)) else { return false }
        return epoch < self.epoch(windowSeconds: seconds, nowMs: nowMs) - 1
    }

    /// The counter's file name: the client address with any byte outside `[0-9A-Za-z.:-]`
    /// replaced by `_`, and a leading `.` too (so never `.` or `..`): always one safe file name.
    public static func counterName(client: String) -> String {
        var out: [UInt8] = []
        for b in client.utf8.prefix(64) {
            let safe = (b >= 0x30 && b <= 0x3A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D
            out.append(safe && !(out.isEmpty && b == 0x2E) ? b : UInt8(ascii: "_"))
        }
        return out.isEmpty ? "_" : String(decoding: out, as: UTF8.self)
    }
}
