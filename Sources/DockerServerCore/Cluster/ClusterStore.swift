/// Where cluster nodes publish their entries (docs/DESIGN.md "Cluster"): a shared folder
/// (`FolderStore`) or an S3 bucket (`S3Store`). Objects are small (one entry each) and named
/// by `ClusterEntry.objectName`.
public protocol ClusterStore {
    /// Names of the entry objects (`ClusterEntry.isObjectName`), in no particular order.
    /// - Throws: `StoreError` when the store cannot be listed.
    func list() throws(StoreError) -> [String]
    /// An object's bytes, nil when it does not exist (any more).
    /// - Throws: `StoreError` when it cannot be read.
    func read(_ name: String) throws(StoreError) -> [UInt8]?
    /// `read` of each name (in the same order), possibly several at once.
    func readAll(_ names: [String]) -> [(name: String, result: Result<[UInt8]?, StoreError>)]
    /// Writes an object whole, atomically: a reader sees the old bytes or the new ones.
    /// - Throws: `StoreError` when it cannot be written.
    func write(_ name: String, _ bytes: [UInt8]) throws(StoreError)
    /// Deletes an object if it still holds `expected` (its node did not publish again
    /// meanwhile). Returns true when it was deleted.
    /// - Throws: `StoreError` when it cannot be read or deleted.
    func delete(_ name: String, ifUnchanged expected: [UInt8]) throws(StoreError) -> Bool
}

extension ClusterStore {
    /// One after the other.
    public func readAll(_ names: [String]) -> [(name: String, result: Result<[UInt8]?, StoreError>)] {
        names.map { name in
            do throws(StoreError) { return (name, .success(try read(name))) } catch { return (name, .failure(error)) }
        }
    }
}

/// A store that cannot be used, with the reason.
public struct StoreError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
