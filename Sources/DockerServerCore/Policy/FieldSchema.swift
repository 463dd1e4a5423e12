/// The fields a request body may carry (docs/API.md "Request bodies"), one schema for both
/// encodings: an unknown field is a 400 that names it and the closest known field; a field
/// of the wrong shape is a 400 naming it.
public struct FieldSchema: Sendable {
    /// The shape of a field's value.
    public enum Shape: Sendable {
        /// One value (text, a number or a boolean).
        case single
        /// A map, `name[KEY]=VALUE` or a JSON object.
        case map
        /// A command: a string (split into words) or a list of strings.
        case command
        /// A map, or a list of `KEY=VALUE` (`name[]=KEY=VALUE` or a JSON array).
        case mapOrList
    }

    /// Field names and shapes, in the order the documentation lists them.
    public let fields: [(name: String, shape: Shape)]

    /// `PUT /` (`docker run`).
    public static let run = FieldSchema(fields: [
        ("image", .single), ("name", .single), ("remove", .single), ("detach", .single), ("ports", .map),
        ("volumes", .map), ("data", .command), ("env", .mapOrList), ("workdir", .single), ("user", .single),
        ("entrypoint", .command), ("labels", .map), ("restart", .single), ("memory", .single), ("cpus", .single),
        ("network", .single), ("hostname", .single), ("init", .single), ("read_only", .single),
        ("input", .single), ("interactive", .single), ("tty", .single),
    ])

    /// `POST /<id or name>` (`docker exec`).
    public static let exec = FieldSchema(fields: [("data", .command), ("input", .single), ("interactive", .single), ("tty", .single)])

    /// Docker CLI words and other near misses, mapped to our field names.
    static let synonyms: [String: String] = [
        "rm": "remove", "d": "detach", "detached": "detach", "p": "ports", "publish": "ports", "port": "ports",
        "v": "volumes", "volume": "volumes", "mount": "volumes", "mounts": "volumes", "cmd": "data", "command": "data",
        "args": "data", "argv": "data", "i": "interactive", "t": "tty", "stdin": "input", "container": "name",
        "e": "env", "environment": "env", "w": "workdir", "working_dir": "workdir", "workingdir": "workdir", "u": "user",
        "label": "labels", "m": "memory", "memory_limit": "memory", "cpu": "cpus", "net": "network", "h": "hostname",
        "readonly": "read_only", "read-only": "read_only", "restart_policy": "restart",
    ]

    /// Checks that every field of `body` is known and has its shape.
    /// - Throws: `HTTPError` 400 (`unknown_field`, `bad_field`).
    public func check(_ body: RequestFields) throws(HTTPError) {
        for name in Set(body.values.keys).union(body.nullFields).sorted() {
            guard let shape = fields.first(where: { $0.name == name })?.shape else {
                let shown = name.count > 64 ? String(name.prefix(64)) + "…" : name
                var message = "unknown field \"\(shown)\""
                if let suggestion = closest(to: name) { message += " (did you mean \"\(suggestion)\"?)" }
                message += "; known fields: " + fields.map(\.name).joined(separator: ", ")
                throw HTTPError.badRequest(message, reason: .unknownField)
            }
            switch (shape, body.values[name]) {
            case (_, nil): continue  // null: absent
            case (.single, .text?), (.single, .bytes?), (.map, .map?), (.command, .text?), (.command, .list?),
                 (.mapOrList, .map?), (.mapOrList, .list?): continue
            case (.single, _):
                throw HTTPError.badRequest("field \"\(name)\" must be a single value", reason: .badField)
            case (.map, _):
                throw HTTPError.badRequest("field \"\(name)\" must be a map, e.g. \(name)[KEY]=VALUE or {\"\(name)\":{\"KEY\":\"VALUE\"}}",
                                           reason: .badField)
            case (.command, _):
                throw HTTPError.badRequest("field \"\(name)\" must be a command string or an array of strings", reason: .badData)
            case (.mapOrList, _):
                throw HTTPError.badRequest("field \"\(name)\" must be a map (\(name)[KEY]=VALUE) or a list of KEY=VALUE (\(name)[]=KEY=VALUE)",
                                           reason: .badField)
            }
        }
    }

    /// The known field closest to `name`: a synonym, else the nearest by edit distance
    /// (case ignored) within a third of the name's length.
    public func closest(to name: String) -> String? {
        let lower = name.lowercased()
        guard lower.count <= 64 else { return nil }
        if let synonym = FieldSchema.synonyms[lower], fields.contains(where: { $0.name == synonym }) { return synonym }
        let scored = fields.map { (name: $0.name, distance: FieldSchema.editDistance(lower, $0.name)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }),
              best.distance <= max(1, lower.count / 3) else { return nil }
        return best.name
    }

    /// Optimal string alignment distance between two strings, by Unicode scalar: insertions,
    /// deletions, substitutions and transpositions of neighbours (`imgae` → `image`) cost 1.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var beforePrevious: [Int] = []
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
