import Glibc
import DockerServerCore
import DockerServerIO

// Wiring only. A write to a vanished client must be an error, not death (xinetd does not
// ignore SIGPIPE for us).
signal(SIGPIPE, SIG_IGN)

// Only the variables docker-server reads: DS_* and a few standard ones.
var environment: [String: String] = [:]
for name in ["DOCKER_HOST", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY", "CACHE_DIRECTORY", "REMOTE_ADDR", "REMOTE_HOST"] + SocketActivation.variableNames
    + AWSSettings.variableNames {
    if let value = getenv(name) { environment[name] = String(cString: value) }
}
var entry = environ
while let pointer = entry.pointee {
    if pointer[0] == 0x44, pointer[1] == 0x53, pointer[2] == 0x5F {  // "DS_"
        let text = String(cString: pointer)
        if let eq = text.firstIndex(of: "=") { environment[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
    }
    entry += 1
}

/// Usage and configuration errors: exit 100 with the message on stderr, except on a
/// connection (inetd, systemd), where stderr may be the client's socket: there the client gets
/// an HTTP 503 and the message goes to the log (docs/API.md "HTTP": nothing but HTTP to the client).
@MainActor func fail(_ message: String) -> Never {
    if Syscalls.isSocket(0) {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let settings = Config.loggingSettings(arguments: arguments, environment: environment)
        Logger(config: settings, environment: environment).log(.fatal, "bad_configuration", [("detail", message)])
        // A TLS client must not get clear text: with --https asked for, just close.
        if settings.https { exit(100) }
        let error = HTTPError(503, "docker-server is misconfigured and cannot serve requests; its log says why", reason: .badConfiguration)
        // A HEAD request gets no body: wait briefly for the request's first bytes to tell.
        let head = Syscalls.startsWithHead(0, waitMs: Int32(Limits.refusedRequestWaitMs))
        Syscalls.setNonBlocking(1)
        Syscalls.writeAll(1, (head ? error.headResponse : error.response).serialize(omitBody: head, date: Logger.httpDate()),
                          stallTimeoutMs: 5000)
        shutdown(1, Int32(SHUT_WR))
        Syscalls.drain(0)
        exit(100)
    }
    let text = "docker-server: \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    exit(100)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let command: Command
do { command = try Config.parse(arguments: arguments, environment: environment) } catch { fail(error.message) }

/// The spawner refuses to start, with the reason on stderr and in the log (under systemd
/// both are the journal: one line then): exit 100 for configuration, 111 for the system.
@MainActor func refuseToStart(_ config: Config, _ message: String, code: Int32 = 100) -> Never {
    let logger = Logger(config: config, environment: environment)
    logger.log(.fatal, "start_refused", [("detail", message)])
    if !logger.writesToStderr {
        let text = "docker-server: \(message)\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
    exit(code)
}

/// Runs the spawner on `sockets`, or on `address` when there are none, after checking what
/// every connection would need: the engine address, the token, the TLS files, the S3 settings.
@MainActor func spawner(_ config: Config, sockets inherited: [Spawner.ListeningSocket], address: ListenAddress?) -> Never {
    do { _ = try EngineEndpoint(config.dockerHost) } catch { refuseToStart(config, error.message) }
    let (token, problem) = TokenSource.resolve(config: config, environment: environment)
    if token == nil { refuseToStart(config, "refusing to start without a usable API token: \(problem ?? "none configured")") }
    #if DS_NO_TLS
    if config.https { refuseToStart(config, "--https: this docker-server was built without TLS support (DS_NO_TLS)") }
    #else
    if config.https {
        do throws(TLSError) { try TLSChannel.check(config: config) } catch { refuseToStart(config, "--https: \(error.message)") }
    }
    #endif
    if let bucket = config.s3Bucket {
        // Every connection would find the same settings: say what is missing now.
        do throws(ConfigError) {
            let settings = try S3Store.settings(environment: environment)
            _ = try S3Location(bucket: bucket, folder: config.folder, region: settings.region, endpointURL: settings.endpointURL)
        } catch {
            refuseToStart(config, error.message)
        }
    }
    var sockets = inherited
    if sockets.isEmpty, let address {
        switch Spawner.bind(address) {
        case .success(let socket): sockets = [socket]
        case .failure(let error): refuseToStart(config, error.message, code: 111)
        }
    }
    let logger = Logger(config: config, environment: environment)
    logger.port = sockets.first.flatMap { Spawner.localPort($0.fd) }
    exit(Spawner(config: config, sockets: sockets, inherited: !inherited.isEmpty,
                 childArguments: Spawner.withoutListen(arguments), logger: logger).run())
}

switch command {
case .help:
    print(Config.helpText)
case .version:
    print("docker-server \(Version.current)")
case .serve(let config):
    // Listening sockets passed by systemd (Accept=no): this process is the spawner.
    let inherited = Spawner.inheritedSockets(environment: environment)
    if !inherited.isEmpty { spawner(config, sockets: inherited, address: nil) }
    do { _ = try EngineEndpoint(config.dockerHost) } catch { fail(error.message) }
    let logger = Logger(config: config, environment: environment)
    logger.port = Spawner.localPort(0)
    exit(Connection(config: config, environment: environment, logger: logger).serve())
case .listen(let config):
    // Sockets passed by systemd are served instead of binding the address.
    spawner(config, sockets: Spawner.inheritedSockets(environment: environment), address: config.listen)
case .heartbeat(let config), .nodes(let config):
    let logger = Logger(config: config, environment: environment)
    let (token, problem) = TokenSource.resolve(config: config, environment: environment)
    guard let secret = config.clusterSecret ?? token else {
        fail("no cluster key: give --cluster_secret, or the API token (\(problem ?? "none configured"))")
    }
    let nodes: ClusterNodes
    do throws(ConfigError) {
        nodes = try ClusterNodes(config: config, secret: secret, environment: environment, logger: logger,
                                 selfURL: ClusterNodes.advertisedURL(config: config, fd: nil))
    } catch {
        fail(error.message)
    }
    if case .nodes = command {
        // The live entries, least loaded first: where a PUT would be placed.
        do throws(HTTPError) {
            print(String(decoding: ClusterEntry.listing(try nodes.live()).serialized, as: UTF8.self))
        } catch {
            fail("nodes: \(error.message)")
        }
    } else {
        // Publishes this node's entry once (a systemd timer or cron runs it every --refresh_rate).
        do throws(StoreError) { try nodes.publish() } catch { fail("heartbeat: \(error.message)") }
        logger.log(.info, "cluster_published", [("node", nodes.selfURL ?? "-"), ("load", nodes.ownEntry?.loadText ?? "-")])
    }
}
