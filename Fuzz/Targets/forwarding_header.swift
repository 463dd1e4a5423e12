// Target `forwarding_header`: `ForwardingHeader.parse`
// (Sources/DockerServerCore/Cluster/ForwardingHeader.swift, docs/API.md "Cluster"), the
// `X-Docker-Server-Forwarded` field any client can send.
// Asserts: a parsed field written out again (`value`) parses to the same field; the client
// address has only address characters (no separator, space, CR or LF that would change a log
// line or the signed text); hashes are 64 lowercase hex digits; a field built from the input
// parses to itself.
@testable import DockerServerCore

func isLowerHex64(_ s: String) -> Bool {
    s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForwardingHeader(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let field = ForwardingHeader.parse(String(decoding: bytes, as: UTF8.self)) {
        invariant(ForwardingHeader.parse(field.value) == field, "\(field.value) reads differently")
        invariant(!field.client.isEmpty && field.client.utf8.allSatisfy(ForwardingHeader.isClientByte), "client \(field.client)")
        invariant(isLowerHex64(field.bodySHA256) && isLowerHex64(field.signature), "hashes")
        let signed = field.signingInput(method: "GET", target: "/")
        invariant(signed.filter { $0 == 0x0A }.count == 5, "the signed text has extra lines")
    }
    var reader = FuzzReader(bytes)
    let hex = Array("0123456789abcdef".utf8)
    let hash = String(decoding: (0..<64).map { _ in hex[Int(reader.byte() & 15)] }, as: UTF8.self)
    let client = String(decoding: reader.chunk(maxLength: 64).map { ForwardingHeader.isClientByte($0) ? $0 : UInt8(ascii: "1") }, as: UTF8.self)
    let time = Int64(truncatingIfNeeded: UInt64(reader.byte()) << 40 | UInt64(reader.byte()) << 8 | UInt64(reader.byte()))
        * (reader.byte() & 1 == 1 ? -1 : 1)
    if !client.isEmpty {
        let built = ForwardingHeader(timeMs: time, client: client, bodySHA256: hash, signature: String(hash.reversed()))
        invariant(ForwardingHeader.parse(built.value) == built, "a field built as \(built.value) reads differently")
    }
    return 0
}
