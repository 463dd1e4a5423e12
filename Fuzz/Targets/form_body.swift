// Target `form_body`: form data with bracket maps (`RequestFields(body:contentType:)`,
// Sources/DockerServerCore/Policy/RequestFields.swift), then the run and exec schemas
// (`FieldSchema`, `RunOptions`, `ExecOptions`).
// Asserts: refusals are 400s; the fields written out again as form data decode to the same
// fields; the same fields as a JSON body decode to the same fields and get the same answer
// from both schemas (one schema whatever the encoding); a field or map key given twice is
// refused as a duplicate; every `&`-separated part is one field or item (split by bytes).
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFormBody(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let body = fuzzBytes(data, size)
    let fields: RequestFields
    do { fields = try RequestFields(body: body, contentType: nil) } catch {
        invariant(error.status == 400, "form body refused with status \(error.status)")
        return 0
    }
    // Every `&`-separated part is one field or one map or list item: splitting is by bytes.
    let text = body.filter { $0 != 0x0D && $0 != 0x0A }.trimmingWhitespace()
    let parts = text.split(separator: UInt8(ascii: "&")).count
    let items = fields.values.values.reduce(0) { count, value in
        switch value {
        case .text, .bytes: return count + 1
        case .list(let items): return count + items.count
        case .map(let entries): return count + entries.count
        }
    }
    invariant(items == parts || body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }),
              "\(parts) parts of form data gave \(items) fields and items")
    let outcome = SchemaOutcome(fields)
    guard let form = formText(fields) else {
        invariant(false, "fields decoded from form data cannot be written as form data")
        return 0
    }
    let again = try? RequestFields(form: form)
    invariant(again?.values == fields.values, "form data written out again decodes differently: \(form)")
    if let json = jsonText(fields) {
        let fromJSON: RequestFields
        do { fromJSON = try RequestFields(json: json) } catch {
            invariant(false, "the same fields as JSON are refused: \(error.message)")
            return 0
        }
        invariant(fromJSON.values == fields.values, "the same fields as JSON decode differently")
        invariant(SchemaOutcome(fromJSON) == outcome, "form data and JSON get different answers")
    }
    // Any field, or map key, given twice more is a duplicate.
    if let (name, value) = fields.values.first {
        let repeated: String
        switch value {
        case .map(let entries): repeated = formEscape((name + "[" + entries[0].key + "]").utf8) + "=x"
        case .list: repeated = formEscape(name.utf8) + "=x"
        case .text, .bytes: repeated = formEscape(name.utf8) + "=x"
        }
        do {
            _ = try RequestFields(form: form + "&" + repeated)
            invariant(false, "a repeated field was accepted: \(repeated)")
        } catch {
            invariant(error.reason == .duplicateField, "a repeated field was refused as \(error.reason)")
        }
    }
    return 0
}
