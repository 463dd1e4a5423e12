import Glibc
@testable import DockerServerCore

/// An engine answer recorded in `Recordings/<version>/<name>.http` (see the README there).
func recording(_ version: String, _ name: String, filePath: String = #filePath) -> EngineResponse {
    let folder = filePath.split(separator: "/").dropLast().joined(separator: "/")
    let path = "/" + folder + "/Recordings/\(version)/\(name).http"
    guard let bytes = readFile(path) else { fatalError("missing recording \(path)") }
    // "STATUS\nField: value\n…\n\nBODY"
    guard let blank = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) else { fatalError("bad recording \(path)") }
    let head = String(decoding: bytes[..<blank], as: UTF8.self).split(separator: "\n")
    let contentType = head.dropFirst().first { $0.lowercased().hasPrefix("content-type:") }.map { String($0.dropFirst(13)).trimmingSpaces }
    return EngineResponse(status: Int(head[0])!, contentType: contentType, body: Array(bytes[(blank + 2)...]))
}

/// One step of a scripted engine conversation.
enum FakeStep {
    /// A whole answer.
    case answer(EngineResponse)
    /// A streamed answer: its status, the body in pieces, then either the end or an error
    /// thrown by the next read (`client_gone`, a timeout).
    case stream(status: Int, pieces: [[UInt8]], then: HTTPError?)
    /// The transport fails (engine unreachable, timeout).
    case failure(HTTPError)
}

/// `EngineTransport` playing recorded answers, per operation in order, and recording what
/// the handler asked (operation and path) and wrote.
final class FakeEngine: EngineTransport {
    var script: [EngineOperation: [FakeStep]]
    var calls: [(operation: EngineOperation, path: String)] = []
    var streams: [FakeStream] = []
    /// Called with each stream as it opens (to set how it behaves).
    var onOpen: ((FakeStream) -> Void)?

    init(_ script: [EngineOperation: [FakeStep]]) { self.script = script }

    func next(_ request: EngineRequest) -> FakeStep {
        calls.append((request.operation, request.path))
        guard var steps = script[request.operation], !steps.isEmpty else {
            return .failure(HTTPError(502, "unscripted \(request.operation.rawValue) \(request.path)", reason: .bug))
        }
        let step = steps.removeFirst()
        script[request.operation] = steps
        return step
    }

    func call(_ request: EngineRequest, timeoutSeconds: Int) throws(HTTPError) -> EngineResponse {
        switch next(request) {
        case .answer(let response): return response
        case .stream(let status, let pieces, let error):
            if let error { throw error }
            return EngineResponse(status: status, body: Array(pieces.joined()))
        case .failure(let error): throw error
        }
    }

    func open(_ request: EngineRequest, timeoutSeconds: Int, watchClient: Bool, bodyTimeoutSeconds: Int?) throws(HTTPError) -> any EngineStream {
        let stream: FakeStream
        switch next(request) {
        case .answer(let response): stream = FakeStream(status: response.status, pieces: [response.body], then: nil)
        case .stream(let status, let pieces, let error): stream = FakeStream(status: status, pieces: pieces, then: error)
        case .failure(let error): throw error
        }
        onOpen?(stream)
        streams.append(stream)
        return stream
    }

    /// The operations called, in order.
    var operations: [EngineOperation] { calls.map(\.operation) }
}

final class FakeStream: EngineStream {
    let status: Int
    var contentType: String? { nil }
    var pieces: [[UInt8]]
    let failure: HTTPError?
    var written: [UInt8] = []
    var closedWrite = false
    var closed = false

    init(status: Int, pieces: [[UInt8]], then failure: HTTPError?) {
        self.status = status
        self.pieces = pieces.filter { !$0.isEmpty }
        self.failure = failure
    }

    func read() throws(HTTPError) -> [UInt8]? {
        if !pieces.isEmpty { return pieces.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    func exchange(input: [UInt8], halfClose: Bool, output: ([UInt8]) -> Void) throws(HTTPError) {
        written += input
        closedWrite = halfClose
    }
    /// Quiet (no output within the wait) this many more times.
    var quietWaits = 0
    func awaitOutput(milliseconds: Int) -> Bool {
        guard quietWaits > 0 else { return true }
        quietWaits -= 1
        return false
    }
    func close() { closed = true }
}

/// Fixed time and names, no waiting.
final class FakeServices: HandlerServices {
    /// The monotonic clock, ms: moved on by `sleep` only, so polling loops end by their bounds.
    var clock: Int64 = 1_000_000
    func nowNanoseconds() -> Int { 1_800_000_000_000_000_000 }
    func uuid() -> String { "0b7e6d9c-1c5a-4f51-9a0e-2f6c3a1d4e5f" }
    func sleep(milliseconds: Int) { clock += Int64(milliseconds) }
    func monotonicMilliseconds() -> Int64 { clock }
}

/// Collects a streamed answer.
final class FakeResponseStream: ResponseStream {
    var status: Int?
    var body: [UInt8] = []
    var ended = false
    func begin(status: Int, headers: [(String, String)]) -> Bool { self.status = status; return true }
    func send(_ bytes: [UInt8]) -> Bool { body += bytes; return true }
    func end() { ended = true }
    var aborted: HTTPError?
    func abort(_ error: HTTPError) { aborted = error }
}

/// A multiplexed stream frame (Engine API "Stream format").
func frame(_ stream: UInt8, _ text: String) -> [UInt8] {
    let payload = Array(text.utf8)
    let n = payload.count
    return [stream, 0, 0, 0, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
}
