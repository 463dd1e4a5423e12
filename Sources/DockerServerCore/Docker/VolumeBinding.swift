/// One bind mount from the `volumes` map of a run request: host path (or named volume) →
/// container path, optionally read-only (`docker run -v HOST:CONTAINER[:ro]`).
public struct VolumeBinding: Equatable, Sendable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    /// The engine's `HostConfig.Binds` entry, `source:target[:ro]`.
    public var bind: String { "\(source):\(target)" + (readOnly ? ":ro" : "") }

    /// Parses one map entry: key an absolute host path or a volume name
    /// (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`), value an absolute container path with an optional
    /// `:ro` or `:rw` suffix.
    /// - Throws: `HTTPError` 400 naming the entry.
    public init(host key: String, container value: String) throws(HTTPError) {
        func invalid(_ why: String) -> HTTPError {
            HTTPError.badRequest("invalid volume \"\(key)\" -> \"\(value)\": \(why)", reason: .badVolume)
        }
        var target = Substring(value)
        var readOnly = false
        if target.hasSuffix(":ro") { readOnly = true; target = target.dropLast(3) }
        else if target.hasSuffix(":rw") { target = target.dropLast(3) }
        guard VolumeBinding.isAbsolutePath(key) || (key.utf8.count > 1 && ContainerReference.isValid(key)) else {
            throw invalid("host side must be an absolute path or a volume name")
        }
        guard VolumeBinding.isAbsolutePath(String(target)) else {
            throw invalid("container side must be an absolute path, optionally followed by :ro or :rw")
        }
        source = key
        self.target = String(target)
        self.readOnly = readOnly
    }

    /// `/…` without `:`, `,` or control characters, at most 4096 bytes.
    static func isAbsolutePath(_ s: String) -> Bool {
        s.hasPrefix("/") && s.utf8.count <= 4096
            && s.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ",") }
    }
}
