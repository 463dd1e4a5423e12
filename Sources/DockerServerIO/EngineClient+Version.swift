import Glibc
import DockerServerCore

extension EngineClient {
    /// Seconds a negotiated API version is reused from the cache before the engine is asked
    /// again (an engine refusing the cached version is asked at once).
    static let versionCacheSeconds = 60

    /// `/vX.Y` for request paths, or empty for unversioned paths (docs/DESIGN.md "The
    /// engine"): negotiated once per process at most, from a cache file under
    /// `<folder>/engine-api/` (one per engine address, fresh for `versionCacheSeconds`) or
    /// else from the engine's SystemVersion answer, then cached. Without a usable folder it
    /// asks the engine every time.
    /// - Parameter force: ask the engine even when a version is known.
    func negotiatedPrefix(timeoutSeconds: Int, force: Bool) throws(HTTPError) -> String {
        if !force, let versionPrefix { return versionPrefix }
        if !force, let cached = readCachedVersion() {
            versionPrefix = cached
            return cached
        }
        let answer = try send(EngineAPI.version(), path: "/version", timeoutSeconds: timeoutSeconds).response()
        let prefix = answer.status == 200 ? EngineAPI.negotiatedVersion(answer.json).map { "/v\($0)" } ?? "" : ""
        versionPrefix = prefix
        writeCachedVersion(prefix)
        return prefix
    }

    /// The cache file's folder and name: FNV-1a of the engine address, so each engine has its own.
    var versionCacheName: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in endpoint.description.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "v-" + String(hash, radix: 16)
    }

    /// The cached prefix when fresh and well-formed (`-` stands for unversioned), else nil.
    func readCachedVersion() -> String? {
        guard let stateFolder, case .success(let folder) = SafeFiles.openFolder(stateFolder + "/engine-api", create: false) else { return nil }
        defer { close(folder) }
        guard case .success(let fd) = SafeFiles.openFile(in: folder, versionCacheName, flags: O_RDONLY, shownPath: versionCacheName) else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(time(nil)) - st.st_mtim.tv_sec < Self.versionCacheSeconds else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &bytes, bytes.count)
        guard n > 1, bytes[n - 1] == 0x0A else { return nil }
        let text = String(decoding: bytes[..<(n - 1)], as: UTF8.self)
        if text == "-" { return "" }
        return APIVersion(text).map { "/v\($0)" }
    }

    /// Replaces the cache file (a temporary file renamed over it: readers never see half of
    /// it). Failures are ignored: the next process asks the engine again.
    func writeCachedVersion(_ prefix: String) {
        guard let stateFolder, case .success(let folder) = SafeFiles.openFolder(stateFolder + "/engine-api", create: true) else { return }
        defer { close(folder) }
        let temporary = ".\(versionCacheName).\(getpid())"
        guard case .success(let fd) = SafeFiles.openFile(in: folder, temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, shownPath: temporary) else { return }
        let text = Array(((prefix.isEmpty ? "-" : String(prefix.dropFirst(2))) + "\n").utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written != text.count || renameat(folder, temporary, folder, versionCacheName) != 0 { unlinkat(folder, temporary, 0) }
    }
}
