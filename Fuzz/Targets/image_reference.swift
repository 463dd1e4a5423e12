// Target `image_reference`: `ImageReference` (Sources/DockerServerCore/Docker/ImageReference.swift,
// the grammar of distribution/reference), what `HEAD /<image>` and `image=` pass to the engine.
// Asserts: an accepted reference is written exactly as given (`description`) and parses to
// itself; it holds only the grammar's ASCII characters (never a space, `?`, `#`, `%`, `&`,
// a control or non-ASCII character); its repository path is lowercase; a digest has at
// least 32 hex digits.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageReference(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let reference: ImageReference
    do { reference = try ImageReference(text) } catch {
        invariant(error.status == 400 && error.reason == .badImage, "refused with \(error.status) \(error.reason)")
        return 0
    }
    invariant(reference.description == text && Array(reference.description.utf8) == Array(text.utf8),
              "accepted \(text) as \(reference.description)")
    invariant((try? ImageReference(reference.description)) == reference, "\(text) does not parse to itself")
    invariant(text.utf8.allSatisfy { ContainerReference.isAlnum($0) || "._-:/@[]+".utf8.contains($0) },
              "accepted a character outside the grammar: \(text)")
    invariant(!reference.pullTag.isEmpty, "empty pull tag")
    if let digest = reference.digest {
        let parts = digest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        invariant(parts.count == 2 && parts[1].utf8.count >= 32 && parts[1].utf8.allSatisfy(PercentEncoding.isHexDigit), "bad digest \(digest)")
        // The algorithm: [a-z0-9]+ components joined by single + . _ - (distribution/reference).
        let components = parts[0].utf8.split(omittingEmptySubsequences: false) { "+._-".utf8.contains($0) }
        invariant(components.allSatisfy { !$0.isEmpty && $0.allSatisfy(ImageReference.isAlnumLower) }, "digest algorithm \(parts[0])")
    }
    if let tag = reference.tag { invariant(tag.utf8.count <= 128 && !tag.contains("/"), "bad tag \(tag)") }
    // The first component may be a registry host (any case); the path is lowercase.
    let components = reference.name.split(separator: "/", omittingEmptySubsequences: false)
    for component in components.dropFirst(components.count > 1 ? 1 : 0) {
        invariant(!component.isEmpty && component.utf8.allSatisfy { !(0x41...0x5A).contains($0) }, "repository path \(reference.name)")
    }
    return 0
}
