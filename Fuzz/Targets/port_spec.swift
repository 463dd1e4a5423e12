// Target `port_spec`: `PortBinding` (Sources/DockerServerCore/Docker/PortBinding.swift,
// `docker run -p`), with its address checks `isIPv4` and `isIPv6` (RFC 4291 §2.2).
// Asserts: `isIPv4` and `isIPv6` agree with the C library's `inet_pton`; an accepted mapping
// has ports 1–65535, a known protocol and an address or none; written out again it parses
// to the same mapping.
@testable import DockerServerCore
import Glibc

func cAccepts(_ family: Int32, _ text: String) -> Bool {
    var buffer = [UInt8](repeating: 0, count: 16)
    return text.withCString { inet_pton(family, $0, &buffer) } == 1
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPortSpec(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    var reader = FuzzReader(fuzzBytes(data, size))
    let key = reader.string(maxLength: 80)
    let value = reader.string(maxLength: 40)
    for text in [key, value, String(key.drop { $0 == "[" }.prefix { $0 != "]" })] where !text.utf8.contains(0) {
        invariant(PortBinding.isIPv4(text) == cAccepts(AF_INET, text), "isIPv4(\(text)) is \(PortBinding.isIPv4(text)), inet_pton differs")
        invariant(PortBinding.isIPv6(text) == cAccepts(AF_INET6, text), "isIPv6(\(text)) is \(PortBinding.isIPv6(text)), inet_pton differs")
    }
    let binding: PortBinding
    do { binding = try PortBinding(host: key, container: value) } catch {
        invariant(error.status == 400 && error.reason == .badPort, "refused with \(error.status) \(error.reason)")
        return 0
    }
    invariant((1...65535).contains(binding.hostPort) && (1...65535).contains(binding.containerPort), "ports \(binding)")
    invariant(["tcp", "udp", "sctp"].contains(binding.proto), "protocol \(binding.proto)")
    invariant(binding.hostIP.isEmpty || PortBinding.isIPv4(binding.hostIP) || PortBinding.isIPv6(binding.hostIP), "address \(binding.hostIP)")
    let address = binding.hostIP.isEmpty ? "" : binding.hostIP.contains(":") ? "[\(binding.hostIP)]:" : "\(binding.hostIP):"
    let again = try? PortBinding(host: "\(address)\(binding.hostPort)/\(binding.proto)", container: String(binding.containerPort))
    invariant(again == binding, "\(key) -> \(value) written out again parses differently")
    return 0
}
