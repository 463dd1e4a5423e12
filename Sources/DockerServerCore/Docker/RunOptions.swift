/// The fields of a run request (SPEC §3, `docker run`), validated.
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

    /// Reads and validates the fields; `defaultName` (a UUID) is used when `name` is absent.
    /// - Throws: `HTTPError` 400 naming the bad field.
    public init(fields: RequestFields, defaultName: String) throws(HTTPError) {
        guard let image = try fields.text("image"), !image.isEmpty else {
            throw HTTPError.badRequest("field \"image\" is required (e.g. image=redis:7)", reason: "missing_image")
        }
        self.image = try ImageReference(image)
        let name = try fields.text("name") ?? ""
        self.name = name.isEmpty ? defaultName : try ContainerReference.validate(name, what: "container name")
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
    }

    /// The Engine API ContainerCreate body: image, command, attach flags, exposed ports and
    /// `HostConfig` (PortBindings, Binds, AutoRemove).
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
        config += [
            ("AttachStdin", .bool(false)), ("AttachStdout", .bool(!detach)), ("AttachStderr", .bool(!detach)),
            ("Tty", .bool(false)), ("OpenStdin", .bool(false)),
            ("ExposedPorts", .object(exposed)),
            ("HostConfig", .object([
                ("PortBindings", .object(bindings)),
                ("Binds", .array(volumes.map { .string($0.bind) })),
                ("AutoRemove", .bool(remove)),
            ])),
        ]
        return .object(config)
    }
}

/// The fields of an exec request (SPEC §3, `docker exec`), validated.
public struct ExecOptions: Equatable, Sendable {
    public var argv: [String]
    /// `-t`: output unframed, on stdout only.
    public var tty: Bool
    /// `-i`: stdin attached (and closed at once: the request carries no input).
    public var interactive: Bool

    /// - Throws: `HTTPError` 400 when `data` is missing or malformed.
    public init(fields: RequestFields) throws(HTTPError) {
        guard let argv = try fields.argv() else {
            throw HTTPError.badRequest("field \"data\" (the command to execute) is required", reason: "missing_data")
        }
        self.argv = argv
        tty = try fields.bool("tty")
        interactive = try fields.bool("interactive")
    }
}

extension LogsOptions {
    /// Reads `tail`, `since`, `timestamps`, `follow` and `format` from the query, and text
    /// mode from `format=text` or an `Accept` that prefers `text/plain`.
    /// - Throws: `HTTPError` 400 for bad values and for `follow` outside text mode.
    public init(target: RequestTarget, accept: String?, now: Int) throws(HTTPError) {
        self.init()
        func flag(_ name: String) throws(HTTPError) -> Bool {
            guard let text = target.query(name) else { return false }
            guard let value = text.isEmpty ? true : RequestFields.parseBool(text) else {
                throw HTTPError.badRequest("query \(name) must be a boolean, got \"\(text)\"", reason: "bad_query")
            }
            return value
        }
        if let tail = target.query("tail") {
            guard tail == "all" || (!tail.isEmpty && tail.count <= 9 && tail.utf8.allSatisfy { (0x30...0x39).contains($0) }) else {
                throw HTTPError.badRequest("query tail must be a number of lines or \"all\", got \"\(tail)\"", reason: "bad_query")
            }
            self.tail = tail
        }
        if let since = target.query("since"), !since.isEmpty { self.since = try TimeParsing.since(since, now: now) }
        timestamps = try flag("timestamps")
        follow = try flag("follow")
        switch target.query("format") {
        case nil: text = LogsOptions.prefersText(accept)
        case "text"?: text = true
        case "json"?: text = false
        case let other?: throw HTTPError.badRequest("query format must be json or text, got \"\(other)\"", reason: "bad_query")
        }
        if follow && !text {
            throw HTTPError.badRequest("follow=true streams text: ask for it with Accept: text/plain or format=text", reason: "bad_query")
        }
    }

    /// True when the first of `text/plain` and `application/json` named in `accept` is text.
    static func prefersText(_ accept: String?) -> Bool {
        guard let accept else { return false }
        for range in accept.split(separator: ",") {
            let type = range.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
            if type == "text/plain" { return true }
            if type == "application/json" { return false }
        }
        return false
    }
}
