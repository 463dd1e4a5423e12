import Glibc
import DockerServerCore

/// `ClusterStore` over a shared folder (`--folder`: NFS or any shared mount). Entries are
/// `ds-<digits>.json` files in it, written as a temporary file in the same folder and then
/// renamed over the entry (atomic on one file system), mode 0644: they are signed, not
/// secret, and other nodes may run as other users. Reading does not follow symbolic links and
/// takes regular files of at most 4 KiB only; who owns them does not matter, as a forged entry
/// fails its signature.
public final class FolderStore: ClusterStore {
    let path: String
    /// Largest entry read, bytes.
    static let maxEntryBytes = 4096

    public init(path: String) { self.path = path }

    func folder() throws(StoreError) -> Int32 {
        switch SafeFiles.openFolder(path, create: true) {
        case .success(let fd): return fd
        case .failure(let refusal): throw StoreError(refusal.message)
        }
    }

    public func list() throws(StoreError) -> [String] {
        let fd = try folder()
        guard let directory = fdopendir(fd) else {
            close(fd)
            throw StoreError("cannot list \(path): \(Syscalls.errorText(errno))")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if ClusterEntry.isObjectName(name) { names.append(name) }
        }
        return names
    }

    public func read(_ name: String) throws(StoreError) -> [UInt8]? {
        let folderFD = try folder()
        defer { close(folderFD) }
        return try Self.read(name, in: folderFD, shownPath: path + "/" + name)
    }

    static func read(_ name: String, in folderFD: Int32, shownPath: String) throws(StoreError) -> [UInt8]? {
        let fd = openat(folderFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StoreError("cannot read \(shownPath): \(errno == ELOOP ? "a symbolic link" : Syscalls.errorText(errno))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw StoreError("refusing \(shownPath): not a regular file") }
        guard Int(st.st_size) <= maxEntryBytes else { throw StoreError("refusing \(shownPath): larger than \(maxEntryBytes) bytes") }
        var bytes: [UInt8] = []
        while bytes.count <= maxEntryBytes, case let .data(more) = Syscalls.read(fd, deadline: nil) { bytes += more }
        return bytes
    }

    public func write(_ name: String, _ bytes: [UInt8]) throws(StoreError) {
        let folderFD = try folder()
        defer { close(folderFD) }
        let temporary = ".\(name).\(getpid()).tmp"
        let fd = openat(folderFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError("cannot create \(path)/\(temporary): \(Syscalls.errorText(errno))") }
        fchmod(fd, 0o644)  // whatever the umask: other nodes read it
        let synced = Syscalls.writeAll(fd, bytes, stallTimeoutMs: 5000) == .written && fsync(fd) == 0
        close(fd)
        guard synced, renameat(folderFD, temporary, folderFD, name) == 0 else {
            let why = Syscalls.errorText(errno)
            unlinkat(folderFD, temporary, 0)
            throw StoreError("cannot write \(path)/\(name): \(why)")
        }
    }

    public func delete(_ name: String, ifUnchanged expected: [UInt8]) throws(StoreError) -> Bool {
        let folderFD = try folder()
        defer { close(folderFD) }
        guard try Self.read(name, in: folderFD, shownPath: path + "/" + name) == expected else { return false }
        return unlinkat(folderFD, name, 0) == 0
    }
}
