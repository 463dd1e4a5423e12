// Target `s3_xml`: `S3XML.listing` and `S3XML.error` (Sources/DockerServerCore/S3/S3XML.swift,
// Amazon S3 API Reference: ListObjectsV2, Error responses), what the S3 store reads from
// the bucket's answers.
// Asserts: any bytes give a listing, an error or a `StoreError`, within the per-input time
// limit (the reading is linear); a listing written as S3 writes it, with keys, a
// continuation token and an error message taken from the input and escaped as XML escapes
// them, reads back with exactly those keys, that token and that message.
@testable import DockerServerCore

func xmlEscaped(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "\r": out += "&#13;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzS3XML(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    _ = try? S3XML.listing(bytes)
    _ = S3XML.error(bytes)

    var reader = FuzzReader(bytes)
    var keys: [String] = []
    let count = Int(reader.byte() % 5)
    for _ in 0..<count { keys.append(reader.string(maxLength: 40)) }
    let token = reader.string(maxLength: 40)
    let truncated = !token.isEmpty
    var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    xml += "<Name>bucket</Name><Prefix></Prefix><KeyCount>\(count)</KeyCount><MaxKeys>1000</MaxKeys>"
    xml += "<IsTruncated>\(truncated)</IsTruncated>"
    for key in keys {
        xml += "<Contents><Key>\(xmlEscaped(key))</Key><LastModified>2026-11-29T15:30:01.000Z</LastModified>"
        xml += "<ETag>&quot;0123&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
    }
    if truncated { xml += "<NextContinuationToken>\(xmlEscaped(token))</NextContinuationToken>" }
    xml += "</ListBucketResult>"
    do {
        let listing = try S3XML.listing(Array(xml.utf8))
        invariant(listing.keys.map { Array($0.utf8) } == keys.map { Array($0.utf8) }, "keys \(keys) read as \(listing.keys)")
        invariant(listing.truncated == truncated, "IsTruncated read as \(listing.truncated)")
        invariant(!truncated || listing.nextToken.map { Array($0.utf8) } == Array(token.utf8), "token \(token) read as \(String(describing: listing.nextToken))")
    } catch {
        invariant(false, "a listing was refused: \(error.message)")
    }
    let message = reader.string(maxLength: 80)
    let errorXML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>\(xmlEscaped(message))</Message><RequestId>1</RequestId></Error>"
    let parsed = S3XML.error(Array(errorXML.utf8))
    invariant(parsed?.code == "NoSuchKey" && parsed.map { Array($0.message.utf8) } == Array(message.utf8), "error message \(message) read as \(String(describing: parsed))")
    return 0
}
