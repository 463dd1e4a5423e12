import Glibc

/// Files and folders in shared places (docs/DESIGN.md "Files"): logs, rate-limit counters,
/// caches. The defaults (`/tmp/docker-server`, `/tmp/docker-server-%DATE%.log`) sit in a
/// folder every local user can write, so whoever creates a name there first must not get to
/// choose where this process (often root) writes. Every folder on the way is opened from the
/// root with `O_NOFOLLOW | O_DIRECTORY` and checked; files are opened relative to their
/// checked folder with `O_NOFOLLOW`, created owner-only (0600, folders 0700), and checked:
/// - owned by this user or root;
/// - not writable by group or others, except a folder that is sticky and owned by root, like
///   `/tmp` itself (there nobody can rename or delete another user's files, and a name
///   planted before us is refused by its owner);
/// - not a symbolic link; a file must be a regular file.
public enum SafeFiles {
    /// Why a path was refused (or could not be opened), for the one log line that says so.
    public struct Refusal: Error, Sendable {
        public let message: String
    }

    /// Opens the folder `path` (relative paths from the working directory), creating what is
    /// missing with mode 0700 when `create`.
    /// - Returns: a descriptor of the folder (`O_RDONLY | O_DIRECTORY`), to be closed by the
    ///   caller, or why it was refused.
    public static func openFolder(_ path: String, create: Bool) -> Result<Int32, Refusal> {
        var fd = open(path.hasPrefix("/") ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Refusal(message: "cannot open \(path): \(Syscalls.errorText(errno))")) }
        var walked = path.hasPrefix("/") ? "" : "."
        let parts = path.split(separator: "/").filter { $0 != "." }
        for part in parts {
            walked += "/" + part
            let next = openSubfolder(in: fd, String(part), create: create, shownPath: walked)
            close(fd)
            guard case .success(let opened) = next else { return next }
            fd = opened
        }
        return .success(fd)
    }

    /// Opens (and with `create` makes, mode 0700) the folder `name` in the checked folder
    /// `parent`, and checks it.
    public static func openSubfolder(in parent: Int32, _ name: String, create: Bool, shownPath: String) -> Result<Int32, Refusal> {
        var fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ENOENT, create {
            if mkdirat(parent, name, 0o700) != 0, errno != EEXIST {
                return .failure(Refusal(message: "cannot create \(shownPath): \(Syscalls.errorText(errno))"))
            }
            fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let why = errno == ELOOP || errno == ENOTDIR ? "a symbolic link or not a folder" : Syscalls.errorText(errno)
            return .failure(Refusal(message: "refusing \(shownPath): \(why)"))
        }
        if let problem = check(fd, folder: true) {
            close(fd)
            return .failure(Refusal(message: "refusing \(shownPath): \(problem)"))
        }
        return .success(fd)
    }

    /// Opens file `name` in the checked folder `folder` with `flags` (`O_NOFOLLOW` and
    /// `O_CLOEXEC` added; mode 0600 when `O_CREAT` creates it) and checks it.
    /// - Parameter shownPath: the path for messages.
    public static func openFile(in folder: Int32, _ name: String, flags: Int32, shownPath: String) -> Result<Int32, Refusal> {
        let fd = openat(folder, name, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let why = errno == ELOOP ? "a symbolic link" : Syscalls.errorText(errno)
            return .failure(Refusal(message: "refusing \(shownPath): \(why)"))
        }
        if let problem = check(fd, folder: false) {
            close(fd)
            return .failure(Refusal(message: "refusing \(shownPath): \(problem)"))
        }
        return .success(fd)
    }

    /// What is wrong with the open file or folder `fd`, nil when nothing is.
    static func check(_ fd: Int32, folder: Bool) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return Syscalls.errorText(errno) }
        let type = st.st_mode & S_IFMT
        if folder ? type != S_IFDIR : type != S_IFREG { return folder ? "not a folder" : "not a regular file" }
        if st.st_uid != geteuid(), st.st_uid != 0 { return "owned by uid \(st.st_uid), neither this user (\(geteuid())) nor root" }
        if st.st_mode & 0o022 != 0 {
            let sticky = st.st_mode & S_ISVTX != 0
            if !(folder && sticky && st.st_uid == 0) {
                return "writable by group or others (mode \(String(st.st_mode & 0o7777, radix: 8)))"
            }
        }
        return nil
    }
}
