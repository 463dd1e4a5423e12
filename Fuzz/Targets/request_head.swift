// Target `request_head`: `RequestHeadParser.parse` and what the connection does next with a
// head (Sources/DockerServerCore/HTTP/RequestHeadParser.swift, RFC 9112 §2–§6): `framing`,
// `expectsContinue`, `RequestTarget`, `Router.route`.
// Asserts: only the documented statuses; an accepted head ends with CRLF CRLF at
// `bodyOffset`, and every shorter prefix of it asks for more bytes (a head arriving in
// parts is read as a whole one); the head written out again parses to the same head; field
// values hold no CR, LF or NUL; a path starts with `/` and holds no control character; a
// route's container name and image reference are valid.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestHead(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let buffer = fuzzBytes(data, size)
    let outcome: RequestHeadParser.Outcome
    do { outcome = try RequestHeadParser.parse(buffer, maxHeaderBytes: Limits.maxHeaderBytes) } catch {
        invariant([400, 414, 431, 505].contains(error.status), "parse failed with status \(error.status)")
        return 0
    }
    guard case let .head(head, bodyOffset) = outcome else { return 0 }
    invariant(bodyOffset >= 4 && bodyOffset <= buffer.count && Array(buffer[(bodyOffset - 4)..<bodyOffset]) == [13, 10, 13, 10],
              "bodyOffset \(bodyOffset) does not follow CRLF CRLF")
    for cut in cutPoints(bodyOffset, seed: seed(of: buffer)) {
        let part: RequestHeadParser.Outcome? = try? RequestHeadParser.parse(Array(buffer[..<cut]), maxHeaderBytes: Limits.maxHeaderBytes)
        invariant(part == .needMore, "the first \(cut) bytes of an accepted head gave \(String(describing: part))")
    }
    invariant(head.method.utf8.allSatisfy(RequestHeadParser.isTokenByte) && !head.method.isEmpty, "method is not a token")
    invariant(head.minorVersion == 0 || head.minorVersion == 1, "minor version \(head.minorVersion)")
    for field in head.fields {
        invariant(!field.name.isEmpty && field.name.utf8.allSatisfy(RequestHeadParser.isTokenByte), "field name is not a token")
        invariant(!field.value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }, "CR, LF or NUL in a field value")
    }
    // Written out again, the head parses to itself.
    var text = "\(head.method) \(head.target) HTTP/1.\(head.minorVersion)\r\n"
    for field in head.fields { text += "\(field.name): \(field.value)\r\n" }
    text += "\r\n"
    // Room for the values' growth: each byte that is not UTF-8 (obs-text) became U+FFFD, three bytes.
    let again = try? RequestHeadParser.parse(Array(text.utf8), maxHeaderBytes: text.utf8.count)
    invariant(again == .head(head, bodyOffset: text.utf8.count), "the head written out again parses differently")

    do {
        let framing = try RequestHeadParser.framing(of: head)
        if case .length(let n) = framing { invariant(n > 0, "Content-Length framing of \(n) bytes") }
    } catch {
        invariant([400, 501].contains(error.status), "framing failed with status \(error.status)")
    }
    do { _ = try RequestHeadParser.expectsContinue(head) } catch {
        invariant(error.status == 417, "expectsContinue failed with status \(error.status)")
    }
    guard let target = try? RequestTarget(head.target) else { return 0 }
    invariant(target.path.utf8.first == UInt8(ascii: "/"), "path \(target.path) does not start with /")
    invariant(target.path.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }, "control character in the path")
    invariant(target.origin.utf8.first == UInt8(ascii: "/"), "origin \(target.origin) does not start with /")
    do {
        switch try Router.route(method: head.method, path: target.path) {
        case .list, .run: invariant(target.path == "/", "root route for \(target.path)")
        case .pull(let image):
            invariant((try? ImageReference(image.description)) == image, "image reference \(image.description) does not parse to itself")
        case .logs(let name), .exec(let name), .remove(let name):
            invariant(ContainerReference.isValid(name), "routed to an invalid container name \(name)")
        }
    } catch {
        invariant([400, 405].contains(error.status), "route failed with status \(error.status)")
    }
    return 0
}
