/// Where the S3 store's objects live (docs/API.md "Cluster on S3"): the bucket, the key
/// prefix (`--folder` without its leading `/`, ending in `/`), and the endpoint the requests
/// go to. Addressing follows the AWS SDKs: virtual-hosted (`BUCKET.s3.REGION.amazonaws.com`)
/// on AWS when the bucket name has no dot, path-style (`/BUCKET/KEY`) otherwise and on every
/// custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`).
public struct S3Location: Equatable, Sendable {
    public let bucket: String
    public let prefix: String
    public let https: Bool
    /// What to connect to: a DNS name or an IP address, and the TCP port.
    public let host: String
    public let port: Int
    /// The `Host` field's value.
    public let authority: String
    /// Prepended to every object path: `/BUCKET` path-style, empty virtual-hosted.
    public let basePath: String

    /// - Parameters:
    ///   - bucket: `--s3`.
    ///   - folder: `--folder`, read as the key prefix.
    ///   - endpointURL: a custom endpoint, `http(s)://HOST[:PORT][/]`; nil for AWS.
    /// - Throws: `ConfigError` naming a bad bucket name or endpoint.
    public init(bucket: String, folder: String, region: String, endpointURL: String?) throws(ConfigError) {
        guard Self.isRegion(region) else { throw ConfigError("AWS region \"\(region)\" is not a region name (such as eu-west-1)") }
        guard Self.isBucketName(bucket) else {
            throw ConfigError("--s3: \"\(bucket)\" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit)")
        }
        self.bucket = bucket
        let trimmed = folder.drop { $0 == "/" }
        prefix = trimmed.isEmpty || trimmed.hasSuffix("/") ? String(trimmed) : trimmed + "/"
        if let endpointURL {
            let lower = endpointURL.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw ConfigError("S3 endpoint \(endpointURL): must start with http:// or https://")
            }
            https = lower.hasPrefix("https://")
            var rest = Substring(endpointURL.dropFirst(https ? 8 : 7))
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.contains("/"), !rest.contains("?"), !rest.contains("@"), !rest.isEmpty else {
                throw ConfigError("S3 endpoint \(endpointURL): give only a scheme, a host and a port")
            }
            var hostPart = rest
            var chosenPort = https ? 443 : 80
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw ConfigError("S3 endpoint \(endpointURL): bad IPv6 address") }
                hostPart = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":"), let p = Self.port(after.dropFirst()) else {
                        throw ConfigError("S3 endpoint \(endpointURL): bad port")
                    }
                    chosenPort = p
                }
            } else if let colon = rest.firstIndex(of: ":") {
                hostPart = rest[..<colon]
                guard let p = Self.port(rest[rest.index(after: colon)...]) else {
                    throw ConfigError("S3 endpoint \(endpointURL): bad port")
                }
                chosenPort = p
            }
            guard !hostPart.isEmpty else { throw ConfigError("S3 endpoint \(endpointURL): no host") }
            guard rest.hasPrefix("[") ? PortBinding.isIPv6(String(hostPart)) : Self.isHostName(hostPart) else {
                throw ConfigError("S3 endpoint \(endpointURL): \"\(hostPart)\" is not a host name or address")
            }
            host = String(hostPart)
            port = chosenPort
            let shownHost = host.contains(":") ? "[\(host)]" : host
            authority = port == (https ? 443 : 80) ? shownHost : "\(shownHost):\(port)"
            basePath = "/" + bucket
        } else {
            https = true
            port = 443
            if bucket.contains(".") {
                host = "s3.\(region).amazonaws.com"
                basePath = "/" + bucket
            } else {
                host = "\(bucket).s3.\(region).amazonaws.com"
                basePath = ""
            }
            authority = host
        }
    }

    /// The endpoint, for messages: `https://HOST[:PORT]`.
    public var endpoint: String { (https ? "https://" : "http://") + authority }

    /// The store, for messages: `s3://BUCKET/PREFIX`.
    public var shown: String { "s3://\(bucket)/\(prefix)" }

    /// An unsigned request: for an object when `name` is given (`PREFIX` + name), else for
    /// the bucket.
    public func request(_ method: String, object name: String?, query: [(String, String)] = [], body: [UInt8] = []) -> S3Request {
        let path = name.map { basePath + "/" + SigV4.uriEncode(prefix + $0, encodeSlash: false) } ?? (basePath.isEmpty ? "/" : basePath)
        var headers = [("Host", authority)]
        if method == "PUT" { headers.append(("Content-Type", "application/json")) }
        return S3Request(method: method, path: path, query: query, headers: headers, body: body)
    }

    /// One page of ListObjectsV2 of the keys `PREFIX` + `ds-…` (at most 1,000 keys, S3's page
    /// size): other objects under the prefix are not even listed.
    public func listRequest(continuationToken: String?) -> S3Request {
        var query = [("list-type", "2"), ("prefix", prefix + "ds-")]
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        return request("GET", object: nil, query: query)
    }

    /// S3's bucket naming rules (general purpose buckets): 3-63 lowercase letters, digits,
    /// dots and hyphens, a letter or digit at both ends and around every dot, not an IPv4
    /// address, not starting with `xn--`, `sthree-` or `amzn-s3-demo-`, not ending with
    /// `-s3alias` or `--ol-s3`.
    public static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        guard (3...63).contains(bytes.count), alnum(bytes.first!), alnum(bytes.last!),
              bytes.allSatisfy({ alnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else { return false }
        for bad in ["..", ".-", "-."] where name.contains(bad) { return false }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) { return false }
        for suffix in ["-s3alias", "--ol-s3"] where name.hasSuffix(suffix) { return false }
        return !PortBinding.isIPv4(name)
    }

    /// A host name: letters, digits, hyphens and dots (IPv4 addresses included).
    static func isHostName(_ name: Substring) -> Bool {
        name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    /// A TCP port in decimal digits, 1-65535.
    static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let port = Int(text), (1...65535).contains(port) else { return nil }
        return port
    }

    /// An AWS region name: lowercase letters, digits and hyphens (`us-east-1`).
    public static func isRegion(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 32 && name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
        }
    }
}
