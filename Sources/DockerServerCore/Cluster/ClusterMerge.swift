/// One node's answer to a request sent to every live node (docs/API.md "Cluster").
public struct NodeAnswer: Sendable {
    public enum Outcome: Sendable {
        /// The node answered: its status, header fields and whole body.
        case answered(status: Int, fields: [(String, String)], body: [UInt8])
        /// It could not be asked, or did not answer in time (502, 504 …).
        case failed(HTTPError)
    }

    /// The node's URL as in its entry.
    public var host: String
    public var outcome: Outcome

    public init(host: String, outcome: Outcome) {
        self.host = host
        self.outcome = outcome
    }
}

/// Merges the answers of all live nodes into the one answer the client gets (docs/API.md
/// "Cluster"). Pure.
public enum ClusterMerge {
    /// The response field naming nodes that did not answer (comma-separated URLs).
    public static let unansweredField = "X-Cluster-Unanswered"

    /// A JSON object's text with `"host":"<host>"` as its first member; other bodies unchanged.
    /// Textual, so a large answer (JSON logs) is not parsed again.
    public static func withHost(_ body: [UInt8], host: String) -> [UInt8] {
        guard let start = body.firstIndex(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), body[start] == UInt8(ascii: "{") else {
            return body
        }
        var out = Array(body[..<start])
        out += Array("{\"host\":".utf8)
        JSON.string(host).write(into: &out)
        let rest = body[(start + 1)...]
        let isEmpty = rest.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "}")
        if !isEmpty { out.append(UInt8(ascii: ",")) }
        out += rest
        return out
    }

    /// `GET /`: one array of every node's containers, `"host"` on each.
    /// - Returns: the merged answer; nodes that failed are named in `unansweredField` (and
    ///   returned for the log). With no node answering, the first failure.
    /// - Parameter down: nodes found down (skipped, their entries removed): named in
    ///   `unansweredField` too.
    public static func list(_ answers: [NodeAnswer], down: [String] = []) -> (response: HTTPResponse, unanswered: [(host: String, error: HTTPError)]) {
        var items: [JSON] = []
        var unanswered: [(host: String, error: HTTPError)] = []
        var answeredAny = false
        for answer in answers {
            switch answer.outcome {
            case let .answered(200, _, body):
                guard case let .array(containers)? = try? JSON.parse(body) else {
                    unanswered.append((answer.host, HTTPError(502, "node \(answer.host) sent a container list that is not a JSON array", reason: .clusterNode)))
                    continue
                }
                answeredAny = true
                for container in containers {
                    guard case let .object(members) = container else { continue }
                    items.append(.object([("host", .string(answer.host))] + members.filter { $0.0 != "host" }))
                }
            case let .answered(status, _, body):
                unanswered.append((answer.host, nodeError(answer.host, status: status, body: body)))
            case let .failed(error):
                unanswered.append((answer.host, HTTPError(error.status, "node \(answer.host): \(error.message)", reason: .clusterNode)))
            }
        }
        if !answeredAny, let first = unanswered.first { return (first.error.response, unanswered) }
        var response = HTTPResponse(status: 200, json: JSON.array(items).serialized)
        let missing = unanswered.map(\.host) + down
        if !missing.isEmpty { response.headers.append((unansweredField, missing.joined(separator: ", "))) }
        return (response, unanswered)
    }

    /// Routes on one container (`GET|POST|DELETE /<id>`): the answer of the node that has it
    /// (any status but 404), with `"host"`; an array of such answers when several have it
    /// (status 200); 404 when every node answered 404; otherwise the first failure, since
    /// the container may be on the node that failed.
    public static func byContainer(_ answers: [NodeAnswer]) -> HTTPResponse {
        var found: [(host: String, status: Int, fields: [(String, String)], body: [UInt8])] = []
        var notFound: HTTPResponse?
        var failure: HTTPError?
        for answer in answers {
            switch answer.outcome {
            case let .answered(404, fields, body):
                if notFound == nil { notFound = HTTPResponse(status: 404, headers: passed(fields), body: body) }
            case let .answered(status, fields, body):
                found.append((answer.host, status, fields, body))
            case let .failed(error):
                if failure == nil { failure = HTTPError(error.status, "node \(answer.host): \(error.message)", reason: .clusterNode) }
            }
        }
        if found.count == 1, let only = found.first {
            return HTTPResponse(status: only.status, headers: passed(only.fields) + [("X-Cluster-Host", only.host)],
                                body: withHost(only.body, host: only.host))
        }
        if !found.isEmpty {
            var out: [UInt8] = [UInt8(ascii: "[")]
            for (i, item) in found.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += withHost(item.body, host: item.host)
            }
            out.append(UInt8(ascii: "]"))
            return HTTPResponse(status: 200, json: out)
        }
        if let failure { return failure.response }
        return notFound ?? HTTPResponse(status: 404, json: JSON.object([("code", .int(404)), ("error", .string("no such container on any node"))]).serialized)
    }

    /// `HEAD /<image>` (pull on every node): 200 when every node pulled; otherwise the first
    /// failure's status, its message in `X-Error` naming the node.
    public static func pull(_ answers: [NodeAnswer], image: String) -> HTTPResponse {
        for answer in answers {
            switch answer.outcome {
            case .answered(200, _, _):
                continue
            case let .answered(status, fields, _):
                let message = fields.first { $0.0.lowercased() == "x-error" }?.1 ?? "status \(status)"
                return HTTPError(status, "node \(answer.host): \(message)", reason: .clusterNode).headResponse
            case let .failed(error):
                return HTTPError(error.status, "node \(answer.host): \(error.message)", reason: .clusterNode).headResponse
            }
        }
        return HTTPResponse(status: 200, json: JSON.object([("image", .string(image)), ("pulled", .bool(true)),
                                                             ("nodes", .int(answers.count))]).serialized)
    }

    /// A node's error answer as our error, its message kept and the node named.
    public static func nodeError(_ host: String, status: Int, body: [UInt8]) -> HTTPError {
        let message = (try? JSON.parse(body))?["error"]?.stringValue ?? "status \(status)"
        return HTTPError(status >= 500 ? status : 502, "node \(host): \(message)", reason: .clusterNode)
    }

    /// The fields of a node's answer that pass on to the client: those that describe the
    /// body or the container (`Content-Type`, `X-Container-Id`, `X-Exit-Code`, `X-Error`);
    /// framing, date and rate-limit fields are this node's own.
    public static func passed(_ fields: [(String, String)]) -> [(String, String)] {
        fields.filter { ["content-type", "x-container-id", "x-exit-code", "x-error"].contains($0.0.lowercased()) }
    }
}
