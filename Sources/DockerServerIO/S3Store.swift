import Glibc
import DockerServerCore

/// `ClusterStore` over an S3 bucket (`--s3`; docs/API.md "Cluster on S3"): entries are the
/// objects `PREFIX` + `ds-<digits>.json`, listed with ListObjectsV2, read with GetObject
/// (several at once), written with PutObject (atomic in S3) and removed with DeleteObject.
/// Requests are signed with Signature Version 4; `https://` endpoints are verified against
/// the system's CAs plus `--chain`. Every call is bounded by `Limits.s3CallTimeoutMs`. Errors
/// name the store and S3's error code, never a credential.
public final class S3Store: ClusterStore, @unchecked Sendable {
    public let location: S3Location
    let signer: SigV4
    let crypto: LibCrypto
    let trustPath: String?

    /// - Throws: `ConfigError` when the bucket name or endpoint is unusable.
    public init(bucket: String, folder: String, settings: AWSSettings, crypto: LibCrypto, trustPath: String?) throws(ConfigError) {
        location = try S3Location(bucket: bucket, folder: folder, region: settings.region, endpointURL: settings.endpointURL)
        signer = SigV4(accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey,
                       sessionToken: settings.sessionToken, region: settings.region)
        self.crypto = crypto
        self.trustPath = trustPath
    }

    /// The settings of the S3 store as the AWS tools find them (`AWSSettings`), reading the
    /// shared files (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, else `~/.aws/…`) and
    /// the systemd credential `aws_secret_access_key`.
    /// - Throws: `ConfigError` when no usable credentials are found.
    public static func settings(environment: [String: String]) throws(ConfigError) -> AWSSettings {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? getpwuid(geteuid()).map { String(cString: $0.pointee.pw_dir) } ?? "/"
        func shared(_ variable: String, _ name: String) -> AWSSettings.SharedFile {
            let path = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.aws/" + name
            return (path, Syscalls.readFile(path, limit: 1 << 20).map { String(decoding: $0, as: UTF8.self) })
        }
        var credential: String?
        if let folder = environment["CREDENTIALS_DIRECTORY"], !folder.isEmpty, let bytes = Syscalls.readFile(folder + "/aws_secret_access_key") {
            credential = TokenSource.firstLine(bytes)
        }
        return try AWSSettings.resolve(environment: environment, credentialsFile: shared("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
                                       configFile: shared("AWS_CONFIG_FILE", "config"), secretCredential: credential)
    }

    public func list() throws(StoreError) -> [String] {
        var names: [String] = []
        var token: String?
        let deadline = Syscalls.monotonicMs() + Limits.s3ListTimeoutMs
        for _ in 0..<Limits.maxS3ListPages {
            let (status, body) = try call(location.listRequest(continuationToken: token), deadline: deadline)
            guard status == 200 else { throw failure(status, body, doing: "listing") }
            let page: S3XML.Listing
            do throws(StoreError) { page = try S3XML.listing(body) } catch {
                throw StoreError("\(location.shown): listing failed: \(error.message)")
            }
            for key in page.keys where key.hasPrefix(location.prefix) {
                let name = String(key.dropFirst(location.prefix.count))
                if ClusterEntry.isObjectName(name) { names.append(name) }
            }
            guard page.truncated else { return names }
            guard page.nextToken != token else { throw StoreError("\(location.shown): listing failed: S3 repeated its continuation token") }
            token = page.nextToken
        }
        throw StoreError("\(location.shown) holds more than \(Limits.maxS3ListPages * 1000) keys; give the cluster a prefix of its own (--folder)")
    }

    public func read(_ name: String) throws(StoreError) -> [UInt8]? { try read(name, deadline: nil) }

    /// `read`, its call bounded by `deadline` (monotonic ms) too.
    func read(_ name: String, deadline: Int64?) throws(StoreError) -> [UInt8]? {
        let (status, body) = try call(location.request("GET", object: name), deadline: deadline)
        switch status {
        case 200:
            guard body.count <= FolderStore.maxEntryBytes else {
                throw StoreError("refusing \(location.shown)\(name): larger than \(FolderStore.maxEntryBytes) bytes")
            }
            return body
        case 404 where S3XML.error(body)?.code != "NoSuchBucket": return nil
        default: throw failure(status, body, doing: "reading \(name)")
        }
    }

    /// Reads up to `Limits.s3ParallelReads` objects at once, all within
    /// `Limits.s3ReadAllTimeoutMs`: a cold cache costs about one round trip per 16 nodes, not
    /// one per node.
    public func readAll(_ names: [String]) -> [(name: String, result: Result<[UInt8]?, StoreError>)] {
        let work = ParallelReads(names: names, store: self, deadline: Syscalls.monotonicMs() + Limits.s3ReadAllTimeoutMs)
        work.run(threads: min(Limits.s3ParallelReads, names.count))
        return zip(names, work.results).map { ($0, $1 ?? .failure(StoreError("not read"))) }
    }

    public func write(_ name: String, _ bytes: [UInt8]) throws(StoreError) {
        let (status, body) = try call(location.request("PUT", object: name, body: bytes))
        guard status == 200 else { throw failure(status, body, doing: "writing \(name)") }
    }

    /// Reads the object and deletes it when it still holds `expected`. Between the two a
    /// node may publish again; its next heartbeat (every `--refresh_rate`) brings it back.
    public func delete(_ name: String, ifUnchanged expected: [UInt8]) throws(StoreError) -> Bool {
        guard try read(name) == expected else { return false }
        let (status, body) = try call(location.request("DELETE", object: name))
        guard status == 204 || status == 200 else { throw failure(status, body, doing: "deleting \(name)") }
        return true
    }

    /// An S3 error answer as one line: S3's code and message (throttling and clock skew
    /// say so), or the HTTP status when the body is not an S3 error.
    func failure(_ status: Int, _ body: [UInt8], doing: String) -> StoreError {
        guard let error = S3XML.error(body) else {
            return StoreError("\(location.shown): \(doing) failed: \(location.endpoint) answered HTTP \(status)")
        }
        var hint = ""
        switch error.code {
        case "RequestTimeTooSkewed": hint = " (this machine's clock is off; S3 allows 15 minutes)"
        case "SlowDown", "ServiceUnavailable", "Throttling": hint = " (S3 is throttling requests)"
        case "SignatureDoesNotMatch": hint = " (check the secret access key)"
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            hint = " (is the bucket in another region? set AWS_REGION)"
        default: break
        }
        let message = error.message.isEmpty ? "" : ": " + error.message
        return StoreError("\(location.shown): \(doing) failed: S3 \(error.code)\(message)\(hint)")
    }

    /// Signs and sends `request`, reads the whole answer (at most 1 MiB) within
    /// `Limits.s3CallTimeoutMs`, or by `deadline` (monotonic ms) when that comes first.
    /// Returns the status and body.
    /// - Throws: `StoreError` when the endpoint cannot be reached or does not answer in time.
    func call(_ unsigned: S3Request, deadline overall: Int64? = nil) throws(StoreError) -> (Int, [UInt8]) {
        var request = unsigned
        signer.sign(&request, unixSeconds: Int64(Syscalls.unixNanoseconds() / 1_000_000_000), hashing: crypto)
        var head = "\(request.method) \(request.target) HTTP/1.1\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        head += "User-Agent: docker-server/\(Version.current)\r\nContent-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + request.body
        let start = Syscalls.monotonicMs()
        let deadline = min(start + Limits.s3CallTimeoutMs, overall ?? Int64.max)
        guard deadline > start else { throw StoreError("\(location.shown): the store took too long to read (more than 10 s)") }
        let seconds = Int(Limits.s3CallTimeoutMs / 1000)
        let fd: Int32
        let connectDeadline = min(start + Limits.clusterConnectTimeoutMs, deadline)
        switch EngineClient.connectTCP(host: location.host, port: location.port, deadline: connectDeadline) {
        case .success(let connected): fd = connected
        case .failure(let failure): throw StoreError("S3 endpoint \(location.endpoint) unreachable: \(failure.text)")
        }
        let stream = EngineSocketStream(fd: fd, deadline: deadline, timeoutSeconds: seconds, peer: "S3 endpoint \(location.endpoint)")
        defer { stream.close() }
        let written: Syscalls.WriteOutcome
        if location.https {
            #if DS_NO_TLS
            throw StoreError("this docker-server was built without TLS support (DS_NO_TLS): use an http:// S3 endpoint")
            #else
            do throws(TLSError) {
                let tls = try TLSChannel.client(fd: fd, host: location.host, trustPath: trustPath, deadline: deadline)
                stream.tls = tls
                written = tls.writeAll(bytes, stallTimeoutMs: max(1, deadline - Syscalls.monotonicMs()))
            } catch {
                throw StoreError("S3 endpoint \(location.endpoint): \(error.message)")
            }
            #endif
        } else {
            written = Syscalls.writeAll(fd, bytes, stallTimeoutMs: max(1, deadline - Syscalls.monotonicMs()))
        }
        guard written == .written else { throw StoreError("S3 endpoint \(location.endpoint): sending the request failed") }
        do throws(HTTPError) {
            try stream.readHead()
            return (stream.status, try stream.readAll(limit: 1 << 20))
        } catch {
            // The engine client's wording does not fit S3.
            switch error.reason {
            case .engineTooLarge: throw StoreError("S3 endpoint \(location.endpoint): answer larger than 1 MiB")
            case .engineProtocol where error.message.hasPrefix("the Docker engine"):
                throw StoreError("S3 endpoint \(location.endpoint) sent an invalid HTTP answer")
            default: throw StoreError(error.message)
            }
        }
    }
}

/// GetObject calls spread over a few threads, each taking the next name under a lock.
final class ParallelReads: @unchecked Sendable {
    let names: [String]
    let store: S3Store
    let deadline: Int64
    var results: [Result<[UInt8]?, StoreError>?]
    var next = 0
    var mutex = pthread_mutex_t()

    init(names: [String], store: S3Store, deadline: Int64) {
        self.names = names
        self.store = store
        self.deadline = deadline
        results = Array(repeating: nil, count: names.count)
        pthread_mutex_init(&mutex, nil)
    }

    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Reads every name with `threads` threads (this one among them).
    func run(threads: Int) {
        var started: [pthread_t] = []
        for _ in 1..<max(threads, 1) {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(self).toOpaque()
            if pthread_create(&thread, nil, { raw in
                let work = Unmanaged<ParallelReads>.fromOpaque(raw!).takeRetainedValue()
                Syscalls.prepareThreadForSharedLibc()
                work.work()
                return nil
            }, box) == 0 {
                started.append(thread)
            } else {
                Unmanaged<ParallelReads>.fromOpaque(box).release()
            }
        }
        work()
        for thread in started { pthread_join(thread, nil) }
    }

    func work() {
        while true {
            let index: Int = locked {
                defer { next += 1 }
                return next
            }
            guard index < names.count else { return }
            let result: Result<[UInt8]?, StoreError>
            do throws(StoreError) { result = .success(try store.read(names[index], deadline: deadline)) } catch { result = .failure(error) }
            locked { results[index] = result }
        }
    }
}
