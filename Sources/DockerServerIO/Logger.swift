import Glibc
import DockerServerCore

/// Writes one-line `key=value` log records (docs/DESIGN.md "Logging"), each with the
/// writing process's `pid=` and, where known, the local `port=`. Three destinations:
/// - under systemd (`JOURNAL_STREAM` naming stderr): stderr, with an sd-daemon `<N>`
///   priority prefix;
/// - `--log_file syslog`: syslog(3), facility daemon, the level as its priority (the
///   convention under xinetd);
/// - `--log_file stderr`: stderr, the file's line format (for `docker logs` and terminals),
///   unless stderr is the client's connection (the same socket as stdin, as under inetd):
///   then the default file;
/// - otherwise appended to the file named by `--log_file` (`%DATE%` = UTC `YYYY-MM-DD-HH`)
///   with one `write(2)` per line, so concurrent processes never interleave inside a line. A
///   file that reached `--log_max_size` MiB is continued in `PATH.1`, `PATH.2`, …; whenever a
///   process starts a new file it deletes the pattern's files older than `--log_expiry` days.
///   The folder and file are opened with `SafeFiles` (no symlinks, owner-only, refused when
///   another user could have planted them); a refused log file is reported once to syslog.
/// Never to stderr otherwise: under inetd stderr is the client's socket. A log that cannot be
/// written never fails the request.
public final class Logger {
    enum Destination { case journal, syslog, stderr, file }
    let level: LogLevel
    let destination: Destination
    let filePattern: String
    let maxFileBytes: Int
    let expirySeconds: Int
    var fd: Int32 = -1
    var fileRefused = false
    /// The local port of the connection or listening socket, once known (`port=`).
    public var port: Int?
    let pid = getpid()

    public init(config: Config, environment: [String: String]) {
        level = config.logLevel
        if environment["JOURNAL_STREAM"].map(Logger.isStderr) ?? false {
            destination = .journal
        } else if config.logFile == "syslog" {
            destination = .syslog
            openlog("docker-server", LOG_PID, LOG_DAEMON)
        } else if config.logFile == "stderr" {
            destination = Logger.stderrIsTheConnection() ? .file : .stderr
        } else {
            destination = .file
        }
        filePattern = config.logFile == "stderr" ? Config().logFile : config.logFile
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

    /// True when stderr is the same open socket as stdin (inetd passes the connection as
    /// both): log lines there would reach the client.
    static func stderrIsTheConnection() -> Bool {
        var input = stat(), error = stat()
        guard fstat(0, &input) == 0, fstat(2, &error) == 0 else { return false }
        return (input.st_mode & S_IFMT) == S_IFSOCK && input.st_dev == error.st_dev && input.st_ino == error.st_ino
    }

    /// sd-daemon(3) and syslog(3) priority of a level.
    static func priority(_ level: LogLevel) -> Int32 {
        switch level {
        case .trace, .debug: return LOG_DEBUG
        case .info: return LOG_INFO
        case .warn: return LOG_WARNING
        case .error: return LOG_ERR
        case .fatal: return LOG_CRIT
        }
    }

    /// True when log lines go to stderr (the journal, `--log_file stderr`), not to a file.
    public var writesToStderr: Bool { destination == .journal || destination == .stderr }

    /// True when lines at `level` are written (to skip work for lines that would be dropped).
    public func enabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Logs `reason` with `fields` at `level` (dropped below the configured level). Values
    /// with spaces, quotes or `=` are quoted; control characters are escaped.
    public func log(_ level: LogLevel, _ reason: String, _ fields: [(String, String)] = []) {
        guard level >= self.level else { return }
        var line = "level=\(level.name) pid=\(pid)"
        if let port { line += " port=\(port)" }
        line += " reason=\(reason)"
        for (key, value) in fields { line += " \(key)=\(Logger.quote(value))" }
        switch destination {
        case .journal:
            let bytes = Array("<\(Logger.priority(level))>\(line)\n".utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        case .syslog:
            Logger.syslog(Logger.priority(level), line)
        case .stderr:
            let bytes = Array("time=\(Logger.timestamp()) \(line)\n".utf8)
            _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        case .file:
            if fd < 0, !fileRefused { openFile() }
            guard fd >= 0 else { return }
            let bytes = Array("time=\(Logger.timestamp()) \(line)\n".utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// One message to syslog(3) (`vsyslog`: `syslog` itself is variadic).
    static func syslog(_ priority: Int32, _ message: String) {
        message.withCString { text in withVaList([text]) { vsyslog(priority, "%s", $0) } }
    }

    /// Opens this hour's file, or the first of its continuations (`.1`, `.2`, …) still under
    /// the size cap. Creating a file starts the expiry clean-up. A refused folder or file is
    /// reported once, to syslog: the log itself cannot say it.
    func openFile() {
        let path = LogFileName.path(pattern: filePattern, hourStamp: Logger.hourStamp())
        let slash = path.lastIndex(of: "/")
        let folderPath = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let folder: Int32
        switch SafeFiles.openFolder(folderPath.isEmpty ? "/" : folderPath, create: true) {
        case .success(let opened): folder = opened
        case .failure(let refusal): return refuse(refusal)
        }
        defer { close(folder) }
        for n in 0..<1000 {
            let candidate = n == 0 ? name : name + "." + String(n)
            var st = stat()
            if fstatat(folder, candidate, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) >= maxFileBytes {
                continue
            }
            let created = fstatat(folder, candidate, &st, AT_SYMLINK_NOFOLLOW) != 0
            switch SafeFiles.openFile(in: folder, candidate, flags: O_WRONLY | O_APPEND | O_CREAT,
                                      shownPath: folderPath + "/" + candidate) {
            case .success(let opened):
                fd = opened
                if created { deleteExpiredFiles(in: folder) }
            case .failure(let refusal):
                refuse(refusal)
            }
            return
        }
    }

    func refuse(_ refusal: SafeFiles.Refusal) {
        fileRefused = true
        Logger.syslog(LOG_ERR, "level=error pid=\(pid) reason=log_file_refused detail=\(Logger.quote(refusal.message))")
    }

    /// Deletes files of the pattern (same folder, same text around `%DATE%`, continuations
    /// included) not written for `--log_expiry` days. Bounded: one listing of the folder, at
    /// most 4096 entries looked at.
    func deleteExpiredFiles(in folder: Int32) {
        let slash = filePattern.lastIndex(of: "/")
        let name = slash.map { String(filePattern[filePattern.index(after: $0)...]) } ?? filePattern
        let parts = name.splitting(on: "%DATE%")
        guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty), let dir = fdopendir(dup(folder)) else { return }
        defer { closedir(dir) }
        let (prefix, suffix) = (String(parts[0]), String(parts[1]))
        let oldest = Int(time(nil)) - expirySeconds
        var looked = 0
        while looked < 4096, let entry = readdir(dir) {
            looked += 1
            let file = Syscalls.name(of: entry)
            guard LogFileName.matches(file, prefix: prefix, suffix: suffix) else { continue }
            var st = stat()
            if fstatat(dirfd(dir), file, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mtim.tv_sec < oldest,
               st.st_uid == geteuid() || st.st_uid == 0 {
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

    /// The current UTC time formatted by `strftime(3)` (the C locale: this program never
    /// calls `setlocale`, so day and month names are English as HTTP wants them).
    static func utc(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 3339 UTC time, seconds: `2026-11-29T08:53:58Z`.
    static func timestamp() -> String { utc("%Y-%m-%dT%H:%M:%SZ") }

    /// `YYYY-MM-DD-HH` (UTC) for `%DATE%`.
    static func hourStamp() -> String { utc("%Y-%m-%d-%H") }

    /// IMF-fixdate for the `Date` field (RFC 9110 §5.6.7): `Sun, 29 Nov 2026 08:53:58 GMT`.
    public static func httpDate() -> String { utc("%a, %d %b %Y %H:%M:%S GMT") }
}
