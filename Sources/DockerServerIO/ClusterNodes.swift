import Glibc
import DockerServerCore

/// This node's view of the cluster (docs/DESIGN.md "Cluster"): the live entries of the store
/// (the shared folder, or the S3 bucket with `--s3`) read through a local cache for
/// `--cache_interval` ms, the removal of nodes found down, and the publication of this
/// node's own entry (`heartbeat`, and after a request when it is older than `--refresh_rate`).
public final class ClusterNodes {
    let config: Config
    let key: ClusterKey
    let store: any ClusterStore
    let logger: Logger
    /// This node's URL (`--advertise`, else the connection's local address and `--port`);
    /// nil when it cannot be told.
    public let selfURL: String?
    /// The stored objects behind the live entries, by host: what `removeDown` deletes if
    /// unchanged.
    var objects: [String: (name: String, bytes: [UInt8])] = [:]
    /// This node's own entry as last read, if any.
    public var ownEntry: ClusterEntry?
    /// The local cache folder (`localFolder`).
    let cacheFolder: String

    /// - Parameters:
    ///   - secret: `--cluster_secret`, else the API token.
    ///   - environment: where the S3 store's `AWS_*` settings are read (`S3Store.settings`).
    /// - Throws: `ConfigError` when libcrypto cannot be loaded, or the S3 store has no
    ///   usable settings.
    public init(config: Config, secret: String, environment: [String: String], logger: Logger, selfURL: String?) throws(ConfigError) {
        self.config = config
        self.key = try ClusterKey(secret: secret)
        if let bucket = config.s3Bucket {
            store = try S3Store(bucket: bucket, folder: config.folder, settings: try S3Store.settings(environment: environment),
                                crypto: key.crypto, trustPath: config.chainPath)
        } else {
            store = FolderStore(path: config.folder)
        }
        self.logger = logger
        self.selfURL = selfURL
        cacheFolder = Self.localFolder(environment: environment)
    }

    /// The node URL this process advertises: `--advertise`, else the local address of the
    /// connection on fd 0 (`getsockname`) with `--port` when given, else the connection's
    /// local port; `https://` with `--https`. nil when neither is known (a pipe).
    public static func advertisedURL(config: Config, fd: Int32?) -> String? {
        if let advertise = config.advertise { return advertise }
        guard let fd, let address = PeerAddress.local(fd: fd), let localPort = Spawner.localPort(fd) else { return nil }
        let port = config.portGiven ? config.port : localPort
        return (config.https ? "https://" : "http://") + (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
    }

    // MARK: Reading

    /// The live entries, least loaded first. Reads the store at most every
    /// `--cache_interval` ms (a local cache file in between); rejected entries are logged
    /// (stale ones are removed instead).
    /// - Throws: `HTTPError` 503 when the store cannot be read.
    public func live() throws(HTTPError) -> [ClusterEntry] {
        let start = Syscalls.monotonicNanoseconds()
        let now = Int64(Syscalls.unixNanoseconds() / 1_000_000)
        let (objects, fresh) = try storedObjects(nowMs: now)
        let membership = ClusterPolicy.membership(objects, nowMs: now, refreshRateMs: config.refreshRateMs, verify: key.verify)
        // What a placement decision costs (docs/BENCHMARKS.md): the read and the ordering.
        logger.log(.debug, "cluster_entries", [("live", String(membership.live.count)), ("from", fresh ? "store" : "cache"),
                                               ("us", String((Syscalls.monotonicNanoseconds() - start) / 1000))])
        // Stale entries (their heartbeat stopped) are removed when the store itself was read,
        // unless their node published again meanwhile: the store does not fill up with nodes
        // long gone, and no cached read deletes anything.
        if fresh {
            // A few per read: each costs the store a read and a delete before the answer.
            for (name, _) in membership.rejected.filter({ $0.why == .stale }).prefix(Limits.staleEntriesRemovedPerRead) {
                guard let bytes = objects.first(where: { $0.name == name })?.bytes else { continue }
                do throws(StoreError) {
                    if try store.delete(name, ifUnchanged: bytes) {
                        logger.log(.info, "cluster_entry_removed", [("entry", name), ("why", "stale")])
                    }
                } catch {
                    logger.log(.warn, "cluster_store_failed", [("detail", error.message)])
                }
            }
        }
        // Whoever can write the folder must not flood the log: a few lines, then a count.
        let warned = membership.rejected.filter { $0.why != .stale }
        for (name, why) in warned.prefix(5) {
            logger.log(.warn, "cluster_entry_ignored", [("entry", name), ("why", why.rawValue)])
        }
        if warned.count > 5 {
            logger.log(.warn, "cluster_entry_ignored", [("entries", String(warned.count - 5)), ("why", "more of the above")])
        }
        for (name, bytes) in objects {
            if let parsed = try? ClusterEntry.parse(bytes), membership.live.contains(parsed) { self.objects[parsed.host] = (name, bytes) }
        }
        ownEntry = membership.live.first { $0.host == selfURL }
        return membership.live
    }

    /// The store's objects, from the cache when it is fresh enough (then `fresh` is false).
    /// When the cache has expired, one process reads the store for all: the others wait
    /// for it (at most `Limits.clusterCacheLockWaitMs`) and take what it cached. When the
    /// store cannot be read, a cache younger than `--refresh_rate` still serves (logged).
    func storedObjects(nowMs: Int64) throws(HTTPError) -> (objects: [(name: String, bytes: [UInt8])], fresh: Bool) {
        guard config.cacheIntervalMs > 0 else { return (try readStore(), true) }
        if let cached = readCache(nowMs: nowMs, maxAgeMs: config.cacheIntervalMs) { return (cached, false) }
        let lock = lockCache()
        defer { if let lock { close(lock) } }
        let now = Int64(Syscalls.unixNanoseconds() / 1_000_000)
        if lock != nil, let cached = readCache(nowMs: now, maxAgeMs: config.cacheIntervalMs) { return (cached, false) }
        do {
            let objects = try readStore()
            writeCache(objects, nowMs: now)
            return (objects, true)
        } catch {
            guard let older = readCache(nowMs: now, maxAgeMs: config.refreshRateMs) else { throw error }
            logger.log(.warn, "cluster_store_failed", [("detail", error.message), ("using", "the entries cached earlier")])
            return (older, false)
        }
    }

    /// Lists and reads the store: at most `Limits.maxClusterEntries` entries; entries that
    /// cannot be read are skipped and logged (five lines at most, then a count).
    /// - Throws: `HTTPError` 503 when the store cannot be listed or holds too many entries.
    func readStore() throws(HTTPError) -> [(name: String, bytes: [UInt8])] {
        var objects: [(name: String, bytes: [UInt8])] = []
        var unreadable: [(String, StoreError)] = []
        do throws(StoreError) {
            let names = try store.list()
            guard names.count <= Limits.maxClusterEntries else {
                throw StoreError("\(names.count) entries (ds-….json) in the store, more than \(Limits.maxClusterEntries): give the cluster a --folder of its own")
            }
            for (name, result) in store.readAll(names) {
                switch result {
                case .success(let bytes): if let bytes { objects.append((name, bytes)) }
                case .failure(let error): unreadable.append((name, error))
                }
            }
        } catch {
            logger.log(.error, "cluster_store_failed", [("detail", error.message)])
            throw HTTPError(503, "cluster store unusable: \(error.message)", reason: .clusterUnavailable)
        }
        for (name, error) in unreadable.prefix(5) {
            logger.log(.warn, "cluster_entry_ignored", [("entry", name), ("why", "unreadable"), ("detail", error.message)])
        }
        if unreadable.count > 5 {
            logger.log(.warn, "cluster_entry_ignored", [("entries", String(unreadable.count - 5)), ("why", "unreadable, as above")])
        }
        return objects
    }

    // MARK: The local cache

    /// The cache: a local folder (not the shared one), one file per store:
    /// `{"read":<epoch ms>,"objects":[["ds-….json","<entry>"],…]}`. The folder is systemd's
    /// `CacheDirectory=` (`$CACHE_DIRECTORY`: shared by all the units' processes, whatever
    /// their `PrivateTmp=`), else `/tmp/docker-server-cache-<uid>`.
    public static func localFolder(environment: [String: String]) -> String {
        if let folders = environment["CACHE_DIRECTORY"], let first = folders.split(separator: ":").first, first.hasPrefix("/") {
            return String(first)
        }
        return "/tmp/docker-server-cache-\(geteuid())"
    }
    var cacheName: String {
        // FNV-1a 64 of the store: the folder's path, or the bucket, prefix and endpoint.
        let store = (self.store as? S3Store).map { $0.location.shown + " " + $0.location.endpoint } ?? config.folder
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in store.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "cluster-\(String(hash, radix: 16)).json"
    }

    /// The cached objects when the cache was written less than `maxAgeMs` ago.
    func readCache(nowMs: Int64, maxAgeMs: Int) -> [(name: String, bytes: [UInt8])]? {
        guard case .success(let folder) = SafeFiles.openFolder(cacheFolder, create: false) else { return nil }
        defer { close(folder) }
        guard case .success(let fd) = SafeFiles.openFile(in: folder, cacheName, flags: O_RDONLY, shownPath: cacheFolder + "/" + cacheName) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        // Up to the largest store: maxClusterEntries entries of 4 KiB, escaped.
        while bytes.count < 24 << 20, case let .data(more) = Syscalls.read(fd, deadline: nil) { bytes += more }
        guard let json = try? JSON.parse(bytes), case let .number(readText)? = json["read"], let read = Int64(readText),
              read <= nowMs, nowMs - read < Int64(maxAgeMs), case let .array(items)? = json["objects"] else { return nil }
        var objects: [(name: String, bytes: [UInt8])] = []
        for item in items {
            guard case let .array(pair) = item, pair.count == 2, let name = pair[0].stringValue, let text = pair[1].stringValue else { return nil }
            objects.append((name, Array(text.utf8)))
        }
        return objects
    }

    func writeCache(_ objects: [(name: String, bytes: [UInt8])], nowMs: Int64) {
        guard case .success(let folder) = SafeFiles.openFolder(cacheFolder, create: true) else { return }
        defer { close(folder) }
        let json = JSON.object([("read", .number(String(nowMs))),
                                ("objects", .array(objects.map { .array([.string($0.name), .string(String(decoding: $0.bytes, as: UTF8.self))]) }))])
        let temporary = ".\(cacheName).\(getpid())"
        guard case .success(let fd) = SafeFiles.openFile(in: folder, temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, shownPath: cacheFolder) else { return }
        let written = Syscalls.writeAll(fd, json.serialized, stallTimeoutMs: 1000) == .written
        close(fd)
        if !written || renameat(folder, temporary, folder, cacheName) != 0 { unlinkat(folder, temporary, 0) }
    }

    /// An exclusive `flock(2)` on the cache's lock file, waited for at most
    /// `Limits.clusterCacheLockWaitMs`; nil when it cannot be had (then the caller reads the
    /// store itself).
    func lockCache() -> Int32? {
        guard case .success(let folder) = SafeFiles.openFolder(cacheFolder, create: true) else { return nil }
        defer { close(folder) }
        let name = String(cacheName.dropLast(5)) + ".lock"
        guard case .success(let fd) = SafeFiles.openFile(in: folder, name, flags: O_RDWR | O_CREAT, shownPath: cacheFolder + "/" + name) else {
            return nil
        }
        let deadline = Syscalls.monotonicMs() + Limits.clusterCacheLockWaitMs
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Syscalls.monotonicMs() < deadline else {
                close(fd)
                return nil
            }
            Syscalls.sleep(milliseconds: 5)
        }
        return fd
    }

    func dropCache() {
        guard case .success(let folder) = SafeFiles.openFolder(cacheFolder, create: false) else { return }
        unlinkat(folder, cacheName, 0)
        close(folder)
    }

    // MARK: Changing the store

    /// Removes the entry of a node found down, unless it was published again meanwhile.
    public func removeDown(_ entry: ClusterEntry, why: String) {
        guard let (name, bytes) = objects[entry.host] else { return }
        do throws(StoreError) {
            let removed = try store.delete(name, ifUnchanged: bytes)
            logger.log(.warn, "cluster_node_down", [("node", entry.host), ("detail", why), ("entry_removed", removed ? "yes" : "republished")])
        } catch {
            logger.log(.error, "cluster_store_failed", [("detail", error.message)])
        }
        dropCache()
    }

    /// Writes this node's entry: `--load`, else the measured load.
    /// - Throws: `StoreError` when it cannot be written, or the address is unknown.
    public func publish() throws(StoreError) {
        guard let host = selfURL else {
            throw StoreError("cannot tell this node's address: give --advertise http(s)://ADDRESS:PORT")
        }
        let load = config.loadMicros ?? measureLoad()
        var entry = ClusterEntry(host: host, loadMicros: load, updatedMs: Int64(Syscalls.unixNanoseconds() / 1_000_000))
        entry.signature = key.sign(entry.signingInput)
        try store.write(ClusterEntry.objectName(host: host), entry.serialized)
        dropCache()
        ownEntry = entry
    }

    /// Publishes this node's entry again when it exists and is older than `--refresh_rate`,
    /// after a request was answered; a failure is logged. An entry that does not exist is not
    /// created here: only `heartbeat` adds a node (a request may arrive on an address other
    /// nodes cannot reach, such as loopback).
    public func refreshIfDue() {
        guard let selfURL else { return }
        if ownEntry == nil, let bytes = try? store.read(ClusterEntry.objectName(host: selfURL)),
           let entry = try? ClusterEntry.parse(bytes), entry.host == selfURL, key.verify(entry.signingInput, entry.signature) {
            ownEntry = entry
        }
        guard let own = ownEntry, Int64(Syscalls.unixNanoseconds() / 1_000_000) - own.updatedMs >= Int64(config.refreshRateMs) else { return }
        do throws(StoreError) { try publish() } catch {
            logger.log(.error, "cluster_publish_failed", [("detail", error.message)])
        }
    }

    /// CPU busy fraction × memory used fraction, in millionths: the CPU part over the time
    /// since the previous sample (kept in the cache folder), or over 200 ms when there is
    /// none younger than 10 minutes.
    func measureLoad() -> Int {
        let memory = String(decoding: Syscalls.readFile("/proc/meminfo") ?? [], as: UTF8.self)
        guard let now = ProcStat.cpu(String(decoding: Syscalls.readFile("/proc/stat") ?? [], as: UTF8.self)) else { return 0 }
        let nowMs = Int64(Syscalls.unixNanoseconds() / 1_000_000)
        var earlier: ProcStat.CPU?
        if case .success(let folder) = SafeFiles.openFolder(cacheFolder, create: true) {
            defer { close(folder) }
            if case .success(let fd) = SafeFiles.openFile(in: folder, "cpu-sample", flags: O_RDWR | O_CREAT, shownPath: cacheFolder + "/cpu-sample") {
                defer { close(fd) }
                if case let .data(bytes) = Syscalls.read(fd, deadline: nil) {
                    let parts = String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { Int64($0) }
                    if parts.count == 3, nowMs - parts[2] < 600_000, now.total > parts[1] {
                        earlier = ProcStat.CPU(busy: parts[0], total: parts[1])
                    }
                }
                _ = ftruncate(fd, 0)
                let sample = Array("\(now.busy) \(now.total) \(nowMs)".utf8)
                _ = sample.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            }
        }
        var later = now
        if earlier == nil {
            Syscalls.sleep(milliseconds: 200)
            earlier = now
            later = ProcStat.cpu(String(decoding: Syscalls.readFile("/proc/stat") ?? [], as: UTF8.self)) ?? now
        }
        return ClusterPolicy.measuredLoadMicros(cpu: earlier ?? now, later, memory: memory) ?? 0
    }
}
