import Foundation
import Testing

/// Canned requests piped through the built binary (bozohttpd's tN.in/tN.out habit).
///
/// Each folder in `Tests/Fixtures/NNN-name/` holds `request.http` (raw bytes, CRLF kept) and
/// either `response.http` (the exact expected response; the `Date:` line is ignored) or
/// `expect` (lines `status: N`, `header: Name: value`, `has-header: Name`, `no-header: Name`, `body-contains: text`,
/// `body-is: text`, `exit: N`). An optional `args` file holds extra arguments, one a line; the
/// binary always gets `--token test-token`, a log file under a temporary folder and a fresh
/// `--folder`.
/// Fixtures named `*-engine` need the real engine from the README's test command.
struct FixtureTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DS_BINARY"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/docker-server")
    }

    static func fixtureNames() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()
    }

    @Test func fixturesExist() {
        #expect(Self.fixtureNames().count >= 20, "expected the canned request fixtures in \(Self.fixtures.path)")
    }

    @Test(arguments: fixtureNames())
    func fixture(_ name: String) throws {
        let folder = Self.fixtures.appendingPathComponent(name)
        let binary = Self.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path),
                     "the docker-server binary is missing at \(binary.path): run `swift build` first")
        let request = try Data(contentsOf: folder.appendingPathComponent("request.http"))
        // A fresh shared folder per fixture: rate-limit counters never carry over between them.
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("ds-fixture-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: shared) }
        var arguments = ["--token", "test-token", "--log_file", NSTemporaryDirectory() + "ds-fixtures-%DATE%.log", "--folder", shared.path]
        if let extra = try? String(contentsOf: folder.appendingPathComponent("args"), encoding: .utf8) {
            arguments += extra.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
        let (output, exitCode) = try Self.run(binary, arguments: arguments, input: request)
        let text = String(decoding: output, as: UTF8.self)
        let (head, body) = Self.split(text)

        if let expected = try? String(contentsOf: folder.appendingPathComponent("response.http"), encoding: .utf8) {
            #expect(Self.withoutDate(text) == Self.withoutDate(expected), "fixture \(name)")
            return
        }
        // Every JSON answer ends with a newline (docs/API.md "Endpoints"), chunked ones too.
        if head.contains(where: { $0.lowercased().hasPrefix("content-type: application/json") }), !body.isEmpty {
            let chunked = head.contains { $0.lowercased() == "transfer-encoding: chunked" }
            let content = chunked ? Self.dechunked(Array(body.utf8)) : Array(body.utf8)
            #expect(content.last == 0x0A, "fixture \(name): a JSON body without its final newline")
        }
        let expect = try String(contentsOf: folder.appendingPathComponent("expect"), encoding: .utf8)
        var expectedExit: Int32 = 0
        let lines = expect.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(!lines.isEmpty, "fixture \(name): its expect file says nothing")
        for line in lines {
            var parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts == ["body-is"], line.hasSuffix(":") { parts.append("") }  // an empty body
            guard parts.count == 2, !parts[1].isEmpty || parts[0] == "body-is" else {
                Issue.record("fixture \(name): malformed expect line \"\(line)\" (expected `directive: value`)")
                continue
            }
            switch parts[0] {
            case "status":
                #expect(head.first?.hasPrefix("HTTP/1.1 \(parts[1]) ") == true, "fixture \(name): status line \(head.first ?? "none")")
            case "header":
                #expect(head.contains { $0.lowercased() == parts[1].lowercased() }, "fixture \(name): missing \(parts[1]) in \(head)")
            case "has-header":
                #expect(head.contains { $0.lowercased().hasPrefix(parts[1].lowercased() + ":") }, "fixture \(name): missing \(parts[1])")
            case "no-header":
                #expect(!head.contains { $0.lowercased().hasPrefix(parts[1].lowercased() + ":") }, "fixture \(name): unexpected \(parts[1])")
            case "body-contains":
                #expect(body.contains(parts[1]), "fixture \(name): body \(body) lacks \(parts[1])")
            case "body-is":
                #expect(body == parts[1], "fixture \(name): body \(body)")
            case "body-line":
                #expect(body == parts[1] + "\n", "fixture \(name): body \(body)")
            case "exit":
                expectedExit = Int32(parts[1]) ?? -1
            default:
                Issue.record("fixture \(name): unknown directive \(parts[0])")
            }
        }
        #expect(exitCode == expectedExit, "fixture \(name): exit code")
        // Exactly one response, framed by its Content-Length (nothing else on stdout).
        if let length = head.first(where: { $0.lowercased().hasPrefix("content-length:") }) {
            let n = Int(length.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? -1
            let isHead = String(decoding: request.prefix(5), as: UTF8.self) == "HEAD "
            #expect(body.utf8.count == (isHead ? 0 : n), "fixture \(name): body length vs Content-Length")
        }
    }

    static func run(_ binary: URL, arguments: [String], input: Data) throws -> (Data, Int32) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment = environment.filter { !$0.key.hasPrefix("DS_") && $0.key != "JOURNAL_STREAM" }
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (output, process.terminationStatus)
    }

    static func split(_ text: String) -> (head: [String], body: String) {
        guard let range = text.range(of: "\r\n\r\n") else { return (text.components(separatedBy: "\r\n"), "") }
        return (text[..<range.lowerBound].components(separatedBy: "\r\n"), String(text[range.upperBound...]))
    }

    /// The content of a chunked body (RFC 9112 §7.1; sizes in hex, no extensions expected).
    static func dechunked(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while let lineEnd = body[i...].firstIndex(of: 0x0A), let size = Int(String(decoding: body[i..<lineEnd], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines), radix: 16), size > 0, lineEnd + 1 + size <= body.count {
            out += body[(lineEnd + 1)..<(lineEnd + 1 + size)]
            i = lineEnd + 1 + size + 2
            guard i < body.count else { break }
        }
        return out
    }

    static func withoutDate(_ text: String) -> String {
        text.components(separatedBy: "\r\n").filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
    }
}
