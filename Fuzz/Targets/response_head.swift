// Target `response_head`: `ResponseHeadParser.parse` and `HTTPResponseHead.framing`
// (Sources/DockerServerCore/HTTP/ResponseHeadParser.swift, RFC 9112 §4, §6.3), what reads
// the engine's, the nodes' and S3's answers.
// Asserts: failures are 502s; an accepted head's status is three digits (RFC 9112 §4
// `status-code = 3DIGIT`); `bodyOffset` lies in the input and after the head's empty
// line; every shorter prefix asks for more bytes; a `Content-Length` framing is not negative.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponseHead(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let buffer = fuzzBytes(data, size)
    let parsed: (HTTPResponseHead, bodyOffset: Int)?
    do { parsed = try ResponseHeadParser.parse(buffer, maxBytes: 4096) } catch {
        invariant(error.status == 502, "failed with status \(error.status)")
        return 0
    }
    guard let (head, bodyOffset) = parsed else { return 0 }
    invariant((0...999).contains(head.status), "status \(head.status) is not three digits")
    invariant(bodyOffset >= 2 && bodyOffset <= buffer.count && buffer[bodyOffset - 1] == 0x0A, "bodyOffset \(bodyOffset)")
    for cut in cutPoints(bodyOffset, seed: seed(of: buffer)) {
        let incomplete: Bool
        do { incomplete = try ResponseHeadParser.parse(Array(buffer[..<cut]), maxBytes: 4096) == nil } catch { incomplete = false }
        invariant(incomplete, "the first \(cut) bytes of an accepted head were not incomplete")
    }
    if case .length(let n) = head.framing { invariant(n >= 0, "negative length \(n)") }
    return 0
}
