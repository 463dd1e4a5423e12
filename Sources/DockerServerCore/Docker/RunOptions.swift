/// The fields of a run request (docs/API.md "PUT /", `docker run`), validated.
public struct RunOptions: Equatable, Sendable {
    public var image: ImageReference
    public var name: String
    /// `--rm`.
    public var remove: Bool
    /// `-d`.
    public var detach: Bool
    public var ports: [PortBinding]
    public var volumes: [VolumeBinding]
    /// The command (CMD); nil keeps the image's.
    public var argv: [String]?
    /// `--entrypoint` as argv; nil keeps the image's, `[""]` (the field given empty, as
    /// `docker run --entrypoint ''`) clears it.
    public var entrypoint: [String]?
    /// `-e`: `KEY=VALUE` entries, in order.
    public var environment: [String] = []
    /// `-w`, `-u`, `-h`, `--network`: nil keeps the image's or the engine's default.
    public var workdir: String?
    public var user: String?
    public var hostname: String?
    public var network: String?
    /// `--label`, in order.
    public var labels: [RequestFields.Pair] = []
    /// `--restart`; nil: the engine's default (`no`).
    public var restart: RunSettings.RestartPolicy?
    /// `-m`, bytes; `--cpus` as CPUs × 10⁹.
    public var memoryBytes: Int64?
    public var nanoCPUs: Int64?
    /// `--init`; nil: the engine's default.
    public var runsInit: Bool?
    /// `--read-only`: the container's root file system mounted read-only.
    public var readOnly: Bool
    /// The container's stdin, then end-of-file (`echo input | docker run -i`); attached runs
    /// only.
    public var input: [UInt8]?
    /// `-i`: stdin attached; without `input` it is at end-of-file at once.
    public var interactive: Bool
    /// `-t`: a terminal; the output comes unframed, all on stdout.
    public var tty: Bool

    /// stdin is attached (and given `input`, or end-of-file) in an attached run with
    /// `interactive`, `input` or `tty`: a command reading a terminal nobody types into would
    /// wait for ever.
    public var attachesStdin: Bool { !detach && (interactive || input != nil || tty) }

    /// Reads and validates the fields; `defaultName` (a UUID) is used when `name` is absent.
    /// - Throws: `HTTPError` 400 naming the bad or unknown field.
    public init(fields: RequestFields, defaultName: String) throws(HTTPError) {
        try FieldSchema.run.check(fields)
        guard let image = try fields.text("image"), !image.isEmpty else {
            throw HTTPError.badRequest("field \"image\" is required (e.g. image=redis:7)", reason: .missingImage)
        }
        self.image = try ImageReference(image)
        let name = try fields.text("name") ?? ""
        self.name = name.isEmpty ? defaultName : try ContainerReference.validate(name, what: "container name", field: "name")
        remove = try fields.bool("remove")
        detach = try fields.bool("detach")
        var ports: [PortBinding] = []
        for pair in try fields.map("ports") {
            ports.append(try PortBinding(host: pair.key, container: pair.value))
        }
        self.ports = ports
        var volumes: [VolumeBinding] = []
        for pair in try fields.map("volumes") {
            volumes.append(try VolumeBinding(host: pair.key, container: pair.value))
        }
        self.volumes = volumes
        argv = try fields.argv()
        entrypoint = try fields.argv("entrypoint") ?? (fields.values["entrypoint"] == nil ? nil : [""])
        environment = try RunSettings.environment(fields.values["env"])
        workdir = try fields.text("workdir").map { (text) throws(HTTPError) in try RunSettings.workdir(text) }
        user = try fields.text("user").map { (text) throws(HTTPError) in try RunSettings.user(text) }
        hostname = try fields.text("hostname").map { (text) throws(HTTPError) in try RunSettings.hostname(text) }
        network = try fields.text("network").map { (text) throws(HTTPError) in try RunSettings.network(text) }
        labels = try RunSettings.labels(try fields.map("labels"))
        restart = try fields.text("restart").map { (text) throws(HTTPError) in try RunSettings.restart(text) }
        memoryBytes = try fields.text("memory").map { (text) throws(HTTPError) in try RunSettings.memoryBytes(text) }
        nanoCPUs = try fields.text("cpus").map { (text) throws(HTTPError) in try RunSettings.nanoCPUs(text) }
        runsInit = fields.values["init"] == nil ? nil : try fields.bool("init")
        readOnly = try fields.bool("read_only")
        input = try fields.bytes("input")
        interactive = try fields.bool("interactive")
        tty = try fields.bool("tty")
        if remove, let restart, restart.name != "no" {
            throw HTTPError.badRequest("fields \"restart\" and \"remove\" conflict: a container removed when it exits cannot be restarted (as docker run's --restart and --rm)",
                                       reason: .badField)
        }
        if detach, input != nil {
            throw HTTPError.badRequest("field \"input\" is given to an attached run's stdin: not with detach", reason: .badField)
        }
    }

    /// The Engine API ContainerCreate body: image, command, entry point, environment, working
    /// directory, user, host name, labels, attach flags, exposed ports and `HostConfig`
    /// (PortBindings, Binds, AutoRemove, RestartPolicy, Memory, NanoCpus, NetworkMode, Init,
    /// ReadonlyRootfs). Settings not given are left out: the image's or engine's default holds.
    public var createConfig: JSON {
        var exposed: [(String, JSON)] = []
        var bindings: [(String, JSON)] = []
        for port in ports {
            let binding = JSON.object([("HostIp", .string(port.hostIP)), ("HostPort", .string(String(port.hostPort)))])
            if let index = bindings.firstIndex(where: { $0.0 == port.containerKey }), case let .array(list) = bindings[index].1 {
                bindings[index].1 = .array(list + [binding])
            } else {
                exposed.append((port.containerKey, .object([])))
                bindings.append((port.containerKey, .array([binding])))
            }
        }
        var config: [(String, JSON)] = [("Image", .string(image.description))]
        if let argv { config.append(("Cmd", .array(argv.map(JSON.string)))) }
        if let entrypoint { config.append(("Entrypoint", .array(entrypoint.map(JSON.string)))) }
        if !environment.isEmpty { config.append(("Env", .array(environment.map(JSON.string)))) }
        if let workdir { config.append(("WorkingDir", .string(workdir))) }
        if let user { config.append(("User", .string(user))) }
        if let hostname { config.append(("Hostname", .string(hostname))) }
        if !labels.isEmpty { config.append(("Labels", .object(labels.map { ($0.key, .string($0.value)) }))) }
        var host: [(String, JSON)] = [
            ("PortBindings", .object(bindings)),
            ("Binds", .array(volumes.map { .string($0.bind) })),
            ("AutoRemove", .bool(remove)),
        ]
        if let restart {
            host.append(("RestartPolicy", .object([("Name", .string(restart.name)), ("MaximumRetryCount", .int(restart.maximumRetryCount))])))
        }
        if let memoryBytes { host.append(("Memory", .int(Int(memoryBytes)))) }
        if let nanoCPUs { host.append(("NanoCpus", .int(Int(nanoCPUs)))) }
        if let network { host.append(("NetworkMode", .string(network))) }
        if let runsInit { host.append(("Init", .bool(runsInit))) }
        if readOnly { host.append(("ReadonlyRootfs", .bool(true))) }
        // With stdin attached, StdinOnce: the engine closes the container's stdin when the
        // attached client ends it (end-of-file after the input).
        config += [
            ("AttachStdin", .bool(attachesStdin)), ("AttachStdout", .bool(!detach)), ("AttachStderr", .bool(!detach)),
            ("Tty", .bool(tty)), ("OpenStdin", .bool(attachesStdin)), ("StdinOnce", .bool(attachesStdin)),
            ("ExposedPorts", .object(exposed)),
            ("HostConfig", .object(host)),
        ]
        return .object(config)
    }
}

/// The fields of an exec request (docs/API.md "POST /<id or name>", `docker exec`), validated.
public struct ExecOptions: Equatable, Sendable {
    public var argv: [String]
    /// `-t`: a terminal; the output comes unframed, all on stdout.
    public var tty: Bool
    /// `-i`: stdin attached; without `input` it is at end-of-file at once.
    public var interactive: Bool
    /// The command's stdin, then end-of-file (`echo input | docker exec -i`).
    public var input: [UInt8]?

    /// stdin is attached (and given `input`, or end-of-file) with `interactive`, `input` or
    /// `tty`, as for a run.
    public var attachesStdin: Bool { interactive || input != nil || tty }

    /// - Throws: `HTTPError` 400 when `data` is missing or malformed, or a field is unknown.
    public init(fields: RequestFields) throws(HTTPError) {
        try FieldSchema.exec.check(fields)
        guard let argv = try fields.argv() else {
            throw HTTPError.badRequest("field \"data\" (the command to execute) is required", reason: .missingData)
        }
        self.argv = argv
        tty = try fields.bool("tty")
        interactive = try fields.bool("interactive")
        input = try fields.bytes("input")
    }
}

extension LogsOptions {
    /// Reads `tail`, `since`, `timestamps`, `follow` and `format` from the query; without
    /// `format`, text mode when `Accept` prefers `text/plain` to `application/json` (RFC 9110
    /// §12.5.1).
    /// - Parameter nowNanoseconds: the current Unix time in nanoseconds (for `since=10m`).
    /// - Throws: `HTTPError` 400 for bad values and for `follow` outside text mode, 406 when
    ///   `Accept` allows neither JSON nor text.
    public init(target: RequestTarget, accept: String?, nowNanoseconds: Int) throws(HTTPError) {
        self.init()
        func flag(_ name: String) throws(HTTPError) -> Bool {
            guard let text = target.query(name) else { return false }
            guard let value = text.isEmpty ? true : RequestFields.parseBool(text) else {
                throw HTTPError.badRequest("query \(name) must be a boolean, got \"\(text)\"", reason: .badQuery)
            }
            return value
        }
        if let tail = target.query("tail") {
            guard tail == "all" || (!tail.isEmpty && tail.count <= 9 && tail.utf8.allSatisfy { (0x30...0x39).contains($0) }) else {
                throw HTTPError.badRequest("query tail must be a number of lines or \"all\", got \"\(tail)\"", reason: .badQuery)
            }
            self.tail = tail
        }
        if let since = target.query("since"), !since.isEmpty {
            self.since = try TimeParsing.engineTime(since, field: "query since", nowNanoseconds: nowNanoseconds)
        }
        timestamps = try flag("timestamps")
        follow = try flag("follow")
        switch target.query("format") {
        case nil:
            guard let chosen = ContentNegotiation.choose(["application/json", "text/plain"], accept: accept) else {
                throw HTTPError(406, "the Accept field allows neither application/json nor text/plain, the two forms of logs",
                                reason: .notAcceptable)
            }
            text = chosen == "text/plain"
        case "text"?: text = true
        case "json"?: text = false
        case let other?: throw HTTPError.badRequest("query format must be json or text, got \"\(other)\"", reason: .badQuery)
        }
        if follow && !text {
            throw HTTPError.badRequest("follow=true streams text: ask for it with Accept: text/plain or format=text", reason: .badQuery)
        }
    }
}
