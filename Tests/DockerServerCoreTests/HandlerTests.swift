import Testing
@testable import DockerServerCore

/// The handlers through the `EngineTransport` seam, with engine answers recorded from API
/// 1.41 (dockerd 20.10) and written from the current reference (1.56): every path where the
/// engine's answer decides what the client gets, or what must be cleaned up.
@Suite("Handler through the engine seam")
struct HandlerTests {
    static let versions = ["1.41", "1.56"]

    /// Runs `method target` with `body` (form data) against `engine`.
    static func handle(_ engine: FakeEngine, _ method: String, _ target: String, _ body: String = "",
                       stream: FakeResponseStream = FakeResponseStream()) throws(HTTPError) -> HTTPResponse? {
        let head = HTTPRequestHead(method: method, target: target, minorVersion: 1, fields: [HTTPField("Host", "x")])
        let requestTarget = try RequestTarget(target)
        let route = try Router.route(method: method, path: requestTarget.path)
        return try Handler(engine: engine, services: FakeServices(), engineTimeoutSeconds: 5)
            .handle(route, request: HTTPRequest(head: head, body: Array(body.utf8)), target: requestTarget, stream: stream)
    }

    static func json(_ response: HTTPResponse?) -> JSON? { response.flatMap { try? JSON.parse($0.body) } }

    static func id(_ version: String, _ name: String = "create-201") -> String {
        recording(version, name).json!["Id"]!.stringValue!
    }

    // MARK: run

    @Test(arguments: versions)
    func attachedRun(version: String) throws {
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-201"))],
            .containerAttach: [.stream(status: 101, pieces: [frame(1, "out\n"), frame(2, "err\n")], then: nil)],
            .containerWait: [.answer(recording(version, "wait-200"))],
            .containerStart: [.answer(EngineResponse(status: 204, body: []))],
        ])
        let response = try Self.handle(engine, "PUT", "/", "image=busybox&name=web&data=sh")
        #expect(response?.status == 200)
        #expect(Self.json(response)?["exitCode"] == .int(3))
        #expect(Self.json(response)?["stdout"] == .string("out\n"))
        #expect(Self.json(response)?["stderr"] == .string("err\n"))
        // Attach and wait before start, so output of a container that exits at once is whole.
        #expect(engine.operations == [.containerCreate, .containerAttach, .containerWait, .containerStart])
    }

    /// A container whose start fails is removed: nothing is left half-created.
    @Test(arguments: versions)
    func startFailureRemovesTheContainer(version: String) {
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-201-second"))],
            .containerAttach: [.stream(status: 101, pieces: [], then: nil)],
            .containerWait: [.stream(status: 200, pieces: [], then: nil)],
            .containerStart: [.answer(recording(version, "start-500-port-allocated"))],
            .containerDelete: [.answer(EngineResponse(status: 204, body: []))],
        ])
        let error = httpError { _ = try Self.handle(engine, "PUT", "/", "image=busybox&name=rec-b&ports[18765]=80") }
        #expect(error?.status == 409)
        #expect(error?.reason == .portInUse)
        #expect(engine.operations.last == .containerDelete)
        #expect(engine.calls.last?.path.hasPrefix("/containers/\(Self.id(version, "create-201-second"))?force=1") == true)
    }

    @Test(arguments: versions)
    func detachedStartFailureRemovesTheContainer(version: String) {
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-201"))],
            .containerStart: [.answer(recording(version, "engine-500"))],
            .containerDelete: [.answer(EngineResponse(status: 204, body: []))],
        ])
        let error = httpError { _ = try Self.handle(engine, "PUT", "/", "image=busybox&detach=1") }
        #expect(error?.status == 502)
        #expect(engine.operations == [.containerCreate, .containerStart, .containerDelete])
    }

    /// A client that hangs up during an attached run gets its container killed.
    @Test(arguments: versions)
    func clientHangUpDuringAnAttachedRunKillsTheContainer(version: String) {
        let gone = HTTPError(499, "the client closed the connection", reason: .clientGone)
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-201"))],
            .containerAttach: [.stream(status: 101, pieces: [frame(1, "tick\n")], then: gone)],
            .containerWait: [.stream(status: 200, pieces: [], then: nil)],
            .containerStart: [.answer(EngineResponse(status: 204, body: []))],
            .containerKill: [.answer(EngineResponse(status: 204, body: []))],
        ])
        let error = httpError { _ = try Self.handle(engine, "PUT", "/", "image=busybox&remove=1&data=sleep+600") }
        #expect(error?.reason == .clientGone)
        #expect(error?.message.contains("its container was killed (and removed)") == true)
        #expect(engine.operations.last == .containerKill)
        #expect(engine.calls.last?.path == "/containers/\(Self.id(version))/kill")
    }

    @Test(arguments: versions)
    func nameConflictIs409(version: String) {
        let engine = FakeEngine([.containerCreate: [.answer(recording(version, "create-409-name-in-use"))]])
        let error = httpError { _ = try Self.handle(engine, "PUT", "/", "image=busybox&name=rec-a") }
        #expect(error?.status == 409)
        #expect(error?.reason == .nameInUse)
        #expect(error?.message.contains("is already in use") == true)
    }

    /// A missing image is pulled first; one the registry does not have either is a 404.
    @Test(arguments: versions)
    func missingImageIsPulledThen404(version: String) {
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-404-no-such-image"))],
            .imageCreate: [.answer(recording(version, "pull-404-manifest-unknown"))],
        ])
        let error = httpError { _ = try Self.handle(engine, "PUT", "/", "image=127.0.0.1:5000/ds-test/no-such-image:1") }
        #expect(error?.status == 404)
        #expect(error?.reason == .imageNotFound)
        #expect(engine.operations == [.containerCreate, .imageCreate])
    }

    @Test(arguments: versions)
    func missingImageIsPulledThenCreated(version: String) throws {
        let engine = FakeEngine([
            .containerCreate: [.answer(recording(version, "create-404-no-such-image")), .answer(recording(version, "create-201"))],
            .imageCreate: [.answer(recording(version, "pull-200-progress"))],
            .containerStart: [.answer(EngineResponse(status: 204, body: []))],
        ])
        let response = try Self.handle(engine, "PUT", "/", "image=127.0.0.1:5000/ds-test/busybox:1&detach=1")
        #expect(response?.status == 201)
        #expect(engine.operations == [.containerCreate, .imageCreate, .containerCreate, .containerStart])
    }

    // MARK: pull

    /// Errors inside a 200 progress stream: `errorDetail` (the only field from API 1.49 on)
    /// or `error`; a missing image is 404, any other failure 502.
    @Test(arguments: versions)
    func pullErrorsInsideA200Stream(version: String) {
        let failed = FakeEngine([.imageCreate: [.answer(recording(version, "pull-200-error-in-stream"))]])
        let error = httpError { _ = try Self.handle(failed, "HEAD", "/127.0.0.1:5000/ds-test/busybox:1") }
        #expect(error?.status == 502)
        #expect(error?.reason == .pullFailed)
        #expect(error?.message.contains("failed to register layer") == true)
        let missing = FakeEngine([.imageCreate: [.answer(recording(version, "pull-200-missing-in-stream"))]])
        #expect(httpError { _ = try Self.handle(missing, "HEAD", "/127.0.0.1:5000/ds-test/busybox:2") }?.status == 404)
    }

    @Test(arguments: versions)
    func pullOutcomes(version: String) throws {
        let ok = FakeEngine([.imageCreate: [.answer(recording(version, "pull-200-progress"))]])
        #expect(try Self.handle(ok, "HEAD", "/127.0.0.1:5000/ds-test/busybox:1")?.status == 200)
        let unreachable = FakeEngine([.imageCreate: [.answer(recording(version, "pull-500-registry-unreachable"))]])
        #expect(httpError { _ = try Self.handle(unreachable, "HEAD", "/127.0.0.1:1/x:1") }?.status == 502)
    }

    // MARK: exec

    /// The exec's real exit code, asked again while the engine still reports it running.
    @Test(arguments: versions)
    func execWaitsForTheExitCode(version: String) throws {
        let engine = FakeEngine([
            .containerExec: [.answer(recording(version, "exec-create-201"))],
            .execStart: [.stream(status: 101, pieces: [frame(1, "done\n")], then: nil)],
            .execInspect: [.answer(recording(version, "exec-inspect-running")), .answer(recording(version, "exec-inspect-running")),
                           .answer(recording(version, "exec-inspect-exited"))],
        ])
        let response = try Self.handle(engine, "POST", "/web", "data=sh+-c+'exit+3'")
        #expect(Self.json(response)?["exitCode"] == .int(3))
        #expect(Self.json(response)?["stdout"] == .string("done\n"))
        #expect(engine.operations.filter { $0 == .execInspect }.count == 3)
    }

    /// A client that hangs up during an exec ends the request; stdin (when attached) was closed.
    @Test(arguments: versions)
    func clientHangUpDuringAnExec(version: String) {
        let gone = HTTPError(499, "the client closed the connection", reason: .clientGone)
        let engine = FakeEngine([
            .containerExec: [.answer(recording(version, "exec-create-201"))],
            .execStart: [.stream(status: 101, pieces: [frame(1, "partial")], then: gone)],
        ])
        let error = httpError { _ = try Self.handle(engine, "POST", "/web", "data=cat&interactive=1") }
        #expect(error?.reason == .clientGone)
        #expect(engine.streams.first?.closedWrite == true)
        #expect(engine.operations == [.containerExec, .execStart])
    }

    @Test(arguments: versions)
    func execInputAndEndOfFile(version: String) throws {
        for (form, written, halfClosed) in [("data=cat&input=hi", "hi", true), ("data=cat&tty=1&input=hi", "hi\n\u{4}", false),
                                           ("data=cat&tty=1&input=hi%0A", "hi\n\u{4}", false), ("data=cat&tty=1", "\u{4}", false),
                                           ("data=cat&tty=1&interactive=1", "\u{4}", false), ("data=cat&interactive=1", "", true)] {
            let engine = FakeEngine([
                .containerExec: [.answer(recording(version, "exec-create-201"))],
                .execStart: [.stream(status: 101, pieces: [], then: nil)],
                .execInspect: [.answer(recording(version, "exec-inspect-exited"))],
            ])
            _ = try Self.handle(engine, "POST", "/web", form)
            #expect(engine.streams.first?.written == Array(written.utf8), "\(form)")
            #expect(engine.streams.first?.closedWrite == halfClosed, "\(form)")
        }
    }

    /// A terminal can drop the first Ctrl-D (a shell switching to line editing): while the
    /// command is quiet, Ctrl-D follows again, a bounded number of times; without a terminal,
    /// or without input, never.
    @Test(arguments: versions)
    func ttyEndOfFileIsRepeatedWhileQuiet(version: String) throws {
        for (form, quiet, written) in [("data=sh&tty=1&input=echo+x", 2, "echo x\n\u{4}\u{4}\u{4}"),
                                       ("data=sh&tty=1&input=echo+x", 50, "echo x\n" + String(repeating: "\u{4}", count: 1 + Limits.ttyEndOfFileRepeats)),
                                       ("data=sh&input=echo+x", 5, "echo x"), ("data=sh&tty=1", 5, String(repeating: "\u{4}", count: 6))] {
            let engine = FakeEngine([
                .containerExec: [.answer(recording(version, "exec-create-201"))],
                .execStart: [.stream(status: 101, pieces: [Array("x".utf8)], then: nil)],
                .execInspect: [.answer(recording(version, "exec-inspect-exited"))],
            ])
            engine.onOpen = { $0.quietWaits = quiet }
            let response = try Self.handle(engine, "POST", "/web", form)
            #expect(engine.streams.first?.written == Array(written.utf8), "\(form) quiet \(quiet)")
            #expect(response?.headers.contains { $0 == ("X-Exit-Code", "3") } == true, "the exit code (3) in a field too")
        }
    }

    @Test(arguments: versions)
    func execInAMissingOrStoppedContainer(version: String) {
        let missing = FakeEngine([.containerExec: [.answer(recording(version, "exec-create-404"))]])
        #expect(httpError { _ = try Self.handle(missing, "POST", "/rec-nope", "data=true") }?.status == 404)
        let stopped = FakeEngine([.containerExec: [.answer(recording(version, "exec-create-409-not-running"))]])
        let error = httpError { _ = try Self.handle(stopped, "POST", "/rec-stopped", "data=true") }
        #expect(error?.status == 409)
        #expect(error?.message.lowercased().contains("is not running") == true)
    }

    // MARK: logs, rm, list

    @Test(arguments: versions)
    func missingContainer(version: String) {
        let logs = FakeEngine([.containerInspect: [.answer(recording(version, "inspect-404"))]])
        #expect(httpError { _ = try Self.handle(logs, "GET", "/rec-nope") }?.status == 404)
        let rm = FakeEngine([.containerDelete: [.answer(recording(version, "delete-404"))]])
        #expect(httpError { _ = try Self.handle(rm, "DELETE", "/rec-nope") }?.status == 404)
    }

    /// A removal already in progress is waited for, then reported done.
    @Test(arguments: versions)
    func deleteWaitsForARemovalInProgress(version: String) throws {
        let engine = FakeEngine([
            .containerDelete: [.answer(recording(version, "delete-409-removal-in-progress"))],
            .containerInspect: [.answer(EngineResponse(status: 200, body: Array("{}".utf8))), .answer(recording(version, "inspect-404"))],
        ])
        let response = try Self.handle(engine, "DELETE", "/web")
        #expect(response?.status == 200)
        #expect(engine.operations == [.containerDelete, .containerInspect, .containerInspect])
        // Volumes are kept unless asked for.
        #expect(engine.calls.first?.path == "/containers/web?force=1")
    }

    @Test(arguments: versions)
    func engine500Is502(version: String) {
        let list = FakeEngine([.containerList: [.answer(recording(version, "engine-500"))]])
        let error = httpError { _ = try Self.handle(list, "GET", "/") }
        #expect(error?.status == 502)
        #expect(error?.message == "listing containers: the Docker engine answered 500: Something went wrong.")
        let logs = FakeEngine([.containerInspect: [.answer(recording(version, "engine-500"))]])
        #expect(httpError { _ = try Self.handle(logs, "GET", "/web") }?.status == 502)
    }

    @Test(arguments: versions)
    func listIsStreamedAsItIs(version: String) throws {
        let stream = FakeResponseStream()
        let engine = FakeEngine([.containerList: [.stream(status: 200, pieces: [Array("[{\"Id\":".utf8), Array("\"x\"}]".utf8)], then: nil)]])
        #expect(try Self.handle(engine, "GET", "/", stream: stream) == nil)
        #expect(stream.status == 200 && stream.ended)
        // The engine's encoder ends its JSON with a newline; one is added when missing.
        #expect(String(decoding: stream.body, as: UTF8.self) == "[{\"Id\":\"x\"}]\n")
    }

    /// An engine failing after the head was sent: the answer is aborted (no last chunk), not
    /// ended as if it were whole. For the list and for text logs alike.
    @Test(arguments: versions)
    func engineFailureMidStreamAborts(version: String) throws {
        let cut = HTTPError(502, "the Docker engine closed the connection mid-answer", reason: .engineProtocol)
        let list = FakeEngine([.containerList: [.stream(status: 200, pieces: [Array("[{\"Id\":".utf8)], then: cut)]])
        let listed = FakeResponseStream()
        #expect(try Self.handle(list, "GET", "/", stream: listed) == nil)
        #expect(listed.status == 200 && !listed.ended && listed.aborted?.reason == .engineProtocol)
        let logs = FakeEngine([
            .containerInspect: [.answer(EngineResponse(status: 200, body: Array(#"{"Id":"\#(Self.id(version))","Config":{"Tty":false}}"#.utf8)))],
            .containerLogs: [.stream(status: 200, pieces: [frame(1, "one\n")], then: cut)],
        ])
        let text = FakeResponseStream()
        #expect(try Self.handle(logs, "GET", "/web?format=text", stream: text) == nil)
        #expect(String(decoding: text.body, as: UTF8.self) == "one\n" && !text.ended && text.aborted?.reason == .engineProtocol)
    }

    /// The engine unreachable or too slow: the transport's error is the client's.
    @Test func transportFailuresPassThrough() {
        let engine = FakeEngine([.containerList: [.failure(HTTPError(504, "the Docker engine at x did not answer within 5 s", reason: .engineTimeout))]])
        #expect(httpError { _ = try Self.handle(engine, "GET", "/") }?.status == 504)
    }
}
