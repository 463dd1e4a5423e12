import DockerServerCore

/// Finds the API token (docs/API.md "Authentication"): `--token`/`DS_TOKEN`, else the first line of
/// `--token_file`/`DS_TOKEN_FILE`, else the systemd credential `$CREDENTIALS_DIRECTORY/token`.
public enum TokenSource {
    /// The original DockerServer's insecure default, refused like no token at all.
    public static let insecureDefault = "xxxxxx"

    /// The token, or nil with the reason when none usable is configured.
    public static func resolve(config: Config, environment: [String: String]) -> (token: String?, problem: String?) {
        if let token = config.token {
            return check(token, from: "--token/DS_TOKEN")
        }
        if let path = config.tokenFile {
            guard let bytes = Syscalls.readFile(path) else { return (nil, "token file \(path) cannot be read") }
            return check(firstLine(bytes), from: path)
        }
        if let folder = environment["CREDENTIALS_DIRECTORY"], !folder.isEmpty,
           let bytes = Syscalls.readFile(folder + "/token") {
            return check(firstLine(bytes), from: "systemd credential token")
        }
        return (nil, "no API token configured (set --token, DS_TOKEN, --token_file or a systemd credential named token)")
    }

    static func firstLine(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0x0A && $0 != 0x0D }.trimmingWhitespace(), as: UTF8.self)
    }

    static func check(_ token: String, from source: String) -> (token: String?, problem: String?) {
        if token.isEmpty { return (nil, "the token from \(source) is empty") }
        if token == insecureDefault { return (nil, "the token from \(source) is the insecure default xxxxxx; set a real one") }
        return (token, nil)
    }
}
