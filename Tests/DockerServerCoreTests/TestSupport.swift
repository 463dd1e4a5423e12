import Glibc
@testable import DockerServerCore

/// The whole file at `path`, nil when it cannot be opened.
func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[..<n]
    }
    return bytes
}

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Runs `body`; returns the `HTTPError` it threw, or nil when it returned normally.
func httpError(_ body: () throws -> Void) -> HTTPError? {
    do {
        try body()
        return nil
    } catch let error as HTTPError {
        return error
    } catch {
        return HTTPError(-1, "unexpected error type: \(error)", reason: .bug)
    }
}

/// The status of the `HTTPError` thrown by `body`, or nil when it did not throw.
func httpStatus(_ body: () throws -> Void) -> Int? {
    httpError(body)?.status
}

/// Parses a complete request head; fails the caller's expectation via a thrown error when
/// the parser asks for more bytes.
struct NeedMore: Error {}

func parseHead(_ text: String, maxHeaderBytes: Int = Limits.maxHeaderBytes) throws -> (HTTPRequestHead, Int) {
    switch try RequestHeadParser.parse(bytes(text), maxHeaderBytes: maxHeaderBytes) {
    case .needMore: throw NeedMore()
    case let .head(head, bodyOffset): return (head, bodyOffset)
    }
}

/// Parses a head and returns its body framing.
func framing(_ text: String) throws -> BodyFraming {
    try RequestHeadParser.framing(of: parseHead(text).0)
}

/// A string as its JSON serialisation, as text.
func serialized(_ value: JSON) -> String { String(decoding: value.serialized, as: UTF8.self) }
