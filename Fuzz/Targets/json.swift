// Target `json`: `JSON.parse` (Sources/DockerServerCore/JSON/JSONParser.swift, RFC 8259).
// Asserts: a parsed value serialises to a text that parses back to the same value, and the
// serialisation is a fixed point (serialising again gives the same bytes).
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let value = try? JSON.parse(bytes) else { return 0 }
    let text = value.serialized
    guard let again = try? JSON.parse(text) else {
        invariant(false, "serialised JSON does not parse: \(String(decoding: text, as: UTF8.self))")
        return 0
    }
    invariant(again == value, "JSON round trip changed the value")
    invariant(again.serialized == text, "JSON serialisation is not a fixed point")
    return 0
}
