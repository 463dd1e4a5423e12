/// The Engine API operations docker-server calls, named as the Engine API reference names
/// them, each with the statuses the reference documents for it (checked against API 1.41 and
/// 1.56).
public enum EngineOperation: String, Sendable, CaseIterable {
    case containerList = "ContainerList", containerInspect = "ContainerInspect", containerCreate = "ContainerCreate"
    case containerStart = "ContainerStart", containerAttach = "ContainerAttach", containerWait = "ContainerWait"
    case containerKill = "ContainerKill", containerDelete = "ContainerDelete", containerLogs = "ContainerLogs"
    case containerExec = "ContainerExec", execStart = "ExecStart", execInspect = "ExecInspect"
    case imageCreate = "ImageCreate", systemVersion = "SystemVersion"

    /// The error statuses the reference documents for the operation (successes aside).
    public var documentedErrors: [Int] {
        switch self {
        case .containerList: return [400, 500]
        case .containerInspect, .containerLogs, .execInspect, .imageCreate: return [404, 500]
        case .containerCreate: return [400, 404, 409, 500]
        case .containerStart, .containerAttach, .containerWait: return [400, 404, 500]
        case .containerKill, .containerExec: return [404, 409, 500]
        case .containerDelete: return [400, 404, 409, 500]
        case .execStart: return [404, 409]
        case .systemVersion: return [500]
        }
    }
}

/// Turns an engine's error answer into the client's error (docs/API.md "Errors"): one table,
/// keyed on the operation and the status its reference documents. The meaning of a status
/// depends on the operation (a 404 of ContainerCreate is a missing image, of ExecStart an
/// exec that vanished: our fault, not the client's); where the API gives no distinct status
/// for a case the client must tell apart, the engine's message decides, and each such case
/// is pinned by a recorded engine answer in the tests.
public enum EngineErrors {
    /// What the client gets for a status of an operation: status and reason, nil for 502.
    static func mapped(_ operation: EngineOperation, _ status: Int) -> (Int, HTTPError.Reason)? {
        guard operation.documentedErrors.contains(status) else { return nil }
        switch (operation, status) {
        case (.containerCreate, 400), (.containerStart, 400), (.containerDelete, 400): return (400, .engineBadRequest)
        case (.containerCreate, 404), (.imageCreate, 404): return (404, .imageNotFound)
        case (.containerCreate, 409): return (409, .nameInUse)
        case (.containerInspect, 404), (.containerStart, 404), (.containerAttach, 404), (.containerWait, 404),
             (.containerKill, 404), (.containerDelete, 404), (.containerLogs, 404), (.containerExec, 404): return (404, .notFound)
        case (.containerKill, 409), (.containerDelete, 409), (.containerExec, 409), (.execStart, 409): return (409, .conflict)
        default: return nil  // 500s, and statuses that mean our request was wrong: the engine's failure
        }
    }

    /// The client's error for `response`, an error answer of `operation`.
    /// - Parameter context: what was being done, first in the message (`creating container x`).
    public static func map(_ response: EngineResponse, operation: EngineOperation, context: String) -> HTTPError {
        let message = response.message
        let lower = message.lowercased()
        // ContainerStart documents no status for these: its 500 carries them as messages.
        if operation == .containerStart, response.status == 500 {
            if lower.contains("port is already allocated") || lower.contains("address already in use") {
                return HTTPError(409, "\(context): host port already in use: \(message)", reason: .portInUse)
            }
            if lower.contains("cannot assign requested address") {
                return HTTPError(400, "\(context): the host address of a port binding is not an address of this machine: \(message)",
                                 reason: .badHostAddress)
            }
            // `user` names a user or group the image's /etc/passwd or /etc/group lacks.
            if lower.contains("unable to find user") || lower.contains("unable to find group") {
                return HTTPError(400, "\(context): field \"user\" names no user or group of the image: \(message)", reason: .badField)
            }
            // `network=container:NAME` naming the container itself.
            if lower.contains("cannot join own network") {
                return HTTPError(400, "\(context): field \"network\" names the container itself: \(message)", reason: .badField)
            }
        }
        // `network=container:NAME` with NAME stopped: the engine's 409, which ContainerStart
        // does not document, is the client's conflict.
        if operation == .containerStart, response.status == 409 {
            return HTTPError(409, "\(context): \(message)", reason: .conflict)
        }
        if let (status, reason) = mapped(operation, response.status) {
            return HTTPError(status, "\(context): \(message)", reason: reason)
        }
        return HTTPError(502, "\(context): the Docker engine answered \(response.status): \(message)", reason: .engineError)
    }

    /// The engine's 409 for a container it is already removing ("removal of container … is
    /// already in progress"): ContainerDelete documents one 409 for every conflict.
    public static func isRemovalInProgress(_ response: EngineResponse) -> Bool {
        let lower = response.message.lowercased()
        return response.status == 409 && lower.contains("removal") && lower.contains("in progress")
    }

    /// An image the registry does not have, from a pull's error message (inside a 200
    /// progress stream the Engine API has no status at all).
    public static func isMissingImage(_ message: String) -> Bool {
        let lower = message.lowercased()
        return ["not found", "manifest unknown", "does not exist", "no such image", "name unknown"].contains(where: lower.contains)
    }

    /// The engine refused the API version of the request's path (`client version 1.56 is too
    /// new. Maximum supported API version is 1.41`): negotiate again.
    public static func isVersionRefusal(_ response: EngineResponse) -> Bool {
        response.status == 400 && response.message.lowercased().contains("client version")
    }
}
