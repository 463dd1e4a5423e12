import Glibc
import DockerServerCore
import DockerServerIO

// Wiring only. A write to a vanished client must be an error, not death (xinetd does not
// ignore SIGPIPE for us).
signal(SIGPIPE, SIG_IGN)

// Only the variables docker-server reads: DS_* and a few standard ones.
var environment: [String: String] = [:]
for name in ["DOCKER_HOST", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY", "REMOTE_ADDR", "REMOTE_HOST"] {
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
/// an HTTP 503 and the message goes to the log (SPEC §4: nothing but HTTP to the client).
@MainActor func fail(_ message: String) -> Never {
    if Syscalls.isSocket(0) {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let settings = Config.loggingSettings(arguments: arguments, environment: environment)
        Logger(config: settings, environment: environment).log(.fatal, "bad_configuration", [("detail", message)])
        // A TLS client must not get clear text: with --https asked for, just close.
        if settings.https { exit(100) }
        let error = HTTPError(503, "docker-server is misconfigured and cannot serve requests; its log says why", reason: "bad_configuration")
        Syscalls.writeAll(1, error.response.serialize(date: Logger.httpDate()), deadline: Syscalls.monotonicMs() + 5000)
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

switch command {
case .help:
    print(Config.helpText)
case .version:
    print("docker-server \(Version.current)")
case .serve(let config):
    do { _ = try EngineEndpoint(config.dockerHost) } catch { fail(error.message) }
    let logger = Logger(config: config, environment: environment)
    exit(Connection(config: config, environment: environment, logger: logger).serve())
case .listen(let config):
    do { _ = try EngineEndpoint(config.dockerHost) } catch { fail(error.message) }
    guard let address = config.listen else { fail("--listen: missing address") }
    #if DS_NO_TLS
    if config.https { fail("--https: this docker-server was built without TLS support (DS_NO_TLS)") }
    #else
    if config.https {
        do throws(TLSError) { try TLSChannel.check(config: config) } catch { fail("--https: \(error.message)") }
    }
    #endif
    let logger = Logger(config: config, environment: environment)
    exit(Listener.run(config: config, address: address, childArguments: Listener.withoutListen(arguments), logger: logger))
case .heartbeat:
    fail("heartbeat: cluster mode is not available in this version yet")
}
