// Target `cluster_entry`: `ClusterEntry.parse` and `NodeURL`
// (Sources/DockerServerCore/Cluster/ClusterEntry.swift, docs/DESIGN.md "Cluster"), what
// every node reads from the shared store, written by anyone who can write there.
// Asserts: an accepted entry, stored again (`serialized`), parses to the same entry, with
// the same signed text; its load is 0–1000 and reads back from `loadText`; its host is a
// node URL that reads back from its `description`; its object name is one a listing keeps.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClusterEntry(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    if let url = try? NodeURL(String(decoding: bytes, as: UTF8.self)) {
        invariant((try? NodeURL(url.description)) == url, "node URL \(url.description) reads differently")
        invariant((1...65535).contains(url.port), "port \(url.port)")
    }
    guard let entry = try? ClusterEntry.parse(bytes) else { return 0 }
    invariant((0...1_000_000_000).contains(entry.loadMicros), "load \(entry.loadMicros)")
    invariant(ClusterEntry.parseMicros(entry.loadText) == entry.loadMicros, "load text \(entry.loadText)")
    invariant(entry.updatedMs > 0, "updated \(entry.updatedMs)")
    let again = try? ClusterEntry.parse(entry.serialized)
    invariant(again == entry, "stored again, the entry reads differently: \(String(decoding: entry.serialized, as: UTF8.self))")
    invariant(again?.signingInput == entry.signingInput, "the signed text changes")
    invariant(ClusterEntry.isObjectName(ClusterEntry.objectName(host: entry.host)), "object name \(ClusterEntry.objectName(host: entry.host))")
    let url = try? NodeURL(entry.host)
    invariant(url != nil, "host \(entry.host) is not a node URL")
    return 0
}
