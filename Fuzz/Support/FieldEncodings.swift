// Writes `RequestFields` back out as form data or JSON, for the targets that check that both
// encodings of a body mean the same (docs/API.md "Request bodies", docs/FUZZING.md).
@testable import DockerServerCore

/// Every byte but the unreserved ones as `%HH`: form text that decodes to exactly `bytes`.
func formEscape(_ bytes: some Sequence<UInt8>) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for b in bytes {
        if ContainerReference.isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") {
            out.append(b)
        } else {
            out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The fields as form data, or nil when form data cannot say it (a JSON null, an empty list,
/// an empty map key, a name with a `[`, or an empty name for a map or list).
func formText(_ fields: RequestFields) -> String? {
    guard fields.nullFields.isEmpty else { return nil }
    var pairs: [String] = []
    for name in fields.values.keys.sorted() {
        guard !name.contains("[") else { return nil }
        switch fields.values[name]! {
        case .text(let s): pairs.append(formEscape(name.utf8) + "=" + formEscape(s.utf8))
        case .bytes(let b): pairs.append(formEscape(name.utf8) + "=" + formEscape(b))
        case .list(let items):
            guard !items.isEmpty, !name.isEmpty else { return nil }
            for item in items { pairs.append(formEscape((name + "[]").utf8) + "=" + formEscape(item.utf8)) }
        case .map(let entries):
            // An empty map (JSON `{}`) has no form encoding, as an empty list has none.
            guard !entries.isEmpty, !name.isEmpty else { return nil }
            for entry in entries {
                guard !entry.key.isEmpty else { return nil }
                pairs.append(formEscape((name + "[" + entry.key + "]").utf8) + "=" + formEscape(entry.value.utf8))
            }
        }
    }
    return pairs.joined(separator: "&")
}

/// The fields as a JSON object, or nil when JSON cannot say it (bytes that are not UTF-8).
func jsonText(_ fields: RequestFields) -> [UInt8]? {
    var members: [(String, JSON)] = []
    for name in fields.values.keys.sorted() {
        switch fields.values[name]! {
        case .text(let s): members.append((name, .string(s)))
        case .bytes: return nil
        case .list(let items): members.append((name, .array(items.map(JSON.string))))
        case .map(let entries): members.append((name, .object(entries.map { ($0.key, JSON.string($0.value)) })))
        }
    }
    for name in fields.nullFields.sorted() { members.append((name, .null)) }
    return JSON.object(members).serialized
}

/// What the run and exec endpoints make of a body: the options, or the error.
struct SchemaOutcome: Equatable {
    var run: Result<RunOptions, HTTPError>
    var exec: Result<ExecOptions, HTTPError>

    init(_ fields: RequestFields) {
        run = Result { () throws(HTTPError) in try RunOptions(fields: fields, defaultName: "fuzz-default") }
        exec = Result { () throws(HTTPError) in try ExecOptions(fields: fields) }
        for case .failure(let error) in [run.map { _ in () }, exec.map { _ in () }] {
            invariant(error.status == 400, "a body refused with status \(error.status): \(error.message)")
        }
    }
}
