import Glibc
import DockerServerCore

/// Cluster mode on the request path (docs/API.md "Cluster", docs/DESIGN.md "Cluster").
extension Connection {
    /// The cluster view, made once per process with the cluster key (`--cluster_secret`, else
    /// the token); nil when libcrypto cannot be loaded (logged; answered 503).
    func clusterNodes(token: String) -> ClusterNodes? {
        if let nodes = cluster { return nodes }
        do throws(ConfigError) {
            let watch: Int32? = Syscalls.isSocket(input) ? input : nil
            cluster = try ClusterNodes(config: config, secret: config.clusterSecret ?? token, environment: environment, logger: logger,
                                       selfURL: ClusterNodes.advertisedURL(config: config, fd: watch))
        } catch {
            logger.log(.error, "cluster_unavailable", [("detail", error.message)])
        }
        return cluster
    }

    /// A valid forwarding field of `head` (signed with the cluster key, for this method and
    /// target, in time), else nil: a field that is not valid is ignored (an ordinary client).
    func validForwarding(_ head: HTTPRequestHead, token: String) -> ForwardingHeader? {
        guard config.cluster, let value = head.field(ForwardingHeader.fieldName) else { return nil }
        guard let header = ForwardingHeader.parse(value), let nodes = clusterNodes(token: token), let target = try? RequestTarget(head.target),
              header.isValid(method: head.method, target: target.origin, nowMs: Int64(Syscalls.unixNanoseconds() / 1_000_000),
                             verify: nodes.key.verify) else {
            logger.log(.warn, "forwarding_ignored", [("client", client), ("detail", "forwarding field without a valid signature")])
            return nil
        }
        return header
    }

    /// Serves a request in cluster mode, unless it is to be handled here as on a single node
    /// (then false): a `PUT` placed on this node, or any request while no node has published.
    func clusterRespond(_ route: Route, request: HTTPRequest, target: RequestTarget, nodes: ClusterNodes,
                        handler: Handler) throws(HTTPError) -> Bool {
        let logs = try handler.validate(route, request: request, target: target)
        let live = try nodes.live()
        guard !live.isEmpty else { return false }
        var fields: [(String, String)] = []
        for name in ["authorization", "content-type"] {
            if let value = request.head.field(name) { fields.append((name, value)) }
        }
        if let accept = request.head.combinedField("accept") { fields.append(("accept", accept)) }
        let now = Int64(Syscalls.unixNanoseconds() / 1_000_000)
        var forwarding = ForwardingHeader(timeMs: now, client: client, bodySHA256: nodes.key.sha256(request.body))
        forwarding.signature = nodes.key.sign(forwarding.signingInput(method: request.head.method, target: target.origin))
        fields.append((ForwardingHeader.fieldName, forwarding.value))
        let watch: Int32? = Syscalls.isSocket(input) ? input : nil
        func call(_ node: ClusterEntry, readTimeoutSeconds: Int, readsBody: Bool, expectsContinue: Bool = false,
                  completion: Completion = Completion()) -> NodeCall {
            NodeCall(node: node, method: request.head.method, target: target.origin, fields: fields, body: request.body,
                     readTimeoutSeconds: readTimeoutSeconds, readsBody: readsBody, watch: watch, trustPath: config.chainPath,
                     expectsContinue: expectsContinue, completion: completion)
        }
        // Bounds of a node's answer: the node's own bound for the request, plus a margin.
        let margin = 10
        switch route {
        case .run:
            // The node's own bound: a pull and engine calls for a detached run, a day more for
            // an attached one.
            let detach = (try? RunOptions(fields: try RequestFields(body: request.body, contentType: request.head.field("content-type")),
                                          defaultName: "x"))?.detach ?? false
            let bound = Limits.enginePullTimeoutSeconds + config.engineTimeoutSeconds * 3 + margin
            for node in ClusterPolicy.placement(live, selfHost: nodes.selfURL ?? "") {
                if node.host == nodes.selfURL { return false }
                // The body goes only to a node that confirmed it (100 Continue): one that accepts
                // connections and never answers gets nothing, so the next node may take it.
                let forwarded = call(node, readTimeoutSeconds: detach ? bound : bound + Limits.attachedRunTimeoutSeconds, readsBody: true,
                                     expectsContinue: true)
                forwarded.run()
                switch forwarded.outcome {
                case .failed(let error) where !forwarded.sent && error.reason != .clientGone:
                    // Nothing reached the node (down, TLS refused, no 100 Continue): nothing can
                    // have started there.
                    if forwarded.down { nodes.removeDown(node, why: error.message) }
                    logger.log(.warn, "cluster_node_skipped", [("node", node.host), ("detail", error.message)])
                    continue
                case let .answered(503, _, body):
                    logger.log(.warn, "cluster_node_skipped", [("node", node.host), ("detail", ClusterMerge.nodeError(node.host, status: 503, body: body).message)])
                    continue
                case .failed(let error):
                    if error.reason == .clientGone { throw error }
                    throw HTTPError(error.status, "node \(node.host): \(error.message)", reason: .clusterNode)
                case let .answered(status, answerFields, body):
                    send(HTTPResponse(status: status, headers: ClusterMerge.passed(answerFields) + [("X-Cluster-Host", node.host)],
                                      body: ClusterMerge.withHost(body, host: node.host)))
                    return true
                }
            }
            throw HTTPError(503, "no cluster node could take the container: every live node is down or busy", reason: .clusterUnavailable)
        case .list, .pull, .logs, .exec, .remove:
            let streamsText = logs?.text == true
            let engineBound = config.engineTimeoutSeconds + margin
            let timeout: Int
            switch route {
            case .pull: timeout = Limits.enginePullTimeoutSeconds + margin
            case .exec: timeout = Limits.attachedRunTimeoutSeconds + margin
            case .remove: timeout = config.engineTimeoutSeconds * 2 + margin  // a DELETE may wait for a removal
            case .logs where logs?.follow == true && !streamsText: timeout = Limits.attachedRunTimeoutSeconds
            default: timeout = engineBound  // lists, logs; for text logs, the head
            }
            // This node's part is handled here, without a hop (text logs, streamed, excepted).
            let here = streamsText ? nil : live.first { $0.host == nodes.selfURL }
            let completion = Completion()
            let calls = live.filter { $0 != here }.map { call($0, readTimeoutSeconds: timeout, readsBody: !streamsText, completion: completion) }
            func found(_ call: NodeCall) -> Bool {
                if case let .answered(status, _, _) = call.outcome { return call.done && status != 404 }
                return false
            }
            // Routes on one container need not wait for a hung node once another has it: the
            // others had the time of an ordinary engine call to say they do not (text logs
            // stream as soon as a node has it).
            var local: NodeAnswer?
            var enough: ((Int64) -> Bool)?
            switch route {
            case .logs where streamsText: enough = { _ in calls.contains { $0.done && $0.stream != nil } }
            case .logs, .exec, .remove:
                enough = { elapsed in
                    guard elapsed >= Int64(engineBound) * 1000 else { return false }
                    if case let .answered(status, _, _)? = local?.outcome, status != 404 { return true }
                    return calls.contains(where: found)
                }
            default: enough = nil
            }
            NodeCall.runAll(calls, whileWaiting: here.map { node in {
                local = NodeAnswer(host: node.host, outcome: self.answerHere(route, request: request, target: target, handler: handler))
            } }, enough: enough)
            let finished = completion.locked { calls.filter(\.done) }
            for call in calls where !finished.contains(where: { $0 === call }) {
                logger.log(.warn, "cluster_node_unanswered", [("node", call.node.host), ("detail", "no answer yet; another node has the container")])
            }
            if finished.contains(where: { if case .failed(let error) = $0.outcome { return error.reason == .clientGone } else { return false } }) {
                throw HTTPError(499, "the client closed the connection", reason: .clientGone)
            }
            if case .failed(let error)? = local?.outcome, error.reason == .clientGone { throw error }
            var answers: [NodeAnswer] = local.map { [$0] } ?? []
            var down: [String] = []
            for call in finished {
                if call.down, case .failed(let error) = call.outcome {
                    nodes.removeDown(call.node, why: error.message)
                    down.append(call.node.host)
                } else {
                    answers.append(NodeAnswer(host: call.node.host, outcome: call.outcome))
                }
            }
            defer { for call in finished { call.stream?.close() } }
            guard !answers.isEmpty else {
                throw HTTPError(503, "no cluster node answered: every live node is down", reason: .clusterUnavailable)
            }
            switch route {
            case .list:
                let (response, unanswered) = ClusterMerge.list(answers, down: down)
                for (host, error) in unanswered {
                    logger.log(.warn, "cluster_node_unanswered", [("node", host), ("detail", error.message)])
                }
                send(response)
            case .pull(let image):
                send(ClusterMerge.pull(answers, image: image.description))
            default:
                if streamsText, let winner = finished.first(where: { $0.stream != nil }), case let .answered(_, answerFields, _) = winner.outcome,
                   let stream = winner.stream {
                    // The body has the bound of the logs on one node, from now.
                    let seconds = logs?.follow == true ? Limits.attachedRunTimeoutSeconds : engineBound
                    stream.deadline = Syscalls.monotonicMs() + Int64(seconds) * 1000
                    stream.timeoutSeconds = seconds
                    try streamThrough(stream, fields: ClusterMerge.passed(answerFields) + [("X-Cluster-Host", winner.node.host)])
                } else {
                    send(ClusterMerge.byContainer(answers))
                }
            }
            return true
        }
    }

    /// This node's answer to a fanned-out request, as it would come over the network: errors
    /// are answers (a 404 means "not here"), except a client that hung up.
    func answerHere(_ route: Route, request: HTTPRequest, target: RequestTarget, handler: Handler) -> NodeAnswer.Outcome {
        let captured = CapturedResponse()
        do throws(HTTPError) {
            if let response = try handler.handle(route, request: request, target: target, stream: captured) {
                return .answered(status: response.status, fields: response.headers, body: response.bodyParts.flatMap { $0 })
            }
        } catch {
            if error.reason == .clientGone { return .failed(error) }
            let response = request.head.method == "HEAD" ? error.headResponse : error.response
            return .answered(status: error.status, fields: response.headers, body: response.bodyParts.flatMap { $0 })
        }
        if let error = captured.aborted { return .failed(error) }
        if captured.tooLarge {
            return .failed(HTTPError(502, "answer larger than \(Limits.maxNodeBodyBytes) bytes", reason: .clusterNode))
        }
        return .answered(status: captured.status, fields: captured.fields, body: captured.body)
    }

    /// Passes a node's streamed answer (text logs) on to the client as it arrives.
    func streamThrough(_ stream: EngineSocketStream, fields: [(String, String)]) throws(HTTPError) {
        guard begin(status: 200, headers: fields) else { return }
        do throws(HTTPError) {
            while let bytes = try stream.read(coalescingUpTo: 65536) {
                guard send(bytes) else { return }
            }
        } catch {
            if error.reason != .clientGone { abort(error) }
            return
        }
        end()
    }
}
