// Target `aws_ini`: `INIFile.sections` and `AWSSettings.resolve`
// (Sources/DockerServerCore/S3/AWSSettings.swift, AWS CLI User Guide "Configuration and
// credential file settings"), the shared credentials and config files.
// Asserts: a file written from sections and settings taken from the input, with LF or CRLF
// line ends, comments and indented nested settings, reads back as exactly those sections and
// settings; whatever the files hold, a refusal's message never contains the secret key or
// the session token, and accepted keys hold no space or control character.
@testable import DockerServerCore

/// A name or value for the generated file: no line break, `[`, `]`, `=`, `#` or `;`, no
/// surrounding blanks (what the dialect cannot say), lowercase for setting names.
func iniWord(_ reader: inout FuzzReader, lowercase: Bool) -> String {
    let raw = reader.chunk(maxLength: 12).map { b -> UInt8 in
        let c = b & 0x7F
        if c < 0x21 || "[]=#;".utf8.contains(c) || c == 0x7F { return UInt8(ascii: "a") + b % 26 }
        return lowercase && (0x41...0x5A).contains(c) ? c + 0x20 : c
    }
    return raw.isEmpty ? "k" : String(decoding: raw, as: UTF8.self)
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAWSINI(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = INIFile.sections(text)
    let secret = "Sx7-secret-\(bytes.count)-Q"
    let token = "Tk9-token-\(bytes.count)-Z"
    let files: [(String, String?)] = [(text, nil), (text + "\naws_secret_access_key = \(secret)\naws_session_token = \(token)\n", nil)]
    for (credentials, _) in files {
        for environment in [[:], ["AWS_PROFILE": "p"], ["AWS_ACCESS_KEY_ID": "AKIA", "AWS_SESSION_TOKEN": token]] as [[String: String]] {
            do {
                let settings = try AWSSettings.resolve(environment: environment, credentialsFile: ("/c", credentials),
                                                       configFile: ("/f", text), secretCredential: secret)
                invariant(settings.accessKeyID.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "access key id")
                invariant(settings.sessionToken?.utf8.allSatisfy { (0x21...0x7E).contains($0) } ?? true, "session token")
            } catch {
                invariant(!error.message.contains(secret) && !error.message.contains(token), "a message shows a secret: \(error.message)")
            }
        }
    }

    var reader = FuzzReader(bytes)
    let lineEnd = reader.byte() & 1 == 1 ? "\r\n" : "\n"
    var expected: [String: [String: String]] = [:]
    var file = "# written by the fuzz target" + lineEnd
    for _ in 0..<Int(reader.byte() % 4) {
        let section = iniWord(&reader, lowercase: false)
        file += (reader.byte() & 1 == 1 ? "[ \(section) ]" : "[\(section)]") + lineEnd
        if expected[section] == nil { expected[section] = [:] }
        for _ in 0..<Int(reader.byte() % 4) {
            let name = iniWord(&reader, lowercase: true), value = iniWord(&reader, lowercase: false)
            file += (reader.byte() & 1 == 1 ? "\(name) = \(value)" : "\(name)=\(value)") + lineEnd
            expected[section]![name] = value
            if reader.byte() & 1 == 1 { file += "  nested = ignored" + lineEnd + "; comment" + lineEnd + lineEnd }
        }
    }
    let sections = INIFile.sections(file)
    invariant(sections == expected, "a file with \(lineEnd == "\n" ? "LF" : "CRLF") line ends read as \(sections), written from \(expected)")
    return 0
}
