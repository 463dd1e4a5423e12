// Target `json_body`: a JSON request body (`RequestFields(body:contentType:)` with
// `application/json`, Sources/DockerServerCore/Policy/RequestFields.swift and
// JSON/JSONParser.swift), then the run and exec schemas (`FieldSchema`, `RunOptions`,
// `ExecOptions`).
// Asserts: refusals are 400s; the fields written out again as JSON decode to the same
// fields; where form data can say the same, it decodes to the same fields and gets the
// same answer from both schemas.
@testable import DockerServerCore

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBody(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let body = fuzzBytes(data, size)
    let fields: RequestFields
    do { fields = try RequestFields(body: body, contentType: "application/json; charset=utf-8") } catch {
        invariant(error.status == 400, "JSON body refused with status \(error.status)")
        return 0
    }
    let outcome = SchemaOutcome(fields)
    guard let json = jsonText(fields) else {
        invariant(false, "fields decoded from JSON cannot be written as JSON")
        return 0
    }
    let again = try? RequestFields(json: json)
    invariant(again?.values == fields.values && again?.nullFields == fields.nullFields, "JSON written out again decodes differently")
    if let form = formText(fields) {
        let fromForm: RequestFields
        do { fromForm = try RequestFields(form: form) } catch {
            invariant(false, "the same fields as form data are refused: \(error.message)")
            return 0
        }
        invariant(fromForm.values == fields.values, "the same fields as form data decode differently: \(form)")
        invariant(SchemaOutcome(fromForm) == outcome, "JSON and form data get different answers: \(form)")
    }
    return 0
}
