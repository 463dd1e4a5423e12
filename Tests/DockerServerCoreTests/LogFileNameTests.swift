import Testing
@testable import DockerServerCore

@Suite("LogFileName")
struct LogFileNameTests {
    @Test func pathReplacesEveryDate() {
        #expect(LogFileName.path(pattern: "/tmp/docker-server-%DATE%.log", hourStamp: "2026-11-29-12") == "/tmp/docker-server-2026-11-29-12.log")
        #expect(LogFileName.path(pattern: "/var/log/ds.log", hourStamp: "2026-11-29-12") == "/var/log/ds.log")
        #expect(LogFileName.path(pattern: "/l/%DATE%/x-%DATE%", hourStamp: "H") == "/l/H/x-H")
    }

    @Test(arguments: [
        ("docker-server-2026-11-29-12.log", true), ("docker-server-2026-11-29-12.log.1", true),
        ("docker-server-2026-11-29-12.log.17", true), ("docker-server-2026-11-29-12.log.", false),
        ("docker-server-2026-11-29-12.log.x", false), ("docker-server-2026-11-29.log", false),
        ("docker-server-2026-11-29-1a.log", false), ("other-2026-11-29-12.log", false),
        ("docker-server-2026-11-29-12.txt", false), ("docker-server-2026_11_29_12.log", false),
    ])
    func matchesOnlyFilesOfThePattern(file: String, expected: Bool) {
        #expect(LogFileName.matches(file, prefix: "docker-server-", suffix: ".log") == expected)
    }
}
