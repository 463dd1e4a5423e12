// Target `volume_spec`: `VolumeBinding` (Sources/DockerServerCore/Docker/VolumeBinding.swift,
// `docker run -v`).
// Asserts: an accepted binding's engine form `source:target[:ro]` has exactly the colons
// that separate its parts (so the engine cannot read it another way), no `,` and no control
// character in the paths, an absolute container path, and parses back to the same binding.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVolumeSpec(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    var reader = FuzzReader(fuzzBytes(data, size))
    let key = reader.string(maxLength: 120)
    let value = String(decoding: reader.rest(), as: UTF8.self)
    let binding: VolumeBinding
    do { binding = try VolumeBinding(host: key, container: value) } catch {
        invariant(error.status == 400 && error.reason == .badVolume, "refused with \(error.status) \(error.reason)")
        return 0
    }
    // By bytes, as the engine reads it (a Character may hide a colon: "\u{6DD}:" is one).
    let parts = binding.bind.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
    invariant(parts.count == (binding.readOnly ? 3 : 2), "bind \(binding.bind) has extra colons")
    invariant(binding.target.hasPrefix("/"), "relative container path \(binding.target)")
    for path in [binding.source, binding.target] {
        invariant(path.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: ",") }, "control character or comma in \(path)")
    }
    let again = try? VolumeBinding(host: binding.source, container: binding.target + (binding.readOnly ? ":ro" : ""))
    invariant(again == binding, "\(binding.bind) parses differently")
    return 0
}
