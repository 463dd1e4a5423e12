/// What each operation of the API can answer, derived from the code that answers it: the
/// request checks every request passes, the route's own outcomes, and the engine errors of
/// the Engine API operations it calls (`EngineErrors`). A test holds docs/openapi.yaml to it.
public enum APIContract {
    /// The API's operations: method, OpenAPI path, and the route's name.
    public static let operations: [(method: String, path: String, route: String)] = [
        ("GET", "/", "ps"), ("PUT", "/", "run"), ("HEAD", "/{name}", "pull"),
        ("GET", "/{name}", "logs"), ("POST", "/{name}", "exec"), ("DELETE", "/{name}", "rm"),
    ]

    /// Every request can be refused before it routes: malformed (400), no or wrong token
    /// (401), too slow (408), limits (413 for a body past `--max_body` whatever the method,
    /// 414, 431), an expectation (417), a transfer coding (501), a version (505), rate limits
    /// (429), no token configured or the spawner's caps (503).
    public static let requestStatuses: Set<Int> = [400, 401, 408, 413, 414, 417, 429, 431, 501, 503, 505]

    /// The statuses of the route named `route` (`ps`, `run`, `pull`, `logs`, `exec`, `rm`).
    public static func statuses(of route: String) -> Set<Int> {
        // The engine unreachable (503), failing (502) or too slow (504), for every route.
        var statuses = requestStatuses.union([502, 503, 504])
        let own: [Int], engine: [EngineOperation]
        switch route {
        case "ps": own = [200, 406]; engine = [.containerList]
        case "run": own = [200, 201, 406, 413, 415]; engine = [.containerCreate, .imageCreate, .containerStart, .containerAttach, .containerWait]
        case "pull": own = [200]; engine = [.imageCreate]
        case "logs": own = [200, 406]; engine = [.containerInspect, .containerLogs]
        case "exec": own = [200, 406, 413, 415]; engine = [.containerExec, .execStart, .execInspect]
        case "rm": own = [200, 406, 409]; engine = [.containerDelete]
        default: return []
        }
        statuses.formUnion(own)
        for operation in engine {
            for status in operation.documentedErrors {
                statuses.insert(EngineErrors.map(EngineResponse(status: status, body: []), operation: operation, context: "").status)
            }
        }
        // ContainerStart's 500 for a taken port or a foreign address (docs/DESIGN.md "The engine").
        if route == "run" { statuses.formUnion([400, 409]) }
        return statuses
    }
}
