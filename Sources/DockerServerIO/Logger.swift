import Glibc
import DockerServerCore

/// Writes one-line `key=value` log records (SPEC §9). Under systemd (`JOURNAL_STREAM` set)
/// to stderr with an sd-daemon `<N>` priority prefix; otherwise appended to the file named by
/// `--log_file` (`%DATE%` = UTC `YYYY-MM-DD-HH`) with one `write(2)` per line, so concurrent
/// processes never interleave inside a line. A file that reached `--log_max_size` MB is
/// continued in `PATH.1`, `PATH.2`, …; whenever a process starts a new file it deletes the
/// pattern's files older than `--log_expiry` days. Never to stderr otherwise: under inetd
/// stderr is the client's socket. A log that cannot be written never fails the request.
public final class Logger {
    let level: LogLevel
    let journal: Bool
    let filePattern: String
    let maxFileBytes: Int
    let expirySeconds: Int
    var fd: Int32 = -1

    public init(config: Config, environment: [String: String]) {
        level = config.logLevel
        journal = environment["JOURNAL_STREAM"].map(Logger.isStderr) ?? false
        filePattern = config.logFile
        maxFileBytes = config.logMaxSizeMB * 1_048_576
        expirySeconds = config.logExpiryDays * 86_400
    }

    /// True when `JOURNAL_STREAM` (`DEVICE:INODE`) names our stderr, as systemd.exec(5) asks
    /// programs to check: the variable is inherited by children whose stderr is something
    /// else (xinetd started by systemd passes it on, with stderr the client's socket).
    static func isStderr(_ stream: String) -> Bool {
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        return fstat(2, &st) == 0 && UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    /// sd-daemon(3) priority of a level.
    static func priority(_ level: LogLevel) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .warn: return 4
        case .error: return 3
        case .fatal: return 2
        }
    }

    /// True when log lines go to stderr (the journal), not to a file.
    public var writesToStderr: Bool { journal }

    /// True when lines at `level` are written (to skip work for lines that would be dropped).
    public func enabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Logs `reason` with `fields` at `level` (dropped below the configured level). Values
    /// with spaces, quotes or `=` are quoted; control characters are escaped.
    public func log(_ level: LogLevel, _ reason: String, _ fields: [(String, String)] = []) {
        guard level >= self.level else { return }
        var line = journal ? "<\(Logger.priority(level))>" : "time=\(Logger.timestamp()) "
        line += "level=\(level.name) reason=\(reason)"
        for (key, value) in fields { line += " \(key)=\(Logger.quote(value))" }
        line += "\n"
        let bytes = Array(line.utf8)
        if journal {
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            return
        }
        if fd < 0 { openFile() }
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Opens this hour's file, or the first of its continuations (`.1`, `.2`, …) still under
    /// the size cap. Creating a file starts the expiry clean-up.
    func openFile() {
        let path = LogFileName.path(pattern: filePattern, hourStamp: Logger.hourStamp())
        for n in 0..<1000 {
            let candidate = n == 0 ? path : path + "." + String(n)
            var st = stat()
            if stat(candidate, &st) == 0 {
                guard Int(st.st_size) < maxFileBytes else { continue }
                fd = open(candidate, O_WRONLY | O_APPEND | O_CLOEXEC)
                return
            }
            fd = open(candidate, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            if fd < 0, errno == ENOENT {
                // The log folder does not exist yet: create it (mode 0750), then try again.
                Syscalls.makeFolders(upTo: candidate, mode: 0o750)
                fd = open(candidate, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            }
            if fd >= 0 { deleteExpiredFiles() }
            return
        }
    }

    /// Deletes files of the pattern (same folder, same text around `%DATE%`, continuations
    /// included) not written for `--log_expiry` days. Bounded: one listing of the folder, at
    /// most 4096 entries looked at.
    func deleteExpiredFiles() {
        let slash = filePattern.lastIndex(of: "/")
        let folder = slash.map { String(filePattern[..<$0]) } ?? "."
        let name = slash.map { String(filePattern[filePattern.index(after: $0)...]) } ?? filePattern
        let parts = name.splitting(on: "%DATE%")
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty), let dir = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(dir) }
        let (prefix, suffix) = (String(parts[0]), String(parts[1]))
        let oldest = Int(time(nil)) - expirySeconds
        var looked = 0
        while looked < 4096, let entry = readdir(dir) {
            looked += 1
            let file = Syscalls.name(of: entry)
            guard LogFileName.matches(file, prefix: prefix, suffix: suffix) else { continue }
            var st = stat()
            if fstatat(dirfd(dir), file, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mtim.tv_sec < oldest {
                unlinkat(dirfd(dir), file, 0)
            }
        }
    }

    static func quote(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=") }
        if plain { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\x" + String(scalar.value, radix: 16) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func utc() -> tm {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        return parts
    }

    static func pad(_ n: Int32, _ width: Int = 2) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// RFC 3339 UTC time, seconds: `2026-11-29T08:53:58Z`.
    static func timestamp() -> String {
        let t = utc()
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))T\(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec))Z"
    }

    /// `YYYY-MM-DD-HH` (UTC) for `%DATE%`.
    static func hourStamp() -> String {
        let t = utc()
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1))-\(pad(t.tm_mday))-\(pad(t.tm_hour))"
    }

    /// IMF-fixdate for the `Date` field (RFC 9110 §5.6.7): `Sun, 29 Nov 2026 08:53:58 GMT`.
    public static func httpDate() -> String {
        let t = utc()
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[Int(t.tm_wday)]), \(pad(t.tm_mday)) \(months[Int(t.tm_mon)]) \(pad(t.tm_year + 1900, 4)) \(pad(t.tm_hour)):\(pad(t.tm_min)):\(pad(t.tm_sec)) GMT"
    }
}
