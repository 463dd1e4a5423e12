/// Validation of container names and ids (SPEC §3: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, the Docker
/// engine's own rule for names; full or short hex ids match it too).
public enum ContainerReference {
    /// Longest accepted name, in bytes.
    public static let maxLength = 255

    /// True when `s` is a valid container name or id.
    public static func isValid(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, b.count <= maxLength, isAlnum(first) else { return false }
        return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Returns `s` if valid.
    /// - Throws: `HTTPError` 400 naming the rule.
    public static func validate(_ s: String, what: String = "container name or id") throws(HTTPError) -> String {
        guard isValid(s) else {
            throw HTTPError.badRequest("invalid \(what) \"\(s)\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most \(maxLength) characters)",
                                       reason: "bad_name")
        }
        return s
    }

    static func isAlnum(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }
}
