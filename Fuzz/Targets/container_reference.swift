// Target `container_reference`: `ContainerReference.validate`
// (Sources/DockerServerCore/Docker/ContainerReference.swift, docs/API.md "Names") and the
// routes that take a name (`RequestTarget`, `Router.route`).
// Asserts: an accepted name matches `[a-zA-Z0-9][a-zA-Z0-9_.-]*` and has at most 255 bytes;
// it is the input without one leading `/`; a path `/NAME` (percent-encoded or not) routes
// GET, POST and DELETE to exactly the validated name, and nothing else routes there.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContainerReference(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let name: String?
    do { name = try ContainerReference.validate(text) } catch {
        invariant(error.status == 400 && error.reason == .badName, "refused with \(error.status) \(error.reason)")
        name = nil
    }
    if let name {
        let b = Array(name.utf8)
        invariant(!b.isEmpty && b.count <= 255 && ContainerReference.isAlnum(b[0])
                  && b.allSatisfy { ContainerReference.isAlnum($0) || "_.-".utf8.contains($0) }, "accepted name \(name)")
        invariant(Array(text.utf8) == b || Array(text.utf8) == [UInt8(ascii: "/")] + b, "\(text) accepted as \(name)")
    }
    for target in ["/" + text, "/" + formEscape(text.utf8)] {
        guard let parsed = try? RequestTarget(target), parsed.path == "/" + text else { continue }
        for method in ["GET", "POST", "DELETE"] {
            let route = try? Router.route(method: method, path: parsed.path)
            switch route {
            case .logs(let routed)?, .exec(let routed)?, .remove(let routed)?:
                invariant(routed == name && ContainerReference.isValid(routed), "\(target) routed to \(routed)")
            case nil: invariant(name == nil, "\(target) refused though \(text) is valid")
            default: invariant(parsed.path == "/", "\(target) routed to \(String(describing: route))")
            }
        }
    }
    return 0
}
