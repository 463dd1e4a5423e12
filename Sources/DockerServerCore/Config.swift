/// The server's configuration (docs/API.md "Options"): the original DockerServer's flags, each also read
/// from `DS_<NAME>` in the environment; flags win over the environment.
public struct Config: Sendable, Equatable {
    /// `--port`: the port `--listen` binds when given no port, and the cluster's advertised port.
    public var port = 1717
    /// True when `--port` (or `DS_PORT`) was given: the cluster then advertises it rather than
    /// the connection's local port.
    public var portGiven = false
    /// `--token` / `DS_TOKEN`.
    public var token: String?
    /// `--token_file` / `DS_TOKEN_FILE`: a file whose first line is the token.
    public var tokenFile: String?
    /// Requests per window per client IP: low (pull, run, exec), mid (rm), high (ps, logs),
    /// and failed authentications.
    public var lowBurst = 60, midBurst = 180, highBurst = 300, authBurst = 10
    /// `--rate_window`: the rate-limit window in seconds (the original's minute by default).
    public var rateWindowSeconds = 60
    /// `--https` and its files (docs/API.md "HTTPS").
    public var https = false
    public var certPath = "/certs/cert.pem", keyPath = "/certs/privkey.pem", chainPath = "/certs/chain.pem"
    /// True when `--chain` (or `DS_CHAIN`) named the chain file, which then must exist.
    public var chainGiven = false
    /// `--cluster` and its settings (docs/API.md "Cluster"); times in milliseconds.
    public var cluster = false
    public var refreshRateMs = 30_000, cacheIntervalMs = 3000
    public var folder = "/tmp/docker-server"
    /// `--s3 BUCKET`: cluster entries are objects in this bucket under the key prefix
    /// `--folder` (docs/API.md "Cluster on S3").
    public var s3Bucket: String?
    /// `--advertise URL`: this node's URL in the cluster (else the connection's local
    /// address and `--port`).
    public var advertise: String?
    /// `--load X`: the load to publish instead of the measured one, in millionths.
    public var loadMicros: Int?
    /// `--cluster_secret`: the key of entry and forwarding signatures (else the token).
    public var clusterSecret: String?
    /// Logging (docs/DESIGN.md "Logging"): level, file pattern (`%DATE%` = `YYYY-MM-DD-HH`), days, megabytes.
    public var logLevel = LogLevel.info
    public var logFile = "/tmp/docker-server-%DATE%.log"
    public var logExpiryDays = 7, logMaxSizeMB = 10
    /// `--max_body`, bytes; `--read_timeout`, `--write_timeout` and `--engine_timeout`, seconds.
    public var maxBodyBytes = Limits.defaultMaxBodyBytes
    public var readTimeoutSeconds = Limits.defaultReadTimeoutSeconds
    public var writeTimeoutSeconds = Limits.defaultWriteTimeoutSeconds
    public var engineTimeoutSeconds = Limits.defaultEngineTimeoutSeconds
    /// `--listen [ADDR:]PORT`: run the spawner on this address.
    public var listen: ListenAddress?
    /// The spawner's caps (`--max_connections`, `--max_per_source`), its idle exit on a
    /// socket passed by systemd (`--idle_timeout`, seconds, 0 = never) and the time
    /// connections may finish after SIGTERM (`--shutdown_grace`, seconds).
    public var maxConnections = Limits.defaultMaxConnections
    public var maxPerSource = Limits.defaultMaxPerSource
    public var idleTimeoutSeconds = Limits.defaultIdleTimeoutSeconds
    public var shutdownGraceSeconds = Limits.defaultShutdownGraceSeconds
    /// `DOCKER_HOST` (not a DS_ variable: the Docker CLI's own).
    public var dockerHost = "unix:///var/run/docker.sock"

    public init() {}

    /// The per-window limit of a rate class (`--low_burst`, `--mid_burst`, `--high_burst`).
    public func limit(for rateClass: RateClass) -> Int {
        switch rateClass {
        case .low: return lowBurst
        case .mid: return midBurst
        case .high: return highBurst
        }
    }
}

/// Where `--listen` binds: an address (IPv4, IPv6 or empty for all) and a TCP port.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
}

/// Log levels in increasing severity (docs/DESIGN.md "Logging").
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, warn, error, fatal
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    /// The level's name as the flag takes it (no reflection: it runs on every start).
    public var name: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        case .fatal: return "fatal"
        }
    }
}

/// What the command line asks the process to do.
public enum Command: Sendable, Equatable {
    /// Serve the one connection on stdin/stdout.
    case serve(Config)
    /// Cluster: publish this node's load once.
    case heartbeat(Config)
    /// Cluster: print the live nodes as this node sees them, in placement order.
    case nodes(Config)
    /// The spawner on the address of `--listen` (or on the sockets systemd passed):
    /// accept, and start one process per connection.
    case listen(Config)
    case help
    case version
}

/// A bad command line or environment: the message names the option.
public struct ConfigError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
