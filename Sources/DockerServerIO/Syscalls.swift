import Glibc
import DockerServerCore

/// Thin wrappers over the syscalls the server makes: EINTR retried, deadlines enforced with
/// `poll(2)`, errors as values.
public enum Syscalls {
    /// `POLLRDHUP` (Linux, not exported to Swift): the peer closed its writing side.
    static let pollReadHangup: Int32 = 0x2000

    /// Monotonic clock, nanoseconds (`clock_gettime(CLOCK_MONOTONIC)`): the one clock for
    /// deadlines and durations.
    public static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// `monotonicNanoseconds` in milliseconds, the unit of deadlines.
    public static func monotonicMs() -> Int64 { monotonicNanoseconds() / 1_000_000 }

    /// Wall clock, Unix nanoseconds (`clock_gettime(CLOCK_REALTIME)`).
    public static func unixNanoseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
    }

    /// The UTF-8 text in `buffer` up to its first NUL.
    static func string(fromNulTerminated buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The file name in a directory entry (`readdir(3)`).
    static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The text of `errno` value `code` (`strerror`).
    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Outcome of waiting for a descriptor.
    public enum Readiness: Equatable {
        case ready
        case timedOut
        /// The peer hung up (only reported for a watched descriptor).
        case hangup
    }

    /// Waits until `fd` is ready for `events` or the deadline (monotonic ms, nil = forever)
    /// passes (`poll(2)`). When `watch` is given, a hang-up there (`POLLRDHUP`, `POLLHUP`,
    /// `POLLERR`) ends the wait too.
    public static func wait(_ fd: Int32, events: Int16, deadline: Int64?, watch: Int32? = nil) -> Readiness {
        waitForEvents(fd, events: events, deadline: deadline, watch: watch).readiness
    }

    /// `wait`, also returning the events `fd` is ready for (`revents`; 0 unless `.ready`).
    public static func waitForEvents(_ fd: Int32, events: Int16, deadline: Int64?, watch: Int32? = nil) -> (readiness: Readiness, events: Int16) {
        // Two descriptors at most, kept in a tuple: no array (and its metadata) per wait.
        var fds = (pollfd(fd: fd, events: events, revents: 0),
                   pollfd(fd: watch ?? -1, events: Int16(pollReadHangup), revents: 0))
        let count: nfds_t = watch == nil ? 1 : 2
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - monotonicMs()
                if left <= 0 { return (.timedOut, 0) }
                timeout = Int32(min(left, Int64(Int32.max)))
            }
            let n = withUnsafeMutableBytes(of: &fds) {
                poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), count, timeout)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return (.ready, events)  // let the following read or write report the error
            }
            if n == 0 { continue }
            if count > 1, fds.1.revents & Int16(pollReadHangup | Int32(POLLHUP) | Int32(POLLERR)) != 0 { return (.hangup, 0) }
            if fds.0.revents != 0 { return (.ready, fds.0.revents) }
        }
    }

    /// Result of a read.
    public enum ReadResult: Equatable {
        case data([UInt8])
        case endOfFile
        case timedOut
        case hangup
        case failed(Int32)
    }

    /// Reads up to `max` bytes once data is there (`read(2)` after `poll(2)`).
    public static func read(_ fd: Int32, max: Int = 65536, deadline: Int64?, watch: Int32? = nil) -> ReadResult {
        switch wait(fd, events: Int16(POLLIN), deadline: deadline, watch: watch) {
        case .timedOut: return .timedOut
        case .hangup: return .hangup
        case .ready: break
        }
        while true {
            // Uninitialised capacity: no zero-fill, and only the pages the kernel writes are touched.
            var n = 0
            let buffer = [UInt8](unsafeUninitializedCapacity: max) { storage, count in
                n = Glibc.read(fd, storage.baseAddress, max)
                count = Swift.max(n, 0)
            }
            if n > 0 { return .data(buffer) }
            if n == 0 { return .endOfFile }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                return read(fd, max: max, deadline: deadline, watch: watch)
            }
            return .failed(errno)
        }
    }

    /// How a write ended.
    public enum WriteOutcome: Equatable, Sendable {
        case written
        /// The peer took no bytes for the stall timeout.
        case stalled
        /// The peer is gone (or another error).
        case failed
    }

    /// Writes all of `bytes` (`write(2)`, waiting with `poll(2)` while the socket is full).
    /// - Parameter stallTimeoutMs: how long the peer may take no bytes; every write that
    ///   makes progress starts the time again. nil waits as long as needed.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], stallTimeoutMs: Int64?) -> WriteOutcome {
        var offset = 0
        var deadline = stallTimeoutMs.map { monotonicMs() + $0 }
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n > 0 {
                offset += n
                deadline = stallTimeoutMs.map { monotonicMs() + $0 }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                guard waitWritable(fd, deadline: &deadline, stallTimeoutMs: stallTimeoutMs) else { return .stalled }
                continue
            }
            return .failed
        }
        return .written
    }

    /// `ioctl(SIOCOUTQ)` (Linux, = `TIOCOUTQ`; not exported to Swift).
    static let socketOutputQueue: UInt = 0x5411

    /// Bytes in socket `fd`'s send queue: written, not yet acknowledged by the peer
    /// (`ioctl(SIOCOUTQ)`); nil when `fd` is not a socket.
    static func unsentBytes(_ fd: Int32) -> Int? {
        var count: Int32 = 0
        return ioctl(fd, socketOutputQueue, &count) == 0 ? Int(count) : nil
    }

    /// Waits until `fd` takes bytes again (`POLLOUT`). A socket's send buffer may stay too
    /// full to report room for longer than the stall timeout while a slow client still reads,
    /// so every second the send queue is looked at: when it shrank, the client took bytes and
    /// the `deadline` (monotonic ms) moves to `stallTimeoutMs` from now.
    /// - Returns: false when the deadline passed without progress.
    static func waitWritable(_ fd: Int32, deadline: inout Int64?, stallTimeoutMs: Int64?) -> Bool {
        guard let stallTimeoutMs, var end = deadline else { return wait(fd, events: Int16(POLLOUT), deadline: nil) == .ready }
        defer { deadline = end }
        var queued = unsentBytes(fd)
        while true {
            if wait(fd, events: Int16(POLLOUT), deadline: min(end, monotonicMs() + 1000)) == .ready { return true }
            let now = unsentBytes(fd)
            if let before = queued, let now, now < before { end = monotonicMs() + stallTimeoutMs }
            queued = now
            if monotonicMs() >= end { return false }
        }
    }

    /// Sets `O_NONBLOCK` on `fd` (`fcntl(2)`): writes then return instead of blocking, and
    /// every wait goes through `poll(2)` with a deadline.
    public static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Bytes received on socket `fd` and not read yet (`ioctl(FIONREAD)`); 0 on error.
    public static func pendingBytes(_ fd: Int32) -> Int {
        var count: Int32 = 0
        return ioctl(fd, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// True when the bytes already received on socket `fd` start with `HEAD ` (peeked, not
    /// read): an answer to it must have no body (RFC 9110 §9.3.2). `waitMs` > 0 first waits
    /// up to that long for them to arrive.
    public static func startsWithHead(_ fd: Int32, waitMs: Int32 = 0) -> Bool {
        if waitMs > 0 {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, waitMs)
        }
        var start = [UInt8](repeating: 0, count: 5)
        return recv(fd, &start, 5, Int32(MSG_PEEK | MSG_DONTWAIT)) == 5 && start == Array("HEAD ".utf8)
    }

    /// Reads and discards what arrives on `fd` for up to `milliseconds` or `maxBytes`, until
    /// the peer closes: the lingering close after a half-close (RFC 9112 §9.6), so an answer
    /// is not lost to a TCP reset caused by unread input.
    public static func drain(_ fd: Int32, milliseconds: Int64 = 1000, maxBytes: Int = 1 << 20) {
        let deadline = monotonicMs() + milliseconds
        var drained = 0
        while drained < maxBytes, case let .data(bytes) = read(fd, deadline: deadline) { drained += bytes.count }
    }

    /// Makes the close of socket `fd` (here, or at exit) send a TCP reset (`SO_LINGER` on,
    /// 0 s), and closes it.
    static func resetOnClose(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    /// In the static executable the release ships, libcrypto brings the system's shared libc,
    /// whose table of thread-specific data keys is separate from the one of the libc linked in,
    /// while both keep the values in the same per-thread array. Its first keys would then read
    /// values the Swift runtime stored (OpenSSL took one for its default library context, and
    /// crashed in HMAC). Taking the shared libc's first 32 keys before libcrypto loads moves OpenSSL's
    /// keys past the slots the linked-in libc hands out. In a dynamic executable both libcs
    /// are one: 32 of its 1024 keys are used, nothing else changes.
    /// Call before `dlopen` of a library that links the shared libc (OpenSSL).
    static func separateThreadKeys() {
        typealias KeyCreate = @convention(c) (UnsafeMutablePointer<pthread_key_t>?, (@convention(c) (UnsafeMutableRawPointer?) -> Void)?) -> Int32
        guard let libc = dlopen("libc.so.6", RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(libc, "pthread_key_create") else { return }
        let create = unsafeBitCast(symbol, to: KeyCreate.self)
        var key = pthread_key_t()
        while create(&key, nil) == 0, key < 31 {}
    }

    /// Call first in every thread this process starts that may call OpenSSL (TLS to cluster
    /// nodes and to S3). In the static executable the release ships, OpenSSL runs on the
    /// system's shared libc, and a thread started by the linked-in libc never ran the shared
    /// libc's per-thread set-up: its character-class tables (`isspace` and friends, which
    /// OpenSSL uses while checking certificates) are null pointers there, a crash. The shared
    /// libc's own thread start calls `__ctype_init`; so does this. Nothing happens while the
    /// shared libc is not loaded, and in a dynamic executable (one libc) it is done already.
    static func prepareThreadForSharedLibc() {
        typealias Init = @convention(c) () -> Void
        guard let libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), let symbol = dlsym(libc, "__ctype_init") else { return }
        unsafeBitCast(symbol, to: Init.self)()
    }

    /// True when `fd` is a socket (`fstat(2)`).
    public static func isSocket(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Sleeps `milliseconds` (`nanosleep(2)`, resumed after signals).
    public static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Reads a whole small file (token files), nil when it cannot be read.
    public static func readFile(_ path: String, limit: Int = 65536) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        while out.count <= limit {
            guard case let .data(bytes) = read(fd, deadline: nil) else { break }
            out.append(contentsOf: bytes)
        }
        return out
    }
}

/// `HandlerServices` over the system clocks, the kernel's random numbers and `nanosleep`.
public struct SystemServices: HandlerServices {
    public init() {}
    public func nowNanoseconds() -> Int { Syscalls.unixNanoseconds() }
    public func sleep(milliseconds: Int) { Syscalls.sleep(milliseconds: milliseconds) }
    public func monotonicMilliseconds() -> Int64 { Syscalls.monotonicMs() }

    /// RFC 9562 UUID version 4 from the standard library's system generator (`getrandom(2)`).
    public func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var b = withUnsafeBytes(of: (generator.next() as UInt64, generator.next() as UInt64)) { Array($0) }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (i, byte) in b.enumerated() {
            if [4, 6, 8, 10].contains(i) { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
