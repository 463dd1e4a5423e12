import Testing
@testable import DockerServerCore

@Suite("Spawner connection table")
struct ConnectionTableTests {
    @Test func admitsUpToTheGlobalCap() {
        var table = ConnectionTable(maxConnections: 3, maxPerSource: 16)
        for (pid, source) in [(10, "10.0.0.1"), (11, "10.0.0.2"), (12, "10.0.0.3")] {
            #expect(table.refusal(for: source) == nil)
            table.add(pid: Int32(pid), source: source, socket: Int32(pid + 100))
        }
        #expect(table.count == 3)
        #expect(table.refusal(for: "10.0.0.4") == .tooManyConnections)
        #expect(table.remove(pid: 11) == ConnectionTable.Entry(source: "10.0.0.2", socket: 111))
        #expect(table.refusal(for: "10.0.0.4") == nil)
    }

    @Test func capsEachClientAddress() {
        var table = ConnectionTable(maxConnections: 64, maxPerSource: 2)
        table.add(pid: 1, source: "::1", socket: 5)
        table.add(pid: 2, source: "::1", socket: 6)
        #expect(table.refusal(for: "::1") == .tooManyFromSource)
        #expect(table.refusal(for: "127.0.0.1") == nil)
        #expect(table.count(from: "::1") == 2)
        table.remove(pid: 1)
        #expect(table.refusal(for: "::1") == nil)
        table.remove(pid: 2)
        #expect(table.count(from: "::1") == 0)
        #expect(table.perSource.isEmpty)
    }

    @Test func connectionsTheClientClosedDoNotCountForItsCap() {
        var table = ConnectionTable(maxConnections: 3, maxPerSource: 2)
        table.add(pid: 1, source: "a", socket: 5)
        table.add(pid: 2, source: "a", socket: 6)
        #expect(Set(table.pids(from: "a")) == [1, 2])
        #expect(table.refusal(for: "a") == .tooManyFromSource)
        #expect(table.refusal(for: "a", closedFromSource: 1) == nil)
        table.add(pid: 3, source: "a", socket: 7)
        // The global cap counts every process, finishing or not (it bounds the machine's load).
        #expect(table.refusal(for: "a", closedFromSource: 3) == .tooManyConnections)
    }

    @Test func unknownAndRepeatedProcessIDs() {
        var table = ConnectionTable(maxConnections: 4, maxPerSource: 4)
        #expect(table.remove(pid: 99) == nil)
        table.add(pid: 7, source: "a", socket: 1)
        // A pid reused before its exit was seen replaces the old entry without leaking a count.
        table.add(pid: 7, source: "b", socket: 2)
        #expect(table.count == 1 && table.count(from: "a") == 0 && table.count(from: "b") == 1)
    }

    @Test func refusalReasons() {
        #expect(ConnectionTable.Refusal.tooManyConnections.reason == .tooManyConnections)
        #expect(ConnectionTable.Refusal.tooManyFromSource.reason == .tooManyFromSource)
        #expect(ConnectionTable.Refusal.spawnFailed.reason == .spawnFailed)
        #expect(ConnectionTable.Refusal.stopping.reason == .stopping)
    }
}

@Suite("Spawner refusal log")
struct RefusalLogTests {
    @Test func firstRefusalAtOnceThenAtMostOneSummaryASecond() {
        var log = RefusalLog(intervalMs: 1000)
        #expect(log.due(nowMs: 0).isEmpty)
        #expect(log.msUntilDue(nowMs: 0) == nil)
        log.record(.tooManyFromSource, source: "10.0.0.1")
        #expect(log.msUntilDue(nowMs: 5) == 0)
        let first = log.due(nowMs: 5)
        #expect(first.count == 1 && first[0].reason == "too_many_from_source" && first[0].count == 1 && first[0].source == "10.0.0.1")
        for i in 0..<500 { log.record(i % 2 == 0 ? .tooManyConnections : .tooManyFromSource, source: "10.0.0.\(i % 7)") }
        #expect(log.due(nowMs: 500).isEmpty)
        #expect(log.msUntilDue(nowMs: 500) == 505)
        let summary = log.due(nowMs: 1005)
        #expect(summary.map(\.reason) == ["too_many_connections", "too_many_from_source"])
        #expect(summary.map(\.count) == [250, 250])
        #expect(log.due(nowMs: 5000).isEmpty)
    }
}

@Suite("Socket activation (sd_listen_fds)")
struct SocketActivationTests {
    @Test func descriptorsPassedToThisProcess() {
        let passed = SocketActivation.passedDescriptors(
            environment: ["LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "docker-server.socket:other"], pid: 42)
        #expect(passed.map(\.fd) == [3, 4])
        #expect(passed.map(\.name) == ["docker-server.socket", "other"])
    }

    @Test(arguments: [
        ["LISTEN_PID": "41", "LISTEN_FDS": "1"],          // meant for another process (inherited)
        ["LISTEN_FDS": "1"],                              // no LISTEN_PID
        ["LISTEN_PID": "42", "LISTEN_FDS": "0"],
        ["LISTEN_PID": "42", "LISTEN_FDS": "-3"],
        ["LISTEN_PID": "42", "LISTEN_FDS": "x"],
        ["LISTEN_PID": "042x", "LISTEN_FDS": "1"],
        [:],
    ])
    func nothingPassed(environment: [String: String]) {
        #expect(SocketActivation.passedDescriptors(environment: environment, pid: 42).isEmpty)
    }

    @Test func namesMissingOrShortAndCountBounded() {
        let unnamed = SocketActivation.passedDescriptors(environment: ["LISTEN_PID": "7", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "a"], pid: 7)
        #expect(unnamed.map(\.name) == ["a", "", ""])
        let many = SocketActivation.passedDescriptors(environment: ["LISTEN_PID": "7", "LISTEN_FDS": "100000"], pid: 7)
        #expect(many.count == SocketActivation.maxDescriptors)
    }
}
