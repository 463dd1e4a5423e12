/// The S3 store's credentials, region and endpoint, found where the AWS CLI and SDKs look
/// ("Configuration and credential file settings", AWS CLI User Guide), first match wins:
/// - keys: `AWS_ACCESS_KEY_ID` with `AWS_SECRET_ACCESS_KEY` (or the systemd credential
///   `aws_secret_access_key`) and `AWS_SESSION_TOKEN`; else the profile (`AWS_PROFILE`, else
///   `default`) in the shared credentials file, then in the shared config file
///   (`[profile NAME]`, and `[default]` for the default profile);
/// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region` (config file, then
///   credentials file), else `us-east-1`;
/// - endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else AWS.
/// Messages never contain the secret key or the session token.
public struct AWSSettings: Equatable, Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var region: String
    public var endpointURL: String?
    /// Where the keys came from, for messages ("environment", "profile default in …").
    public var source: String

    /// The variables read (the caller passes them in `environment`).
    public static let variableNames = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
                                       "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_CONFIG_FILE", "HOME"]

    /// A shared file as read: its path (for messages) and text, nil when it does not exist.
    public typealias SharedFile = (path: String, text: String?)

    /// - Parameters:
    ///   - credentialsFile: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    ///   - configFile: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    ///   - secretCredential: the systemd credential `aws_secret_access_key`, if any.
    /// - Throws: `ConfigError` when no usable keys are found, or they hold characters that
    ///   cannot be sent (line breaks in a session token).
    public static func resolve(environment: [String: String], credentialsFile: SharedFile, configFile: SharedFile,
                               secretCredential: String?) throws(ConfigError) -> AWSSettings {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let profile = variable("AWS_PROFILE") ?? "default"
        let credentialsSection = credentialsFile.text.flatMap { INIFile.sections($0)[profile] }
        // The config file names profiles `[profile NAME]`; the default one may be `[default]`.
        let configSections = configFile.text.map(INIFile.sections) ?? [:]
        let configSection = configSections["profile \(profile)"] ?? (profile == "default" ? configSections["default"] : nil)
        if variable("AWS_PROFILE") != nil, credentialsSection == nil, configSection == nil {
            throw ConfigError("AWS_PROFILE=\(profile): no such profile in \(credentialsFile.path) or \(configFile.path)")
        }
        let credentials = credentialsSection ?? [:], config = configSection ?? [:]

        var keys: (id: String, secret: String, token: String?, source: String)?
        if let id = variable("AWS_ACCESS_KEY_ID") {
            guard let secret = variable("AWS_SECRET_ACCESS_KEY") ?? secretCredential else {
                throw ConfigError("AWS_ACCESS_KEY_ID is set but not AWS_SECRET_ACCESS_KEY (nor a systemd credential aws_secret_access_key)")
            }
            keys = (id, secret, variable("AWS_SESSION_TOKEN"), "environment")
        } else {
            for (section, path) in [(credentials, credentialsFile.path), (config, configFile.path)] {
                guard let id = section["aws_access_key_id"], !id.isEmpty else { continue }
                guard let secret = section["aws_secret_access_key"], !secret.isEmpty else {
                    throw ConfigError("profile \(profile) in \(path) has aws_access_key_id but no aws_secret_access_key")
                }
                keys = (id, secret, section["aws_session_token"], "profile \(profile) in \(path)")
                break
            }
        }
        guard let keys else {
            throw ConfigError("no AWS credentials for --s3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the systemd credential aws_secret_access_key), or a profile in \(credentialsFile.path)")
        }
        // Sent in header fields: refused rather than let a line break or a separator through.
        guard !keys.id.isEmpty, keys.id.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ",") }) else {
            throw ConfigError("the AWS access key ID from \(keys.source) has characters an access key ID never has")
        }
        guard !keys.secret.isEmpty else { throw ConfigError("the AWS secret access key from \(keys.source) is empty") }
        if let token = keys.token, !token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            throw ConfigError("the AWS session token from \(keys.source) has spaces or control characters")
        }
        let region = variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") ?? config["region"] ?? credentials["region"] ?? "us-east-1"
        let endpoint = variable("AWS_ENDPOINT_URL_S3") ?? variable("AWS_ENDPOINT_URL") ?? config["endpoint_url"] ?? credentials["endpoint_url"]
        return AWSSettings(accessKeyID: keys.id, secretAccessKey: keys.secret, sessionToken: keys.token, region: region,
                           endpointURL: endpoint, source: keys.source)
    }
}

/// The INI dialect of the AWS shared files: `[section]` lines, `name = value` settings,
/// lines starting with `#` or `;` ignored; indented lines continue a nested setting (such as
/// `s3 =` followed by its own settings) and are skipped.
public enum INIFile {
    /// Settings by section name (the text between the brackets, trimmed), then by name.
    public static func sections(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        // LF, CR or CRLF: a file saved with CRLF line ends has "\r\n" Characters, neither
        // "\n" nor "\r" (the AWS CLI reads such files as it reads any other).
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            if raw.first == " " || raw.first == "\t" { continue }
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingSpaces
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let current, let eq = line.firstIndex(of: "=") else { continue }
            let name = line[..<eq].trimmingSpaces.lowercased()
            let value = line[line.index(after: eq)...].trimmingSpaces
            sections[current]?[name] = value
        }
        return sections
    }
}
