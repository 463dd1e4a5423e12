// Target `authorization`: `Authenticator.check` and `Base64`
// (Sources/DockerServerCore/Policy/Authenticator.swift, Base64.swift; docs/API.md
// "Authentication", RFC 7617, RFC 6750, RFC 4648).
// Asserts: a field is accepted only if it carries the token (`Bearer TOKEN`, or Basic
// credentials whose decoded text is the token, `user:TOKEN` or `TOKEN:`); each documented
// form, built from the input, is accepted, and the same with another token is not; Base64
// decodes what it encodes.
@testable import DockerServerCore

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuthorization(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    invariant(Base64.decode(Base64.encode(bytes)) == bytes, "Base64 round trip")
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Base64.decode(text) {
        invariant(Base64.decode(Base64.encode(decoded)) == decoded, "Base64 round trip of decoded text")
        invariant(decoded.count <= text.utf8.count * 3 / 4 + 2, "decoded more bytes than the text can hold")
    }
    for token in ["test-token", "t:k", "T"] {
        let expected = Array(token.utf8)
        if Authenticator.check(authorization: text, token: token) == .accepted {
            // Spaces before the scheme separate nothing (the head parser trims them anyway).
            let text = String(text.drop { $0 == " " })
            let lower = text.lowercased()
            if lower.hasPrefix("bearer") {
                invariant(contains(Array(text.utf8), expected), "Bearer accepted without the token: \(text)")
            } else {
                invariant(lower.hasPrefix("basic"), "accepted another scheme: \(text)")
                let credentials = text.dropFirst(5).trimmingSpaces
                let decoded = Base64.decode(credentials) ?? []
                let afterColon = decoded.firstIndex(of: UInt8(ascii: ":")).map { Array(decoded[($0 + 1)...]) }
                invariant(decoded == expected || afterColon == expected || decoded == expected + [UInt8(ascii: ":")],
                          "Basic accepted without the token: \(text)")
            }
        }
    }
    var reader = FuzzReader(bytes)
    let token = String(decoding: reader.chunk(maxLength: 40).filter { (0x21...0x7E).contains($0) }, as: UTF8.self)
    let user = String(decoding: reader.chunk(maxLength: 20).filter { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }, as: UTF8.self)
    guard !token.isEmpty else { return 0 }
    let forms = ["Bearer \(token)", "bearer  \(token) ", "Basic \(Base64.encode(Array(token.utf8)))",
                 "Basic \(Base64.encode(Array("\(user):\(token)".utf8)))", "BASIC \(Base64.encode(Array("\(token):".utf8)))"]
    for form in forms {
        invariant(Authenticator.check(authorization: form, token: token) == .accepted, "refused \(form) for token \(token)")
        invariant(Authenticator.check(authorization: form, token: token + "x") == .rejected, "accepted \(form) for another token")
    }
    invariant(Authenticator.check(authorization: nil, token: token) == .missing, "no field")
    return 0
}
