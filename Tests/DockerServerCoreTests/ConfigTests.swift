import Testing
@testable import DockerServerCore

@Suite("Config parsing")
struct ConfigTests {
    static func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws -> Command {
        try Config.parse(arguments: arguments, environment: environment)
    }

    /// The configuration of a `serve` command.
    static func serve(_ arguments: [String], _ environment: [String: String] = [:]) throws -> Config {
        guard case let .serve(config) = try parse(arguments, environment) else { throw ConfigError("not serve") }
        return config
    }

    /// The message of the `ConfigError` thrown, or nil.
    static func message(_ arguments: [String], _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try parse(arguments, environment)
            return nil
        } catch let error as ConfigError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func defaults() throws {
        let config = try Self.serve([])
        #expect(config == Config())
        #expect(config.port == 1717)
        #expect(config.token == nil)
        #expect(config.lowBurst == 60 && config.midBurst == 180 && config.highBurst == 300 && config.authBurst == 10)
        #expect(config.folder == "/tmp/docker-server")
        #expect(config.logLevel == .info)
        #expect(config.maxBodyBytes == 10 * 1024)
        #expect(config.readTimeoutSeconds == 10)
        #expect(config.listen == nil)
        #expect(config.maxConnections == 64 && config.maxPerSource == 16)
        #expect(config.idleTimeoutSeconds == 60 && config.shutdownGraceSeconds == 30)
        #expect(config.dockerHost == "unix:///var/run/docker.sock")
    }

    @Test func flagsAndValues() throws {
        let config = try Self.serve([
            "--port", "2000", "--token", "t0k", "--token_file=/run/tok", "--low_burst", "1", "--mid_burst=2", "--high_burst", "3",
            "--auth_burst", "4", "--folder", "/var/ds", "--log_level", "DEBUG", "--log_file", "/var/log/ds-%DATE%.log",
            "--log_expiry", "3", "--log_max_size", "5", "--max_body", "0", "--read_timeout", "3600", "--max_connections", "4096",
            "--max_per_source", "1", "--idle_timeout", "0", "--shutdown_grace=0",
            "--cert", "/c", "--key", "/k", "--chain", "/ch", "--refresh_rate", "100", "--cache_interval", "0", "--https=false", "--cluster=no",
        ])
        var expected = Config()
        expected.port = 2000
        expected.portGiven = true
        expected.token = "t0k"
        expected.tokenFile = "/run/tok"
        expected.lowBurst = 1
        expected.midBurst = 2
        expected.highBurst = 3
        expected.authBurst = 4
        expected.folder = "/var/ds"
        expected.logLevel = .debug
        expected.logFile = "/var/log/ds-%DATE%.log"
        expected.logExpiryDays = 3
        expected.logMaxSizeMB = 5
        expected.maxBodyBytes = 0
        expected.readTimeoutSeconds = 3600
        expected.maxConnections = 4096
        expected.maxPerSource = 1
        expected.idleTimeoutSeconds = 0
        expected.shutdownGraceSeconds = 0
        expected.certPath = "/c"
        expected.keyPath = "/k"
        expected.chainPath = "/ch"
        expected.chainGiven = true
        expected.refreshRateMs = 100
        expected.cacheIntervalMs = 0
        #expect(config == expected)
    }

    @Test func environmentIsRead() throws {
        let config = try Self.serve([], ["DS_PORT": "2001", "DS_TOKEN": "envtok", "DS_LOG_LEVEL": "warn", "DS_MAX_BODY": "99",
                                         "DOCKER_HOST": "tcp://10.0.0.1:2375", "PORT": "1", "DS_UNKNOWN": "x"])
        #expect(config.port == 2001)
        #expect(config.token == "envtok")
        #expect(config.logLevel == .warn)
        #expect(config.maxBodyBytes == 99)
        #expect(config.dockerHost == "tcp://10.0.0.1:2375")
    }

    @Test func flagsWinOverEnvironment() throws {
        let env = ["DS_PORT": "2001", "DS_TOKEN": "envtok", "DS_LOW_BURST": "7"]
        let config = try Self.serve(["--port", "3000", "--token=flagtok"], env)
        #expect(config.port == 3000)
        #expect(config.token == "flagtok")
        #expect(config.lowBurst == 7)
    }

    @Test func emptyDockerHostKeepsTheDefault() throws {
        #expect(try Self.serve([], ["DOCKER_HOST": ""]).dockerHost == "unix:///var/run/docker.sock")
    }

    @Test func equalsFormKeepsEverythingAfterTheFirstEquals() throws {
        #expect(try Self.serve(["--token=a=b=c"]).token == "a=b=c")
        #expect(try Self.serve(["--token="]).token == "")
        #expect(try Self.serve(["--token", "--port"]).token == "--port")
    }

    @Test func lastFlagWins() throws {
        #expect(try Self.serve(["--port", "1", "--port=2"]).port == 2)
    }

    @Test(arguments: [
        (["--bogus"], "unknown option --bogus (see --help)"),
        (["--bogus=1"], "unknown option --bogus (see --help)"),
        (["--port", "1", "--Port", "2"], "unknown option --Port (see --help)"),
        (["-p", "1"], "unexpected argument \"-p\" (see --help)"),
        (["serve"], "unexpected argument \"serve\" (see --help)"),
        (["heartbeat", "heartbeat"], "unexpected argument \"heartbeat\" (see --help)"),
        (["--port"], "--port: missing value"),
        (["--token"], "--token: missing value"),
        (["--port", "abc"], "--port: expected an integer from 1 to 65535, got \"abc\""),
        (["--port=0"], "--port: expected an integer from 1 to 65535, got \"0\""),
        (["--port", "65536"], "--port: expected an integer from 1 to 65535, got \"65536\""),
        (["--port", " 80"], "--port: expected an integer from 1 to 65535, got \" 80\""),
        (["--low_burst", "0"], "--low_burst: expected an integer from 1 to ∞, got \"0\""),
        (["--high_burst", "1.5"], "--high_burst: expected an integer from 1 to ∞, got \"1.5\""),
        (["--max_body", "-1"], "--max_body: expected an integer from 0 to 4194304, got \"-1\""),
        (["--max_body", "4194305"], "--max_body: expected an integer from 0 to 4194304, got \"4194305\""),
        (["--read_timeout", "0"], "--read_timeout: expected an integer from 1 to 3600, got \"0\""),
        (["--max_connections", "4097"], "--max_connections: expected an integer from 1 to 4096, got \"4097\""),
        (["--max_per_source", "0"], "--max_per_source: expected an integer from 1 to 4096, got \"0\""),
        (["--idle_timeout", "-1"], "--idle_timeout: expected an integer from 0 to 86400, got \"-1\""),
        (["--shutdown_grace", "1h"], "--shutdown_grace: expected an integer from 0 to 3600, got \"1h\""),
        (["--refresh_rate", "99"], "--refresh_rate: expected an integer from 100 to ∞, got \"99\""),
        (["--log_level", "loud"], "--log_level: expected trace, debug, info, warn, error or fatal, got \"loud\""),
        (["--folder", ""], "--folder: must not be empty"),
        (["--log_file="], "--log_file: must not be empty"),
        (["--https=maybe"], "--https: expected true or false, got \"maybe\""),
        (["--advertise", "ftp://x:1"], "--advertise: expected http(s)://ADDRESS:PORT, got \"ftp://x:1\""),
        (["--advertise", "http://1.2.3.4"], "--advertise: expected http(s)://ADDRESS:PORT, got \"http://1.2.3.4\""),
        (["--load", "-1"], "--load: expected a decimal from 0 to 1000 (0.5, 1), got \"-1\""),
        (["--load", "1e2"], "--load: expected a decimal from 0 to 1000 (0.5, 1), got \"1e2\""),
        (["--cluster_secret", "short"], "--cluster_secret: at least 16 characters"),
        (["heartbeat"], "heartbeat: publishes a cluster node's entry; give --cluster (or DS_CLUSTER=1)"),
        (["--s3", "bucket"], "--s3: the S3 store holds cluster mode's entries; give --cluster too (or DS_CLUSTER=1)"),
        (["--cluster", "--s3", "My_Bucket"],
         "--s3: \"My_Bucket\" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)"),
        (["nodes"], "nodes: lists a cluster's live nodes; give --cluster (or DS_CLUSTER=1)"),
    ])
    func errorsNameTheOption(arguments: [String], message: String) {
        #expect(Self.message(arguments) == message)
    }

    @Test(arguments: [
        (["DS_PORT": "abc"], "DS_PORT: expected an integer from 1 to 65535, got \"abc\""),
        (["DS_LOW_BURST": "-5"], "DS_LOW_BURST: expected an integer from 1 to ∞, got \"-5\""),
        (["DS_LOG_LEVEL": "loud"], "DS_LOG_LEVEL: expected trace, debug, info, warn, error or fatal, got \"loud\""),
        (["DS_LISTEN": "x"], "DS_LISTEN: expected [ADDR:]PORT or ADDR (e.g. 1717, 127.0.0.1:1717, [::1]:1717, 127.0.0.1), got \"x\""),
        (["DS_HTTPS": "sometimes"], "DS_HTTPS: expected true or false, got \"sometimes\""),
    ])
    func environmentErrorsNameTheVariable(environment: [String: String], message: String) {
        #expect(Self.message([], environment) == message)
    }

    @Test(arguments: [["--help"], ["-h"], ["--port", "1", "--help"], ["--help", "--bogus"], ["heartbeat", "--help"]])
    func help(arguments: [String]) throws {
        #expect(try Self.parse(arguments) == .help)
    }

    @Test(arguments: [["--version"], ["-V"], ["--token", "x", "--version"]])
    func version(arguments: [String]) throws {
        #expect(try Self.parse(arguments) == .version)
    }

    @Test func heartbeat() throws {
        var expected = Config()
        expected.folder = "/shared"
        expected.cluster = true
        #expect(try Self.parse(["heartbeat", "--cluster", "--folder", "/shared"]) == .heartbeat(expected))
        #expect(try Self.parse(["--folder", "/shared", "--cluster", "heartbeat"]) == .heartbeat(expected))
    }

    @Test func clusterOptions() throws {
        let config = try Self.serve(["--cluster", "--advertise", "https://node-1.example:8443/", "--load", "0.25",
                                     "--cluster_secret", "0123456789abcdef"])
        #expect(config.cluster && config.advertise == "https://node-1.example:8443" && config.loadMicros == 250_000)
        #expect(config.clusterSecret == "0123456789abcdef" && config.refreshRateMs == 30_000 && config.cacheIntervalMs == 3000)
    }

    @Test(arguments: [
        ("1717", "", 1717),
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("0.0.0.0:1", "0.0.0.0", 1),
        (":65535", "", 65535),
        ("localhost:1717", "127.0.0.1", 1717),
        ("[::1]:1717", "::1", 1717),
        ("[::]:80", "::", 80),
        ("[2001:db8::7]:443", "2001:db8::7", 443),
        // An address alone listens on --port (default 1717).
        ("127.0.0.1", "127.0.0.1", 1717),
        ("localhost", "127.0.0.1", 1717),
        ("[::1]", "::1", 1717),
        ("::1", "::1", 1717),
    ])
    func listenForms(text: String, host: String, port: Int) throws {
        guard case let .listen(config) = try Self.parse(["--listen", text]) else { Issue.record("not listen"); return }
        #expect(config.listen == ListenAddress(host: host, port: port))
        guard case let .listen(fromEquals) = try Self.parse(["--listen=\(text)"]) else { Issue.record("not listen"); return }
        #expect(fromEquals.listen == ListenAddress(host: host, port: port))
    }

    @Test func listenFromEnvironment() throws {
        guard case let .listen(config) = try Self.parse(["--max_connections", "8"], ["DS_LISTEN": "127.0.0.1:9000"]) else {
            Issue.record("not listen"); return
        }
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(config.maxConnections == 8)
    }

    @Test func listenAddressAloneUsesPort() throws {
        guard case let .listen(config) = try Self.parse(["--listen", "127.0.0.1", "--port", "9000"]) else {
            Issue.record("not listen"); return
        }
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 9000))
        guard case let .listen(fromEnvironment) = try Self.parse([], ["DS_LISTEN": "[::1]", "DS_PORT": "9001"]) else {
            Issue.record("not listen"); return
        }
        #expect(fromEnvironment.listen == ListenAddress(host: "::1", port: 9001))
    }

    @Test(arguments: ["", "0", "65536", "abc", "127.0.0.1:", "[::1]:", "[::1]1717", "[zz]:80",
                      "[:::]:80", "1.2.3:80", "example.com:80", "256.1.1.1:80", "127.0.0.1:80:80", "*:80", "-1"])
    func badListenValues(text: String) {
        #expect(Self.message(["--listen", text]) == "--listen: expected [ADDR:]PORT or ADDR (e.g. 1717, 127.0.0.1:1717, [::1]:1717, 127.0.0.1), got \"\(text)\"")
    }

    @Test func everyOptionHasADSVariableAndIsInTheHelp() {
        for option in Config.options {
            #expect(option.environmentName == "DS_" + option.name.uppercased())
            #expect(Config.helpText.contains("--" + option.name), "--\(option.name) missing from --help")
        }
        #expect(Config.options.map(\.name).count == Set(Config.options.map(\.name)).count)
    }

    @Test func everyOptionIsReadFromTheEnvironment() throws {
        // Each option with a value that the parser accepts, set through DS_<NAME>, changes the config.
        let values: [String: String] = [
            "port": "2", "token": "t", "token_file": "/f", "low_burst": "2", "mid_burst": "2", "high_burst": "2", "auth_burst": "2",
            "https": "false", "cert": "/c", "key": "/k", "chain": "/ch", "cluster": "false", "refresh_rate": "200",
            "cache_interval": "5", "folder": "/x", "log_level": "error", "log_file": "/l", "log_expiry": "2", "log_max_size": "2",
            "max_body": "2", "read_timeout": "2", "max_connections": "2", "rate_window": "2",
            "max_per_source": "2", "idle_timeout": "2", "shutdown_grace": "2", "write_timeout": "2", "engine_timeout": "2",
            "advertise": "http://127.0.0.1:2", "load": "0.5", "cluster_secret": "0123456789abcdef",
        ]
        for option in Config.options where option.name != "listen" && option.name != "s3" {
            guard let value = values[option.name] else { Issue.record("no test value for \(option.name)"); continue }
            let config = try Self.serve([], [option.environmentName: value])
            if option.name == "https" || option.name == "cluster" { continue }
            #expect(config != Config(), "\(option.environmentName) had no effect")
        }
    }

    @Test func logLevels() {
        #expect(LogLevel.allCases.map(\.name) == ["trace", "debug", "info", "warn", "error", "fatal"])
        #expect(LogLevel.trace < LogLevel.debug)
        #expect(LogLevel.error < LogLevel.fatal)
        #expect(!(LogLevel.info < LogLevel.info))
    }

    @Test(arguments: ["trace", "DEBUG", "Info", "warn", "error", "fatal"])
    func logLevelNamesAnyCase(name: String) throws {
        #expect(try Self.serve(["--log_level", name]).logLevel.name == name.lowercased())
    }

    @Test func helpTextMentionsTheCommands() {
        #expect(Config.helpText.hasPrefix("docker-server — "))
        #expect(Config.helpText.contains("docker-server heartbeat [options]"))
        #expect(Config.helpText.contains("--listen [ADDR:]PORT"))
        #expect(Config.helpText.contains("DS_<NAME>"))
    }

    @Test func versionIsSemantic() {
        let parts = Version.current.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}

@Suite("Config logging settings")
struct ConfigLoggingSettingsTests {
    @Test func logOptionsSurviveOtherBadOptions() {
        let config = Config.loggingSettings(arguments: ["--max_body", "10k", "--log_file", "/x-%DATE%.log", "--log_level=debug"],
                                            environment: ["DS_LOG_LEVEL": "error"])
        #expect(config.logFile == "/x-%DATE%.log")
        #expect(config.logLevel == .debug)
        let fromEnvironment = Config.loggingSettings(arguments: ["--log_level", "nonsense"], environment: ["DS_LOG_FILE": "/y.log"])
        #expect(fromEnvironment.logFile == "/y.log")
        #expect(fromEnvironment.logLevel == .info)
    }
}

@Suite("Config https for errors")
struct ConfigHTTPSForErrorsTests {
    @Test func httpsIsKnownEvenWhenAnotherOptionIsBad() {
        #expect(Config.loggingSettings(arguments: ["--https", "--max_body", "x"], environment: [:]).https)
        #expect(Config.loggingSettings(arguments: ["--https=true"], environment: [:]).https)
        #expect(Config.loggingSettings(arguments: [], environment: ["DS_HTTPS": "yes"]).https)
        #expect(!Config.loggingSettings(arguments: ["--max_body", "x"], environment: [:]).https)
    }
}
