import Testing
@testable import DockerServerCore

@Suite("RateLimit")
struct RateLimitTests {
    let window = 60_000

    /// A log of single requests at `times`.
    static func log(_ times: [Int]) -> RateLimit.Log {
        var log = RateLimit.Log()
        for t in times { log.append(time: t) }
        return log
    }

    @Test func allowsUpToTheLimitThenRefuses() {
        var log = RateLimit.Log()
        for i in 0..<10 {
            let d = RateLimit.decide(log: log, nowMs: 1_000_000 + i, windowMs: window, limit: 10)
            #expect(d.allowed)
            #expect(d.remaining == 9 - i)
            log = d.log
        }
        let refused = RateLimit.decide(log: log, nowMs: 1_000_020, windowMs: window, limit: 10)
        #expect(!refused.allowed)
        #expect(refused.remaining == 0)
        #expect(refused.log == log)  // a refusal is not counted
    }

    @Test func retryAfterIsWhenTheOldestLeavesTheWindow() {
        let log = Self.log([1_000_000, 1_010_000, 1_020_000])
        let d = RateLimit.decide(log: log, nowMs: 1_030_500, windowMs: window, limit: 3)
        #expect(!d.allowed)
        // 1_000_000 leaves at 1_060_000: 29.5 s from now, announced as 30 whole seconds.
        #expect(d.resetSeconds == 30)
        #expect(RateLimit.headers(d).contains { $0 == ("Retry-After", "30") })
        // Just after it left, one slot is free again.
        #expect(RateLimit.decide(log: log, nowMs: 1_060_001, windowMs: window, limit: 3).allowed)
        #expect(!RateLimit.decide(log: log, nowMs: 1_059_999, windowMs: window, limit: 3).allowed)
    }

    @Test func noBurstOfTwiceTheLimitAtAWindowEdge() {
        // 10 at the very end of one minute, then 10 more at the start of the next: a fixed
        // per-minute bucket lets all 20 through; the sliding log only the first 10.
        var log = RateLimit.Log()
        var allowed = 0
        for now in Array(59_990..<60_000) + Array(60_010..<60_020) {
            let d = RateLimit.decide(log: log, nowMs: now, windowMs: window, limit: 10)
            if d.allowed { allowed += 1 }
            log = d.log
        }
        #expect(allowed == 10)
    }

    @Test func expiredAndFarFutureTimesAreDropped() {
        let now = 5_000_000
        let d = RateLimit.decide(log: Self.log([now - 70_000, now - 60_000, now - 59_999, now + 500_000]),
                                 nowMs: now, windowMs: window, limit: 5)
        #expect(d.log == Self.log([now - 59_999, now]))
        #expect(d.remaining == 3)
    }

    @Test func unorderedEntriesAreSorted() {
        var log = RateLimit.Log()
        log.append(time: 3_000, count: 2)
        log.append(time: 1_000)
        log.append(time: 2_000)
        let d = RateLimit.decide(log: log, nowMs: 4_000, windowMs: window, limit: 10)
        #expect(d.log.pairs == [1_000, 1, 2_000, 1, 3_000, 2, 4_000, 1])
        #expect(d.remaining == 5)
    }

    @Test func lookingDoesNotCount() {
        let d = RateLimit.decide(log: Self.log([1]), nowMs: 2, windowMs: window, limit: 5, record: false)
        #expect(d.allowed)
        #expect(d.log == Self.log([1]))
        #expect(d.remaining == 4)
    }

    @Test func headersMirrorEachOther() {
        let d = RateLimit.decide(log: RateLimit.Log(), nowMs: 1_000, windowMs: window, limit: 60)
        let h = RateLimit.headers(d)
        #expect(h.map(\.0) == ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                               "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"])
        #expect(h.map(\.1) == ["60", "59", "60", "60", "59", "60"])
    }

    @Test func counterFilesRoundTrip() {
        var counts = RateLimit.Counts()
        counts.auth = Self.log([1_795_000_000_000])
        counts.low.append(time: 1_795_000_000_000)
        counts.low.append(time: 1_795_000_000_001, count: 7)
        #expect(RateLimit.parse(RateLimit.serialize(.counts(counts))) == .counts(counts))
        #expect(RateLimit.parse(RateLimit.serialize(.empty)) == .empty)
        #expect(RateLimit.parse(RateLimit.serialize(.moved)) == .moved)
        var small = RateLimit.Counts()
        small.auth = Self.log([4])
        small.low.append(time: 5)
        small.low.append(time: 6, count: 2)
        small.high = Self.log([7])
        #expect(String(decoding: RateLimit.serialize(.counts(small)), as: UTF8.self) == "docker-server ratelimit 1\nauth 4\nlow 5\nlow 6*2\nhigh 7\n")
    }

    @Test(arguments: ["", "garbage", "docker-server ratelimit 1\nlow abc\n", "docker-server ratelimit 1\nlow -5\n",
                      "docker-server ratelimit 1\nlow 12345678901234567890\n", "docker-server ratelimit 2\nlow 1\n",
                      "docker-server rate", "docker-server ratelimit 1\n\n", "docker-server ratelimit 1\nmoved\nlow 1\n",
                      "docker-server ratelimit 1\nlow 5*\n", "docker-server ratelimit 1\nlow *5\n", "docker-server ratelimit 1\nlow 5*2*3\n",
                      "docker-server ratelimit 1\n5\n", "docker-server ratelimit 1\nLOW 5\n", "docker-server ratelimit 1\nlow  5\n",
                      "docker-server ratelimit 1\nverylongname 5\n", "docker-server ratelimit 1\nother 5\n", "docker-server ratelimit 1\n 5\n",
                      "docker-server ratelimit 1\nlow 5*1234567890\n"])
    func damagedFilesReadAsEmpty(text: String) {
        #expect(RateLimit.parse(Array(text.utf8)) == .empty)
    }

    @Test func oversizedCountersReadAsEmpty() {
        // More entries in a class than this program ever writes: damaged (and bounded work).
        var text = "docker-server ratelimit 1\n"
        for i in 0...RateLimit.maxEntries { text += "low \(1_000 + i)*999999999\n" }
        #expect(RateLimit.parse(Array(text.utf8)) == .empty)
        var full = "docker-server ratelimit 1\n"
        for i in 0..<RateLimit.maxEntries { full += "low \(1_000 + i)*999999999\n" }
        guard case let .counts(counts) = RateLimit.parse(Array(full.utf8)) else { Issue.record("not parsed"); return }
        #expect(counts.low.count == RateLimit.maxEntries)
        // The largest counts a file can hold add up without overflow.
        let d = RateLimit.decide(log: counts.low, nowMs: 2_000, windowMs: window, limit: Int.max)
        #expect(d.allowed)
        #expect(d.remaining == Int.max - RateLimit.maxEntries * 999_999_999 - 1)
    }

    @Test func aCutLastLineIsLeftOut() {
        var expected = RateLimit.Counts()
        expected.high = Self.log([1_795_000_000_000])
        #expect(RateLimit.parse(Array("docker-server ratelimit 1\nhigh 1795000000000\nhigh 17950".utf8)) == .counts(expected))
    }

    @Test func countersStayBoundedAndNeverLetMoreThrough() {
        // A limit far above maxEntries: entries merge, the count stays exact or above.
        var log = RateLimit.Log()
        var allowed = 0
        for i in 0..<5000 {
            let d = RateLimit.decide(log: log, nowMs: 1_000_000 + i * 3, windowMs: window, limit: 4000)
            if d.allowed { allowed += 1 }
            log = d.log
            #expect(log.count <= RateLimit.maxEntries)
        }
        #expect(allowed == 4000)
        #expect(log.total == 4000)
        // Within maxEntries nothing merges: every time is kept as it was.
        var exact = RateLimit.Log()
        for i in 0..<RateLimit.maxEntries {
            exact = RateLimit.decide(log: exact, nowMs: 1_000 + i, windowMs: window, limit: 1000).log
        }
        #expect((0..<exact.count).allSatisfy { exact.requests($0) == 1 })
    }

    @Test func counterNamesAreSafeFileNames() {
        #expect(RateLimit.counterName(client: "192.0.2.1") == "192.0.2.1")
        #expect(RateLimit.counterName(client: "2001:db8::1") == "2001:db8::1")
        #expect(RateLimit.counterName(client: "../../etc/passwd x") == "_._.._etc_passwd_x")
        #expect(RateLimit.counterName(client: "é") == "__")
        #expect(RateLimit.counterName(client: "") == "_")
        #expect(RateLimit.counterName(client: ".") == "_")
        #expect(RateLimit.counterName(client: "..") == "_.")
        #expect(RateLimit.counterName(client: ".hidden") == "_hidden")
        #expect(RateLimit.counterName(client: String(repeating: "1", count: 100)).count == 64)
    }

    @Test func decimals() {
        for value in [0, 7, 10, 1_795_000_000_123] {
            var out: [UInt8] = []
            RateLimit.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
        #expect(RateLimit.epochFolder(windowSeconds: 60, epoch: 29_932_545) == "w60-29932545")
    }

    @Test func epochFolders() {
        // Window 60 s: epoch = floor(ms / 60 000).
        #expect(RateLimit.epochFolder(windowSeconds: 60, nowMs: 119_999) == "w60-1")
        #expect(RateLimit.epochFolder(windowSeconds: 60, nowMs: 120_000) == "w60-2")
        let now = 600_000  // epoch 10 of 60 s windows
        #expect(!RateLimit.isExpiredFolder("w60-10", nowMs: now))
        #expect(!RateLimit.isExpiredFolder("w60-9", nowMs: now))  // may still hold live times
        #expect(RateLimit.isExpiredFolder("w60-8", nowMs: now))
        #expect(RateLimit.isExpiredFolder("w1-598", nowMs: now))  // each folder by its own window
        #expect(!RateLimit.isExpiredFolder("w1-599", nowMs: now))
        for other in ["", ".", "..", "w60", "w-1", "x60-1", "w0-1", "w60-1-2", "wabc-1", "w60-x"] {
            #expect(!RateLimit.isExpiredFolder(other, nowMs: now), "\(other)")
        }
    }

    @Test func classNamesMatchTheRateClasses() {
        #expect(RateLimit.classNames[RateLimit.authIndex] == "auth")
        for rateClass in RateClass.allCases { #expect(RateLimit.classNames[RateLimit.classIndex(rateClass)] == rateClass.rawValue) }
    }

    @Test func limitsPerClass() {
        var c = Config()
        c.lowBurst = 1; c.midBurst = 2; c.highBurst = 3
        #expect(c.limit(for: .low) == 1 && c.limit(for: .mid) == 2 && c.limit(for: .high) == 3)
    }
}
