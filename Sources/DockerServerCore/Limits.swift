/// Every fixed limit of the server, with its unit in its name. Configurable ones have their
/// defaults here and are overridden by `Config`.
public enum Limits {
    /// The request line, bytes (docs/API.md "Limits"): past it, 414.
    public static let maxRequestLineBytes = 8 * 1024
    /// The header fields after the request line, bytes: past them, 431.
    public static let maxHeaderBytes = 16 * 1024
    /// Default request body limit, bytes (`--max_body`, the original's 10 KiB): past it, 413.
    public static let defaultMaxBodyBytes = 10 * 1024
    /// Largest `--max_body`, bytes: a body is held whole, parsed and sent on (a run's or an
    /// exec's `input` as well), so this bounds what a request body costs in memory (a
    /// 4 MiB body keeps the process under 32 MiB, docs/BENCHMARKS.md).
    public static let maxBodyBytesCeiling = 4 * 1024 * 1024
    /// Default time a client has to send its whole request, seconds (`--read_timeout`).
    public static let defaultReadTimeoutSeconds = 10
    /// Default time a client may take no bytes of the answer before it is dropped, seconds
    /// (`--write_timeout`).
    public static let defaultWriteTimeoutSeconds = 30
    /// Time to connect to the engine, seconds.
    public static let engineConnectTimeoutSeconds = 5
    /// Default time an ordinary engine call may take, seconds (`--engine_timeout`): past it, 504.
    public static let defaultEngineTimeoutSeconds = 60
    /// Time a pull may take, seconds (also the pull before a run).
    public static let enginePullTimeoutSeconds = 1800
    /// Time an attached run may wait for its container to exit, seconds: past it the
    /// container is killed and the answer is 504. Followed logs have no bound: the client
    /// ends them.
    public static let attachedRunTimeoutSeconds = 86400
    /// Largest engine answer read into memory (inspect, errors, exec results, version),
    /// bytes; past it, 502. The container list, logs and pull progress are streamed, not
    /// read whole. A container's inspect answer is a few KiB; 1 MiB of it parses within the
    /// 32 MiB bound.
    public static let maxEngineBodyBytes = 1024 * 1024
    /// Largest stdout or stderr kept for a JSON answer (run, exec, logs), in bytes of the
    /// escaped JSON string, each; the rest is dropped and `"truncated":true` is added. With
    /// both full the process stays under 32 MiB (docs/BENCHMARKS.md).
    public static let maxOutputBytes = 8 * 1024 * 1024
    /// Default concurrent connection processes of the spawner (`--max_connections`).
    public static let defaultMaxConnections = 64
    /// Default concurrent connection processes per client address (`--max_per_source`).
    public static let defaultMaxPerSource = 16
    /// Default seconds without connections after which a spawner on a socket passed by
    /// systemd exits (`--idle_timeout`; systemd starts it again on the next connection).
    public static let defaultIdleTimeoutSeconds = 60
    /// Default seconds connections in flight may finish after SIGTERM (`--shutdown_grace`).
    public static let defaultShutdownGraceSeconds = 30
    /// Seconds connection processes get to clean up after the spawner ended their
    /// connections at shutdown (a run's container killed); then they are killed.
    public static let shutdownCleanupSeconds = 10
    /// `Retry-After` of the spawner's `503` for connections past a cap, seconds.
    public static let refusedRetryAfterSeconds = 1
    /// How long the spawner waits for a refused client's first bytes before its `503`
    /// (to tell a HEAD request), milliseconds.
    public static let refusedRequestWaitMs: Int64 = 200
    /// Refused connections the spawner answers at once (each waits at most
    /// `refusedRequestWaitMs` plus `refusedLingerMs`); past it, accepting pauses and new
    /// connections wait in the listen queue.
    public static let maxRefusedConnections = 4096
    /// How long the spawner reads and discards what a refused client still sends after
    /// its `503`, milliseconds (so the answer is not lost to a TCP reset).
    public static let refusedLingerMs: Int64 = 2000
    /// A run or exec with a terminal and input: while the command stays quiet, Ctrl-D is sent
    /// again after this many milliseconds, at most `ttyEndOfFileRepeats` times (the first can
    /// be lost when the command switches the terminal's mode).
    public static let ttyEndOfFileRepeatMs = 1000
    public static let ttyEndOfFileRepeats = 10
    /// How long a cluster node has to accept a connection, milliseconds: past it, it is
    /// taken as down for the request (and its entry removed).
    public static let clusterConnectTimeoutMs: Int64 = 2000
    /// How long a node given a forwarded `PUT` has to confirm it with `100 Continue`
    /// (RFC 9110 §10.1.1), milliseconds: it does so once the token passed, before the body
    /// is sent. Past it the node is taken as down: the body never left, so nothing can have
    /// started there, and the next node is tried.
    public static let clusterContinueTimeoutMs: Int64 = 5000
    /// Largest answer read whole from a cluster node, bytes (a JSON log answer is at most
    /// about 16 MiB).
    public static let maxNodeBodyBytes = 20 << 20
    /// The bound of one S3 call (connect, TLS, request, whole answer), milliseconds; the
    /// connection itself must be accepted within `clusterConnectTimeoutMs`.
    public static let s3CallTimeoutMs: Int64 = 5000
    /// Pages of 1,000 keys listed at most from the S3 store (100,000 keys), and the time all
    /// pages of one listing may take, milliseconds.
    public static let maxS3ListPages = 100
    public static let s3ListTimeoutMs: Int64 = 10_000
    /// Entries read from the S3 store at once (one connection each).
    public static let s3ParallelReads = 16
    /// The time all GetObject calls of one read of the S3 store may take, milliseconds.
    public static let s3ReadAllTimeoutMs: Int64 = 10_000
    /// Entry objects a cluster store may hold (a larger one is refused with a 503: reading
    /// them all would make every request slow).
    public static let maxClusterEntries = 1000
    /// How long a process waits for another one that is reading the cluster store for all,
    /// milliseconds (a read of the S3 store takes at most 10 s to list and 10 s to read).
    public static let clusterCacheLockWaitMs: Int64 = 21_000
    /// Stale cluster entries one read of the store deletes at most (the rest on later reads).
    public static let staleEntriesRemovedPerRead = 4
}
