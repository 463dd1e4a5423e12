// Target `chunked`: `ChunkedDecoder` (Sources/DockerServerCore/HTTP/ChunkedDecoder.swift,
// RFC 9112 §7.1), for request bodies and engine streams.
// Asserts: the input fed in pieces gives the same bytes, end and failure as fed whole;
// `consumed` never exceeds the input; the body never exceeds `maxBodyBytes`; and a body
// encoded as chunks (sizes, extensions and a trailer taken from the input) decodes back
// to itself, taking exactly the encoding's bytes.
@testable import DockerServerCore

func decodeAll(_ pieces: [ArraySlice<UInt8>], maxBodyBytes: Int?) -> (body: [UInt8], done: Bool, consumed: Int, failure: ChunkedDecoder.Failure?) {
    var decoder = ChunkedDecoder(maxBodyBytes: maxBodyBytes)
    var body: [UInt8] = []
    for piece in pieces {
        do { body += try decoder.feed(piece) } catch { return (body, decoder.isDone, decoder.consumed, error) }
    }
    return (body, decoder.isDone, decoder.consumed, nil)
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunked(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    for maxBody in [nil, 64] as [Int?] {
        let whole = decodeAll([input[...]], maxBodyBytes: maxBody)
        invariant(whole.consumed <= input.count, "consumed \(whole.consumed) of \(input.count) bytes")
        if let maxBody { invariant(whole.body.count <= maxBody, "body of \(whole.body.count) bytes past \(maxBody)") }
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for cut in cutPoints(input.count, seed: seed(of: input), count: 6) {
            pieces.append(input[start..<cut])
            start = cut
        }
        pieces.append(input[start...])
        let parts = decodeAll(pieces, maxBodyBytes: maxBody)
        invariant(parts.done == whole.done && parts.consumed == whole.consumed && parts.failure == whole.failure,
                  "in pieces: done \(parts.done) consumed \(parts.consumed) \(String(describing: parts.failure)); whole: done \(whole.done) consumed \(whole.consumed) \(String(describing: whole.failure))")
        // Data bytes already handed out before a failure may differ only in how far they got.
        if whole.failure == nil { invariant(parts.body == whole.body, "in pieces the body differs") }
    }

    // A body encoded by the grammar decodes back to itself.
    var reader = FuzzReader(input)
    let body = reader.chunk(maxLength: 200)
    var encoded: [UInt8] = []
    var offset = 0
    while offset < body.count {
        let length = min(body.count - offset, Int(reader.byte() % 17) + 1)
        encoded += Array(String(length, radix: 16, uppercase: reader.byte() & 1 == 1).utf8)
        if reader.byte() & 1 == 1 { encoded += Array(" ;ext=\"q\\\"v\"; x".utf8) }
        encoded += [13, 10] + body[offset..<(offset + length)] + [13, 10]
        offset += length
    }
    encoded += Array("000\r\n".utf8)
    if reader.byte() & 1 == 1 { encoded += Array("Trailer-Field: value\r\n".utf8) }
    encoded += [13, 10]
    let decoded = try? ChunkedDecoder.decode(encoded + Array("GET / HTTP/1.1\r\n".utf8), maxBodyBytes: 4096)
    invariant(decoded == .complete(body: body, consumed: encoded.count), "a chunked encoding did not decode to its body")
    return 0
}
