// Target `argv`: `ArgvSplitter` (Sources/DockerServerCore/Policy/ArgvSplitter.swift, the
// POSIX shell's quoting rules without expansion, docs/API.md "Commands").
// Asserts: the words of any text, each single-quoted as a shell would quote it and joined
// by spaces, split back into the same words; a text with no quote, backslash or blank is
// one word; `argv(from:)` of a JSON array of strings is that array.
@testable import DockerServerCore

/// `word` in single quotes, each `'` in it written `'\\''`: by bytes, as the shell reads it.
func shellQuoted(_ word: String) -> String {
    var out: [UInt8] = [UInt8(ascii: "'")]
    for b in word.utf8 { out += b == UInt8(ascii: "'") ? Array("'\\''".utf8) : [b] }
    return String(decoding: out + [UInt8(ascii: "'")], as: UTF8.self)
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArgv(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    _ = try? ArgvSplitter.argv(from: text)
    guard let words = try? ArgvSplitter.split(text) else { return 0 }
    let quoted = words.map(shellQuoted).joined(separator: " ")
    let again = try? ArgvSplitter.split(quoted)
    invariant(again.map { $0.map { Array($0.utf8) } } == words.map { Array($0.utf8) }, "quoted words split differently: \(quoted)")
    if !text.isEmpty, !text.utf8.contains(where: { " \t\n'\"\\".utf8.contains($0) }) {
        invariant(words.map { Array($0.utf8) } == [Array(text.utf8)], "a plain word split into \(words)")
    }
    let array = JSON.array(words.map(JSON.string)).serialized
    let fromJSON = try? ArgvSplitter.argv(from: String(decoding: array, as: UTF8.self))
    invariant(fromJSON.map { $0.map { Array($0.utf8) } } == words.map { Array($0.utf8) }, "a JSON array of words is not taken as is")
    return 0
}
