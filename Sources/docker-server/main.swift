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

func fail(_ message: String) -> Never {
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
    let logger = Logger(config: config, environment: environment)
    exit(Listener.run(config: config, address: address, childArguments: Listener.withoutListen(arguments), logger: logger))
case .heartbeat:
    fail("heartbeat: cluster mode is not available in this version yet")
}
