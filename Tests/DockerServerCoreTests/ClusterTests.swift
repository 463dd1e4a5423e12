import Testing
@testable import DockerServerCore

/// A stand-in for HMAC in pure tests: the "signature" is a checksum of the input under a key.
/// The real HMAC-SHA256 (libcrypto) is exercised end to end (Tests/e2e/cluster.sh).
private func fakeSign(_ input: [UInt8], key: String = "k") -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in Array(key.utf8) + [0] + input { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 64 - hex.count) + hex
}
private func fakeVerify(_ input: [UInt8], _ signature: String) -> Bool { fakeSign(input) == signature }

private func signed(_ host: String, load: Int, updated: Int64, key: String = "k") -> (name: String, bytes: [UInt8]) {
    var entry = ClusterEntry(host: host, loadMicros: load, updatedMs: updated)
    entry.signature = fakeSign(entry.signingInput, key: key)
    return (ClusterEntry.objectName(host: host), entry.serialized)
}

@Suite("Cluster entries, membership, placement, forwarding, merging")
struct ClusterTests {
    static let now: Int64 = 1_800_000_000_000

    @Test func entryRoundTripAndName() throws {
        var entry = ClusterEntry(host: "http://192.0.2.7:1717", loadMicros: 125_000, updatedMs: Self.now)
        entry.signature = fakeSign(entry.signingInput)
        let text = String(decoding: entry.serialized, as: UTF8.self)
        #expect(text.hasPrefix(#"{"host":"http://192.0.2.7:1717","load":0.125000,"updated":1800000000000,"signature":""#))
        #expect(try ClusterEntry.parse(entry.serialized) == entry)
        #expect(ClusterEntry.objectName(host: "http://192.0.2.7:1717") == "ds-19200000200701717.json")
        #expect(ClusterEntry.isObjectName("ds-19200000200701717.json"))
        // Names never collide: IPv4 digits padded, host names and IPv6 hashed.
        let hosts = ["http://10.0.0.1:11717", "http://10.0.0.11:1717", "http://alpha.example:1717", "http://beta.example:1717",
                     "http://[2001:db8::a]:1717", "http://[2001:db8::b]:1717", "https://10.0.0.1:11717/"]
        let names = hosts.map(ClusterEntry.objectName(host:))
        #expect(Set(names).count == 6 && names[0] == names[6] && names.allSatisfy(ClusterEntry.isObjectName))
        #expect(!ClusterEntry.isObjectName("ds-.json") && !ClusterEntry.isObjectName("ds-12a.json") && !ClusterEntry.isObjectName(".ds-1.json.9.tmp"))
    }

    @Test(arguments: [("0", 0), ("1", 1_000_000), ("0.5", 500_000), ("0.125000", 125_000), ("0.0000005", 1), ("2.25", 2_250_000)])
    func loadDecimals(text: String, micros: Int) {
        #expect(ClusterEntry.parseMicros(text) == micros)
    }

    @Test(arguments: ["", "-1", "1e3", ".5", "5.", "0x1", "1001", "abc", "0.5.5"])
    func badLoads(text: String) {
        #expect(ClusterEntry.parseMicros(text) == nil)
    }

    @Test(arguments: [#"{"host":"ftp://1.2.3.4:1","load":0,"updated":1}"#, #"{"host":"http://1.2.3.4","load":0,"updated":1}"#,
                      #"{"host":"http://1.2.3.4:1/x","load":0,"updated":1}"#, #"{"host":"http://a b:1","load":0,"updated":1}"#,
                      #"{"host":"http://1.2.3.4:1","load":"0","updated":1}"#, #"{"host":"http://1.2.3.4:1","load":0}"#, "[]", "{"])
    func malformedEntries(text: String) {
        #expect(throws: ClusterEntryError.self) { try ClusterEntry.parse(bytes(text)) }
    }

    @Test func nodeURLs() throws {
        #expect(try NodeURL("http://127.0.0.1:1717/").description == "http://127.0.0.1:1717")
        #expect(try NodeURL("https://[::1]:443").host == "::1")
        #expect(try NodeURL("https://node-1.example:8443").https)
        #expect(throws: ClusterEntryError.self) { try NodeURL("http://[zz]:1") }
        #expect(throws: ClusterEntryError.self) { try NodeURL("http://1.2.3.4:0") }
        #expect(throws: ClusterEntryError.self) { try NodeURL("http://user@1.2.3.4:1") }
    }

    /// Unsigned, badly signed (a real entry with its host changed), future-dated, stale and
    /// malformed entries never count; live ones come least loaded first.
    @Test func membership() {
        let good1 = signed("http://127.0.0.1:1717", load: 500_000, updated: Self.now - 1000)
        let good2 = signed("http://127.0.0.2:1717", load: 100_000, updated: Self.now)
        let stale = signed("http://127.0.0.3:1717", load: 0, updated: Self.now - 3 * 30_000 - 1)
        let future = signed("http://127.0.0.4:1717", load: 0, updated: Self.now + ClusterPolicy.clockSkewMs + 1)
        let otherKey = signed("http://127.0.0.5:1717", load: 0, updated: Self.now, key: "attacker")
        var moved = try! ClusterEntry.parse(signed("http://127.0.0.6:1717", load: 0, updated: Self.now).bytes)
        moved.host = "http://203.0.113.9:80"
        let unsigned = ClusterEntry(host: "http://127.0.0.7:1717", loadMicros: 0, updatedMs: Self.now)
        let objects: [(name: String, bytes: [UInt8])] = [
            good1, good2, stale, future, otherKey, ("ds-6.json", moved.serialized), ("ds-7.json", unsigned.serialized), ("ds-8.json", bytes("{")),
        ]
        let result = ClusterPolicy.membership(objects, nowMs: Self.now, refreshRateMs: 30_000, verify: fakeVerify)
        #expect(result.live.map(\.host) == ["http://127.0.0.2:1717", "http://127.0.0.1:1717"])
        #expect(result.rejected.map { "\($0.name):\($0.why.rawValue)" } == [
            "\(stale.name):stale", "\(future.name):future_dated", "\(otherKey.name):bad_signature",
            "ds-6.json:bad_signature", "ds-7.json:unsigned", "ds-8.json:malformed",
        ])
    }

    @Test func placementPrefersLeastLoadedThenSelf() {
        let a = ClusterEntry(host: "http://127.0.0.1:1", loadMicros: 300, updatedMs: 1)
        let b = ClusterEntry(host: "http://127.0.0.2:1", loadMicros: 100, updatedMs: 1)
        let c = ClusterEntry(host: "http://127.0.0.3:1", loadMicros: 100, updatedMs: 1)
        #expect(ClusterPolicy.placement([a, b, c], selfHost: "http://127.0.0.3:1").map(\.host) == [c.host, b.host, a.host])
        #expect(ClusterPolicy.placement([a, b, c], selfHost: "http://127.0.0.1:1").map(\.host) == [b.host, c.host, a.host])
    }

    @Test func loadFromProc() throws {
        let earlier = try #require(ProcStat.cpu("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n"))
        #expect(earlier == ProcStat.CPU(busy: 200, total: 1000))
        let later = ProcStat.CPU(busy: 700, total: 2000)
        let memory = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    750 kB\n"
        #expect(ProcStat.memoryUsedFraction(memory) == 0.25)
        // CPU 50 % busy over the interval × 25 % of memory used.
        #expect(ClusterPolicy.measuredLoadMicros(cpu: earlier, later, memory: memory) == 125_000)
        #expect(ClusterPolicy.measuredLoadMicros(cpu: earlier, later, memory: "MemTotal: 1 kB") == nil)
    }

    @Test func forwardingField() throws {
        var header = ForwardingHeader(timeMs: Self.now, client: "198.51.100.4", bodySHA256: String(repeating: "a", count: 64))
        header.signature = fakeSign(header.signingInput(method: "PUT", target: "/"))
        let parsed = try #require(ForwardingHeader.parse(header.value))
        #expect(parsed == header)
        #expect(parsed.isValid(method: "PUT", target: "/", nowMs: Self.now + 59_000, verify: fakeVerify))
        #expect(!parsed.isValid(method: "PUT", target: "/", nowMs: Self.now + 61_000, verify: fakeVerify))
        #expect(!parsed.isValid(method: "DELETE", target: "/", nowMs: Self.now, verify: fakeVerify))
        #expect(!parsed.isValid(method: "PUT", target: "/?x", nowMs: Self.now, verify: fakeVerify))
        #expect(ForwardingHeader.parse("v1; t=1; client=evil host; body=\(String(repeating: "a", count: 64)); sig=\(String(repeating: "b", count: 64))") == nil)
        for client in ["local", "fe80::1%eth0", "2001:db8::7"] {
            #expect(ForwardingHeader.parse(ForwardingHeader(timeMs: 1, client: client, bodySHA256: String(repeating: "a", count: 64),
                                                            signature: String(repeating: "b", count: 64)).value)?.client == client)
        }
        #expect(ForwardingHeader.windowMs > ClusterPolicy.clockSkewMs)
        #expect(ForwardingHeader.parse("v2; t=1") == nil)
        #expect(ForwardingHeader.parse("v1; t=1; client=1.2.3.4; body=ab; sig=cd") == nil)
    }

    @Test func hostAddedToObjects() {
        #expect(String(decoding: ClusterMerge.withHost(bytes(#"{"id":"x"}"#), host: "http://h:1"), as: UTF8.self) == #"{"host":"http://h:1","id":"x"}"#)
        #expect(String(decoding: ClusterMerge.withHost(bytes(" {}"), host: "h"), as: UTF8.self) == #" {"host":"h"}"#)
        #expect(String(decoding: ClusterMerge.withHost(bytes("[1]"), host: "h"), as: UTF8.self) == "[1]")
    }

    @Test func listMergeNamesNodesThatDidNotAnswer() throws {
        let answers = [
            NodeAnswer(host: "http://a:1", outcome: .answered(status: 200, fields: [], body: bytes(#"[{"Id":"1"},{"Id":"2","host":"spoof"}]"#))),
            NodeAnswer(host: "http://b:1", outcome: .answered(status: 200, fields: [], body: bytes("[]"))),
            NodeAnswer(host: "http://c:1", outcome: .failed(HTTPError(504, "did not answer within 70 s", reason: .engineTimeout))),
        ]
        let (response, unanswered) = ClusterMerge.list(answers)
        #expect(response.status == 200)
        #expect(String(decoding: response.bodyParts.flatMap { $0 }, as: UTF8.self) == #"[{"host":"http://a:1","Id":"1"},{"host":"http://a:1","Id":"2"}]\#n"#)
        #expect(response.headers.contains { $0.0 == ClusterMerge.unansweredField && $0.1 == "http://c:1" })
        #expect(unanswered.map(\.host) == ["http://c:1"])
        // Nodes found down are named too.
        let withDown = ClusterMerge.list(answers, down: ["http://d:1"]).response
        #expect(withDown.headers.contains { $0.0 == ClusterMerge.unansweredField && $0.1 == "http://c:1, http://d:1" })
        // Nobody answered: the first failure.
        #expect(ClusterMerge.list([answers[2]]).response.status == 504)
    }

    @Test func containerMerge() {
        let notHere = NodeAnswer.Outcome.answered(status: 404, fields: [], body: bytes(#"{"code":404,"error":"no such container: x"}"#))
        let here = NodeAnswer.Outcome.answered(status: 200, fields: [("Content-Type", "application/json"), ("Date", "x")], body: bytes(#"{"id":"x"}"#))
        let one = ClusterMerge.byContainer([NodeAnswer(host: "http://a:1", outcome: notHere), NodeAnswer(host: "http://b:1", outcome: here)])
        #expect(one.status == 200 && String(decoding: one.bodyParts.flatMap { $0 }, as: UTF8.self) == #"{"host":"http://b:1","id":"x"}"#)
        #expect(!one.headers.contains { $0.0 == "Date" })
        let two = ClusterMerge.byContainer([NodeAnswer(host: "http://a:1", outcome: here), NodeAnswer(host: "http://b:1", outcome: here)])
        #expect(String(decoding: two.bodyParts.flatMap { $0 }, as: UTF8.self) == #"[{"host":"http://a:1","id":"x"},{"host":"http://b:1","id":"x"}]\#n"#)
        #expect(ClusterMerge.byContainer([NodeAnswer(host: "http://a:1", outcome: notHere)]).status == 404)
        let failed = ClusterMerge.byContainer([NodeAnswer(host: "http://a:1", outcome: notHere),
                                               NodeAnswer(host: "http://b:1", outcome: .failed(HTTPError(504, "slow", reason: .engineTimeout)))])
        #expect(failed.status == 504)
    }

    @Test func pullMerge() {
        let ok = NodeAnswer(host: "http://a:1", outcome: .answered(status: 200, fields: [], body: []))
        let missing = NodeAnswer(host: "http://b:1", outcome: .answered(status: 404, fields: [("X-Error", "image not found")], body: []))
        #expect(ClusterMerge.pull([ok, ok], image: "busybox:1").status == 200)
        let failed = ClusterMerge.pull([ok, missing], image: "busybox:1")
        #expect(failed.status == 404)
        #expect(failed.headers.contains { $0.0 == "X-Error" && $0.1 == "node http://b:1: image not found" })
    }
}
