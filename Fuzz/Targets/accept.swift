// Target `accept`: `ContentNegotiation.choose` (Sources/DockerServerCore/HTTP/ContentNegotiation.swift,
// RFC 9110 §12.5.1), as the list and logs endpoints call it.
// Asserts: the choice is one of the offered types; nothing is refused unless the field
// named some well-formed range; the type chosen among several is also chosen when offered
// alone or with fewer others (a weight does not depend on what else is offered); every
// parsed range has a lowercase token type and subtype and a q from 0 to 1000.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccept(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let accept = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let ranges = ContentNegotiation.parse(accept)
    for range in ranges {
        invariant((0...1000).contains(range.q), "q \(range.q)")
        for part in [range.type, range.subtype] {
            invariant(!part.isEmpty && part.utf8.allSatisfy { RequestHeadParser.isTokenByte($0) && !(0x41...0x5A).contains($0) }, "range \(part)")
        }
    }
    let offers = [["application/json", "text/plain"], ["text/plain", "application/json"], ["application/json", "text/plain", "text/html"]]
    for offered in offers {
        let chosen = ContentNegotiation.choose(offered, accept: accept)
        if let chosen {
            invariant(offered.contains(chosen), "chose \(chosen), not offered")
            for other in offered where other != chosen {
                let fewer = offered.filter { $0 != other }
                invariant(ContentNegotiation.choose(fewer, accept: accept) == chosen, "without \(other) the choice changes")
            }
        } else {
            invariant(!ranges.isEmpty, "refused everything without a well-formed range")
            for type in offered { invariant(ContentNegotiation.choose([type], accept: accept) == nil, "\(type) alone is acceptable") }
        }
    }
    invariant(ContentNegotiation.choose(["application/json"], accept: nil) == "application/json", "no Accept field")
    return 0
}
