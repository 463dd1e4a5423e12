extension Config {
    /// One option: its flag name (without `--`), whether it takes a value, and how it is applied.
    struct Option: Sendable {
        let name: String
        let takesValue: Bool
        let apply: @Sendable (inout Config, String) throws(ConfigError) -> Void
        var environmentName: String { "DS_" + name.uppercased() }
    }

    static func int(_ name: String, _ text: String, min: Int, max: Int = Int.max) throws(ConfigError) -> Int {
        guard let value = Int(text), value >= min, value <= max else {
            throw ConfigError("--\(name): expected an integer from \(min) to \(max == Int.max ? "∞" : String(max)), got \"\(text)\"")
        }
        return value
    }

    static func bool(_ name: String, _ text: String) throws(ConfigError) -> Bool {
        guard let value = RequestFields.parseBool(text) else {
            throw ConfigError("--\(name): expected true or false, got \"\(text)\"")
        }
        return value
    }

    static let options: [Option] = [
        Option(name: "port", takesValue: true) { c, v throws(ConfigError) in
            c.port = try int("port", v, min: 1, max: 65535)
            c.portGiven = true
        },
        Option(name: "token", takesValue: true) { c, v in c.token = v },
        Option(name: "token_file", takesValue: true) { c, v in c.tokenFile = v },
        Option(name: "low_burst", takesValue: true) { c, v throws(ConfigError) in c.lowBurst = try int("low_burst", v, min: 1) },
        Option(name: "mid_burst", takesValue: true) { c, v throws(ConfigError) in c.midBurst = try int("mid_burst", v, min: 1) },
        Option(name: "high_burst", takesValue: true) { c, v throws(ConfigError) in c.highBurst = try int("high_burst", v, min: 1) },
        Option(name: "auth_burst", takesValue: true) { c, v throws(ConfigError) in c.authBurst = try int("auth_burst", v, min: 1) },
        Option(name: "rate_window", takesValue: true) { c, v throws(ConfigError) in c.rateWindowSeconds = try int("rate_window", v, min: 1, max: 86400) },
        Option(name: "https", takesValue: false) { c, v throws(ConfigError) in c.https = try bool("https", v) },
        Option(name: "cert", takesValue: true) { c, v in c.certPath = v },
        Option(name: "key", takesValue: true) { c, v in c.keyPath = v },
        Option(name: "chain", takesValue: true) { c, v in
            c.chainPath = v
            c.chainGiven = true
        },
        Option(name: "cluster", takesValue: false) { c, v throws(ConfigError) in c.cluster = try bool("cluster", v) },
        Option(name: "refresh_rate", takesValue: true) { c, v throws(ConfigError) in c.refreshRateMs = try int("refresh_rate", v, min: 100) },
        Option(name: "cache_interval", takesValue: true) { c, v throws(ConfigError) in c.cacheIntervalMs = try int("cache_interval", v, min: 0) },
        Option(name: "folder", takesValue: true) { c, v throws(ConfigError) in
            guard !v.isEmpty else { throw ConfigError("--folder: must not be empty") }
            c.folder = v
        },
        Option(name: "s3", takesValue: true) { c, v throws(ConfigError) in
            guard S3Location.isBucketName(v) else {
                throw ConfigError("--s3: \"\(v)\" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)")
            }
            c.s3Bucket = v
        },
        Option(name: "advertise", takesValue: true) { c, v throws(ConfigError) in
            guard let url = try? NodeURL(v) else { throw ConfigError("--advertise: expected http(s)://ADDRESS:PORT, got \"\(v)\"") }
            c.advertise = url.description
        },
        Option(name: "load", takesValue: true) { c, v throws(ConfigError) in
            guard let micros = ClusterEntry.parseMicros(v) else { throw ConfigError("--load: expected a decimal from 0 to 1000 (0.5, 1), got \"\(v)\"") }
            c.loadMicros = micros
        },
        Option(name: "cluster_secret", takesValue: true) { c, v throws(ConfigError) in
            guard v.utf8.count >= 16 else { throw ConfigError("--cluster_secret: at least 16 characters") }
            c.clusterSecret = v
        },
        Option(name: "log_level", takesValue: true) { c, v throws(ConfigError) in
            guard let level = LogLevel.allCases.first(where: { $0.name == v.lowercased() }) else {
                throw ConfigError("--log_level: expected trace, debug, info, warn, error or fatal, got \"\(v)\"")
            }
            c.logLevel = level
        },
        Option(name: "log_file", takesValue: true) { c, v throws(ConfigError) in
            guard !v.isEmpty else { throw ConfigError("--log_file: must not be empty") }
            c.logFile = v
        },
        Option(name: "log_expiry", takesValue: true) { c, v throws(ConfigError) in c.logExpiryDays = try int("log_expiry", v, min: 1) },
        Option(name: "log_max_size", takesValue: true) { c, v throws(ConfigError) in c.logMaxSizeMB = try int("log_max_size", v, min: 1) },
        Option(name: "max_body", takesValue: true) { c, v throws(ConfigError) in c.maxBodyBytes = try int("max_body", v, min: 0, max: Limits.maxBodyBytesCeiling) },
        Option(name: "read_timeout", takesValue: true) { c, v throws(ConfigError) in c.readTimeoutSeconds = try int("read_timeout", v, min: 1, max: 3600) },
        Option(name: "write_timeout", takesValue: true) { c, v throws(ConfigError) in c.writeTimeoutSeconds = try int("write_timeout", v, min: 1, max: 3600) },
        Option(name: "engine_timeout", takesValue: true) { c, v throws(ConfigError) in c.engineTimeoutSeconds = try int("engine_timeout", v, min: 1, max: 3600) },
        Option(name: "listen", takesValue: true) { c, v throws(ConfigError) in c.listen = try parseListen(v) },
        Option(name: "max_connections", takesValue: true) { c, v throws(ConfigError) in c.maxConnections = try int("max_connections", v, min: 1, max: 4096) },
        Option(name: "max_per_source", takesValue: true) { c, v throws(ConfigError) in c.maxPerSource = try int("max_per_source", v, min: 1, max: 4096) },
        Option(name: "idle_timeout", takesValue: true) { c, v throws(ConfigError) in c.idleTimeoutSeconds = try int("idle_timeout", v, min: 0, max: 86400) },
        Option(name: "shutdown_grace", takesValue: true) { c, v throws(ConfigError) in c.shutdownGraceSeconds = try int("shutdown_grace", v, min: 0, max: 3600) },
    ]

    /// `[ADDR:]PORT`, `[IPv6]:PORT`, or an address alone (`127.0.0.1`, `[::1]`, `::1`,
    /// `localhost`), whose port is then `--port`'s (port 0 here, filled in by `parse`).
    static func parseListen(_ text: String) throws(ConfigError) -> ListenAddress {
        let bad = ConfigError("--listen: expected [ADDR:]PORT or ADDR (e.g. 1717, 127.0.0.1:1717, [::1]:1717, 127.0.0.1), got \"\(text)\"")
        guard !text.isEmpty else { throw bad }
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw bad }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw bad }
                portText = rest.dropFirst()
            }
            guard PortBinding.isIPv6(host) else { throw bad }
        } else if PortBinding.isIPv6(text) {
            host = text
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        } else if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
            host = ""
            portText = Substring(text)
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard host.isEmpty || PortBinding.isIPv4(host) || PortBinding.isIPv6(host) else { throw bad }
        guard let portText else { return ListenAddress(host: host, port: 0) }
        guard let port = PortBinding.port(portText) else { throw bad }
        return ListenAddress(host: host, port: port)
    }

    /// Best effort, for reporting a configuration error where it will be read (and not in
    /// clear text to a TLS client): only `--log_file`, `--log_level` and `--https` (flags or
    /// `DS_` variables), each skipped when bad.
    public static func loggingSettings(arguments: [String], environment: [String: String]) -> Config {
        var config = Config()
        for option in options where option.name == "log_file" || option.name == "log_level" || option.name == "https" {
            if let value = environment[option.environmentName] { try? option.apply(&config, value) }
            for (i, argument) in arguments.enumerated() {
                if argument == "--" + option.name, !option.takesValue {
                    try? option.apply(&config, "true")
                } else if argument == "--" + option.name, i + 1 < arguments.count {
                    try? option.apply(&config, arguments[i + 1])
                } else if argument.hasPrefix("--" + option.name + "=") {
                    try? option.apply(&config, String(argument.dropFirst(option.name.count + 3)))
                }
            }
        }
        return config
    }

    /// Parses the command line (without the program name) and the environment.
    /// Flags take `--name value` or `--name=value`; switches (`--https`, `--cluster`) take no
    /// value or `=true|false`. `DS_<NAME>` variables apply first, flags after them.
    /// - Throws: `ConfigError` naming the option for unknown options, missing or bad values,
    ///   and options that need another (`--s3` without `--cluster`).
    public static func parse(arguments: [String], environment: [String: String]) throws(ConfigError) -> Command {
        var config = Config()
        if let host = environment["DOCKER_HOST"], !host.isEmpty { config.dockerHost = host }
        for option in options {
            if let value = environment[option.environmentName] {
                do { try option.apply(&config, value) } catch {
                    throw ConfigError("\(option.environmentName): " + error.message.drop { $0 != ":" }.dropFirst(2))
                }
            }
        }
        var subcommand: String?
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--help" || argument == "-h" { return .help }
            if argument == "--version" || argument == "-V" { return .version }
            guard argument.hasPrefix("--") else {
                guard subcommand == nil, argument == "heartbeat" || argument == "nodes" else {
                    throw ConfigError("unexpected argument \"\(argument)\" (see --help)")
                }
                subcommand = argument
                continue
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inlineValue = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let option = options.first(where: { $0.name == name }) else {
                throw ConfigError("unknown option --\(name) (see --help)")
            }
            var value: String
            if let inlineValue {
                value = inlineValue
            } else if !option.takesValue {
                value = "true"
            } else {
                guard i < arguments.count else { throw ConfigError("--\(name): missing value") }
                value = arguments[i]
                i += 1
            }
            try option.apply(&config, value)
        }
        if config.s3Bucket != nil, !config.cluster {
            throw ConfigError("--s3: the S3 store holds cluster mode's entries; give --cluster too (or DS_CLUSTER=1)")
        }
        if subcommand == "heartbeat" {
            guard config.cluster else { throw ConfigError("heartbeat: publishes a cluster node's entry; give --cluster (or DS_CLUSTER=1)") }
            return .heartbeat(config)
        }
        if subcommand == "nodes" {
            guard config.cluster else { throw ConfigError("nodes: lists a cluster's live nodes; give --cluster (or DS_CLUSTER=1)") }
            return .nodes(config)
        }
        guard var listen = config.listen else { return .serve(config) }
        if listen.port == 0 { listen.port = config.port }
        config.listen = listen
        return .listen(config)
    }

    /// The `--help` text.
    public static let helpText = """
    docker-server — run Docker containers on this machine through a small token-protected REST API.

    Usage:
      docker-server [options]                  serve one HTTP connection on stdin/stdout
                                               (xinetd, systemd Accept=yes, or a piped request);
                                               given a listening socket by systemd (Accept=no),
                                               run the spawner on it
      docker-server --listen [ADDR:]PORT [options]
                                               the spawner: accept connections and start one
                                               docker-server process per connection
      docker-server heartbeat [options]        cluster mode: publish this node's load once
      docker-server nodes [options]            cluster mode: print the live nodes as this node
                                               sees them, in PUT placement order (JSON)

    Options (each also read from DS_<NAME>, e.g. DS_TOKEN; flags win):
      --token TOKEN          API token (or DS_TOKEN, --token_file, $CREDENTIALS_DIRECTORY/token)
      --token_file PATH      file holding the token
      --port N               port for --listen given an address alone (1717)
      --listen [ADDR:]PORT   run the spawner on this address (or --listen ADDR, on --port);
                             it refuses to start without a usable token
      --max_connections N    spawner: connection processes at once; past it 503 (64)
      --max_per_source N     spawner: connection processes at once per client address; past
                             it 503 (16)
      --idle_timeout S       spawner on a socket passed by systemd: exit after S seconds
                             without connections, 0 = never (60)
      --shutdown_grace S     spawner: on SIGTERM/SIGINT stop accepting and let connections
                             finish for S seconds, then end them as a client hang-up does (30)
      --max_body BYTES       request body limit (10240; at most 4194304)
      --read_timeout S       seconds a client has to send its request (10)
      --write_timeout S      seconds a client may take no bytes of the answer before it is
                             dropped (30)
      --engine_timeout S     seconds an engine call may take, past them 504 (60); pulls may
                             take 1800, attached runs 86400 (then their container is killed)
      --low_burst N          pull/run/exec requests per window per client IP (60)
      --mid_burst N          rm requests per window per client IP (180)
      --high_burst N         ps/logs requests per window per client IP (300)
      --auth_burst N         failed authentications per window per client IP (10)
      --rate_window S        rate-limit window in seconds (60)
      --folder PATH          shared folder for rate limits and cluster state (/tmp/docker-server)
      --log_level L          trace|debug|info|warn|error|fatal (info)
      --log_file PATTERN     log file, %DATE% = YYYY-MM-DD-HH (/tmp/docker-server-%DATE%.log);
                             `syslog` for syslog(3); the journal under systemd
      --log_expiry DAYS      on starting a new log file, delete those not written for DAYS (7)
      --log_max_size MiB     size cap per log file, then NAME.1, NAME.2, ... (10)
      --https                TLS on the connection (OpenSSL 3, loaded only then)
      --cert PATH            certificate (/certs/cert.pem)
      --key PATH             private key (/certs/privkey.pem)
      --chain PATH           intermediate certificates sent after the certificate (/certs/chain.pem;
                             the default may be absent, a file named with --chain must exist)
      --cluster              cluster mode: nodes publish entries in --folder (or --s3); PUT runs on the
                             least-loaded live node, other requests go to all and are merged
      --advertise URL        this node's http(s)://ADDRESS:PORT (else the connection's local
                             address and --port)
      --load X               publish load X instead of the measured one (1 drains the node)
      --cluster_secret S     key of the signed entries and forwarded requests (else the token)
      --refresh_rate MS      how often the heartbeat publishes; entries older than 3x are
                             never chosen (30000)
      --cache_interval MS    how long a read of the entries is reused (3000)
      --s3 BUCKET            cluster mode: entries are objects in this S3 bucket under the
                             key prefix --folder (rate limits stay in the local --folder);
                             credentials, region and endpoint from AWS_* and ~/.aws as the
                             AWS CLI reads them (AWS_ENDPOINT_URL for other S3 APIs)
      --help, --version

    Environment: DOCKER_HOST (unix:///var/run/docker.sock or tcp://HOST:PORT).
    Exit codes: 0 a response was written, 1 the client vanished or timed out,
                100 usage or configuration error, 111 a system dependency failed.
    """
}
