/// Names of the log files made from `--log_file` (docs/DESIGN.md "Logging"): `%DATE%` stands for the UTC hour
/// `YYYY-MM-DD-HH`; a file that reached `--log_max_size` is continued in `NAME.1`, `NAME.2`, ….
public enum LogFileName {
    /// The pattern with every `%DATE%` replaced by `hourStamp`.
    public static func path(pattern: String, hourStamp: String) -> String {
        let parts = pattern.splitting(on: "%DATE%")
        var path = String(parts[0])
        for part in parts.dropFirst() { path += hourStamp + part }
        return path
    }

    /// True when `file` is a log file of the pattern whose file-name part is
    /// `prefix %DATE% suffix`: `PREFIX YYYY-MM-DD-HH SUFFIX`, optionally followed by `.N`.
    public static func matches(_ file: String, prefix: String, suffix: String) -> Bool {
        guard file.hasPrefix(prefix) else { return false }
        var rest = Substring(file.dropFirst(prefix.count))
        let stamp = rest.prefix(13)
        guard stamp.count == 13, stamp.enumerated().allSatisfy({ i, c in [4, 7, 10].contains(i) ? c == "-" : c.isASCII && c.isNumber }) else {
            return false
        }
        rest = rest.dropFirst(13)
        guard rest.hasPrefix(suffix) else { return false }
        let tail = rest.dropFirst(suffix.count)
        return tail.isEmpty || (tail.first == "." && tail.count > 1 && tail.dropFirst().allSatisfy { $0.isASCII && $0.isNumber })
    }
}
