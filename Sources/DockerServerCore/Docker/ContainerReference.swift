/// Container names and ids (docs/API.md "Names"): `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, the Docker
/// engine's own rule for names, which full and short hex ids match too; a leading `/` is
/// accepted and dropped, as the engine does (`GET /` lists names as `/name`).
public enum ContainerReference {
    /// Longest accepted name, in bytes (without a leading `/`).
    public static let maxLength = 255

    /// True when `s` is a valid container name or id (without a leading `/`).
    public static func isValid(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, b.count <= maxLength, isAlnum(first) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `s` without one leading `/`, if valid.
    /// - Parameters:
    ///   - what: what the text names, for the message.
    ///   - field: the request field it came from, if any, for the message.
    /// - Throws: `HTTPError` 400 naming the rule.
    public static func validate(_ s: String, what: String = "container name or id", field: String? = nil) throws(HTTPError) -> String {
        // By bytes: a combining mark after the slash must not hide it (or be dropped with it).
        let name = s.utf8.first == UInt8(ascii: "/") ? String(decoding: s.utf8.dropFirst(), as: UTF8.self) : s
        guard isValid(name) else {
            let shown = s.count > 64 ? String(s.prefix(64)) + "…" : s
            let source = field.map { "field \"\($0)\": " } ?? ""
            throw HTTPError.badRequest("\(source)invalid \(what) \"\(shown)\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most \(maxLength) characters, a leading / allowed)",
                                       reason: .badName)
        }
        return name
    }

    static func isAlnum(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }
}
