import Glibc
import DockerServerCore

/// Rate-limit counters as small files under `<folder>/ratelimit/` (docs/API.md "Rate limits"), one per client
/// address holding all its classes, shared by every docker-server process (and every node that mounts the
/// folder). Each update holds an exclusive `flock(2)` on the counter from read to write, so
/// N processes at once never let more than the limit through; `flock` works on local disks
/// and on NFS (Linux emulates it with byte-range locks there).
///
/// Fails open, loudly: when the folder cannot be used the request is served and one error
/// line is logged. Clean-up is bounded: each process deletes at most `sweepFiles` expired
/// counters (see `RateLimit.epochFolder` for the layout that makes them cheap to find).
public final class RateLimiter {
    let root: String
    /// `<folder>/ratelimit`, opened and checked once (docs/DESIGN.md "Files").
    lazy var rootFolder: Result<Int32, SafeFiles.Refusal> = SafeFiles.openFolder(root, create: true)
    let windowSeconds: Int
    let windowMs: Int
    let logger: Logger
    var failureLogged = false
    /// Expired counter files deleted per process at most (bounded clean-up work).
    static let sweepFiles = 64

    /// - Parameters: `folder`: the shared folder (`--folder`); `windowSeconds`: window length.
    public init(folder: String, windowSeconds: Int, logger: Logger) {
        root = folder + "/ratelimit"
        self.windowSeconds = windowSeconds
        windowMs = windowSeconds * 1000
        self.logger = logger
    }

    /// Wall clock in Unix ms: counters are shared between processes and machines.
    static func nowMs() -> Int { Syscalls.unixNanoseconds() / 1_000_000 }

    /// What `admit` decided.
    public enum Admission {
        /// Too many failed authentications: `authenticate` was not called.
        case authRefused(RateLimit.Decision)
        /// `authenticate` returned false; the failure was counted.
        case authFailed
        /// Authenticated; the request's class decision (nil without a class, or when the
        /// counter could not be used).
        case authenticated(RateLimit.Decision?)
    }

    /// All rate-limit work of one request, under one lock of `client`'s counter: refuses when
    /// the client has `authLimit` failed authentications in the window (before `authenticate`
    /// is even called, so the token cannot be brute-forced), else runs `authenticate` and
    /// counts a failure, or counts the request against its class (`rateClass`, `limit` per
    /// window). Holding the lock makes both limits exact under concurrent processes. When
    /// the counter cannot be used, `authenticate` runs without limits (fail open; logged once).
    public func admit(client: String, authLimit: Int, rateClass: RateClass?, limit: Int,
                      authenticate: () -> Bool) -> Admission {
        var admission: Admission?
        let auth = RateLimit.authIndex
        _ = withCounter(RateLimit.counterName(client: client)) { counts, now in
            let failures = RateLimit.decide(log: counts[auth], nowMs: now, windowMs: windowMs, limit: authLimit, record: false)
            guard failures.allowed else {
                admission = .authRefused(failures)
                return false
            }
            guard authenticate() else {
                admission = .authFailed
                counts[auth] = RateLimit.decide(log: counts[auth], nowMs: now, windowMs: windowMs, limit: authLimit).log
                return true
            }
            guard let rateClass else {
                admission = .authenticated(nil)
                return false
            }
            let index = RateLimit.classIndex(rateClass)
            let decision = RateLimit.decide(log: counts[index], nowMs: now, windowMs: windowMs, limit: limit)
            admission = .authenticated(decision)
            counts[index] = decision.log
            return decision.allowed
        }
        return admission ?? (authenticate() ? .authenticated(nil) : .authFailed)
    }

    /// The path of counter `name` in the folder of `epoch`, for messages.
    func path(_ epoch: Int, _ name: String) -> String {
        root + "/" + RateLimit.epochFolder(windowSeconds: windowSeconds, epoch: epoch) + "/" + name
    }

    /// Opens counter `name` of `epoch` (creating it and its folder when `create`), checked.
    func openCounter(_ epoch: Int, _ name: String, create: Bool) -> Result<Int32, SafeFiles.Refusal> {
        guard case .success(let rootFD) = rootFolder else { return rootFolder }
        let folderName = RateLimit.epochFolder(windowSeconds: windowSeconds, epoch: epoch)
        let folder = SafeFiles.openSubfolder(in: rootFD, folderName, create: create, shownPath: root + "/" + folderName)
        guard case .success(let folderFD) = folder else { return folder }
        defer { close(folderFD) }
        return SafeFiles.openFile(in: folderFD, name, flags: O_RDWR | (create ? O_CREAT : 0), shownPath: path(epoch, name))
    }

    /// Opens (creating folders as needed) and locks counter `name` in the current epoch's
    /// folder, taking over the previous epoch's file on first use; reads it, runs `body` with
    /// the time read once the lock is held (Unix ms; it says whether it changed the counts),
    /// and writes the counts back when they changed.
    /// - Returns: false when the counter could not be used (logged once per process).
    func withCounter(_ name: String, _ body: (inout RateLimit.Counts, _ nowMs: Int) -> Bool) -> Bool {
        var epoch = RateLimit.epoch(windowSeconds: windowSeconds, nowMs: RateLimiter.nowMs())
        for _ in 0..<8 {
            let fd: Int32
            switch openCounter(epoch, name, create: true) {
            case .success(let opened): fd = opened
            case .failure(let refusal): return fail(refusal.message)
            }
            defer { close(fd) }
            guard Self.lock(fd) else { return fail("cannot lock rate-limit counter \(path(epoch, name)): \(Syscalls.errorText(errno))") }
            // The time is read under the lock: a process that waited for it (or stalled) decides
            // with the present, in the present epoch's folder.
            let now = RateLimiter.nowMs()
            let currentEpoch = RateLimit.epoch(windowSeconds: windowSeconds, nowMs: now)
            if currentEpoch > epoch {
                epoch = currentEpoch
                continue
            }
            // Removed by a clean-up between our open and our lock: start again on a new file.
            var st = stat()
            guard fstat(fd, &st) == 0 else { return fail("cannot stat rate-limit counter \(path(epoch, name)): \(Syscalls.errorText(errno))") }
            if st.st_nlink == 0 { continue }
            let bytes = Self.read(fd, size: Int(st.st_size))
            var counts: RateLimit.Counts
            var tookOver = false
            switch RateLimit.parse(bytes) {
            case .moved:
                // A process whose clock is ahead already moved it to the next epoch: follow.
                epoch += 1
                continue
            case .counts(let recorded):
                counts = recorded
                if bytes.isEmpty, let previous = takeOver(epoch - 1, name) {
                    counts = previous
                    tookOver = true
                }
            }
            if body(&counts, now) || tookOver {
                let out = RateLimit.serialize(.counts(counts))
                guard Self.replace(fd, with: out, oldSize: Int(st.st_size)) else {
                    return fail("cannot write rate-limit counter \(path(epoch, name)): \(Syscalls.errorText(errno))")
                }
            }
            return true
        }
        return fail("rate-limit counter \(path(epoch, name)) keeps moving")
    }

    /// The counts of counter `name` of `epoch`, which is marked `moved` under its lock; nil
    /// when there is none.
    func takeOver(_ epoch: Int, _ name: String) -> RateLimit.Counts? {
        guard case .success(let fd) = openCounter(epoch, name, create: false) else { return nil }
        defer { close(fd) }
        var st = stat()
        guard Self.lock(fd), fstat(fd, &st) == 0,
              case .counts(let counts) = RateLimit.parse(Self.read(fd, size: Int(st.st_size))) else { return nil }
        _ = Self.replace(fd, with: RateLimit.serialize(.moved), oldSize: Int(st.st_size))
        return counts
    }

    /// Deletes expired counters, at most `sweepFiles` of them: first from the folder of this
    /// window that expired last (two epochs back), the only one as long as requests keep
    /// coming; on about one request in 16 also from any expired folder (other windows, epochs
    /// missed while idle), found by listing `<folder>/ratelimit`. Emptied folders are removed.
    /// Run after the answer was sent.
    public func sweep() {
        guard case .success(let rootFD) = rootFolder else { return }
        let now = RateLimiter.nowMs()
        let epoch = RateLimit.epoch(windowSeconds: windowSeconds, nowMs: now)
        var budget = clear(RateLimit.epochFolder(windowSeconds: windowSeconds, epoch: epoch - 2), in: rootFD, budget: Self.sweepFiles)
        guard budget > 0, now % 16 == 0, let top = fdopendir(dup(rootFD)) else { return }
        defer { closedir(top) }
        while budget > 0, let entry = readdir(top) {
            let folder = Syscalls.name(of: entry)
            if RateLimit.isExpiredFolder(folder, nowMs: now) { budget = clear(folder, in: rootFD, budget: budget) }
        }
    }

    /// Deletes up to `budget` files of expired epoch folder `folder`, and the folder once
    /// empty. - Returns: the budget left.
    func clear(_ folder: String, in rootFD: Int32, budget: Int) -> Int {
        let fd = openat(rootFD, folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let dir = fdopendir(fd) else {
            if fd >= 0 { close(fd) }
            return budget
        }
        var budget = budget
        var emptied = true
        while let file = readdir(dir) {
            let name = Syscalls.name(of: file)
            if name == "." || name == ".." { continue }
            guard budget > 0 else { emptied = false; break }
            unlinkat(fd, name, 0)
            budget -= 1
        }
        closedir(dir)
        if emptied { unlinkat(rootFD, folder, AT_REMOVEDIR) }
        return budget
    }

    /// `flock(2)` exclusively, waiting for other holders, retrying after signals.
    static func lock(_ fd: Int32) -> Bool {
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { return false }
        }
        return true
    }

    /// Overwrites the whole file (`oldSize` bytes long) with `bytes`: one `pwrite`, and a
    /// `ftruncate` only when the file shrinks.
    static func replace(_ fd: Int32, with bytes: [UInt8], oldSize: Int) -> Bool {
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { return false }
        return bytes.count >= oldSize || ftruncate(fd, off_t(bytes.count)) == 0
    }

    /// The file's first `size` bytes (its size from `fstat`; counters are small): one `pread`.
    /// A shorter read gives what was read, which parses as a damaged (empty) counter at worst.
    static func read(_ fd: Int32, size: Int) -> [UInt8] {
        let size = min(max(size, 0), 1 << 20)
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { storage, count in
            count = max(pread(fd, storage.baseAddress, size, 0), 0)
        }
    }

    /// Logs the first failure of this process (fail open, loudly) and returns false.
    func fail(_ detail: String) -> Bool {
        if !failureLogged {
            failureLogged = true
            logger.log(.error, "ratelimit_unavailable", [("detail", "\(detail); serving without rate limits")])
        }
        return false
    }
}
