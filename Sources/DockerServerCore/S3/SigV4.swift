/// SHA-256 and HMAC-SHA256, supplied by the I/O layer (the system's libcrypto): the signing
/// below stays pure and is tested with the published examples.
public protocol SHA256Functions {
    /// SHA-256 (FIPS 180-4) of `bytes`: 32 bytes.
    func sha256(_ bytes: [UInt8]) -> [UInt8]
    /// HMAC-SHA256 (RFC 2104) of `message` under `key`: 32 bytes.
    func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8]
}

/// One HTTP request to S3, before and after signing: what goes on the wire.
public struct S3Request: Sendable {
    public var method: String
    /// The request target's path, already percent-encoded (`SigV4.uriEncode`), starting with `/`.
    public var path: String
    /// Query parameters, not encoded; sent and signed in canonical order.
    public var query: [(String, String)]
    /// Header fields (name, value) sent and signed; `Host` among them.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The request target as sent: path, then `?` and the canonical query string when there is one.
    public var target: String {
        let query = SigV4.canonicalQuery(query)
        return query.isEmpty ? path : path + "?" + query
    }
}

/// AWS Signature Version 4 for S3, in the Authorization header with the payload hashed whole
/// ("Signature Calculations for the Authorization Header: Transferring Payload in a Single
/// Chunk", Amazon S3 API Reference). Every header of the request is signed.
public struct SigV4: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// Temporary credentials' token, sent as `X-Amz-Security-Token` (signed).
    public var sessionToken: String?
    public var region: String
    public var service = "s3"

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String?, region: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
    }

    /// Adds `X-Amz-Date`, `X-Amz-Content-SHA256` (unless present), `X-Amz-Security-Token`
    /// (with a session token) and `Authorization` to `request`.
    /// - Parameters:
    ///   - unixSeconds: the signing time, seconds since 1970 (UTC).
    public func sign(_ request: inout S3Request, unixSeconds: Int64, hashing: some SHA256Functions) {
        let amzDate = Self.amzDate(unixSeconds)
        request.headers.append(("X-Amz-Date", amzDate))
        if !request.headers.contains(where: { $0.0.lowercased() == "x-amz-content-sha256" }) {
            request.headers.append(("X-Amz-Content-SHA256", Self.hex(hashing.sha256(request.body))))
        }
        if let sessionToken { request.headers.append(("X-Amz-Security-Token", sessionToken)) }
        request.headers.append(("Authorization", authorization(request, amzDate: amzDate, hashing: hashing)))
    }

    /// The `Authorization` value for `request` (every header signed, `X-Amz-Content-SHA256`
    /// taken as the payload hash) at `amzDate` (`YYYYMMDD'T'HHMMSS'Z'`).
    public func authorization(_ request: S3Request, amzDate: String, hashing: some SHA256Functions) -> String {
        let date = String(amzDate.prefix(8))
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let (canonical, signedHeaders) = Self.canonicalRequest(request, hashing: hashing)
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Self.hex(hashing.sha256(Array(canonical.utf8)))
        var key = hashing.hmacSHA256(key: Array("AWS4\(secretAccessKey)".utf8), Array(date.utf8))
        for part in [region, service, "aws4_request"] { key = hashing.hmacSHA256(key: key, Array(part.utf8)) }
        let signature = Self.hex(hashing.hmacSHA256(key: key, Array(stringToSign.utf8)))
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    /// The canonical request and the signed-headers list: method, path (as sent: S3 paths
    /// are not normalised), canonical query, headers lowercased, trimmed and sorted, payload
    /// hash (`X-Amz-Content-SHA256`, else the body's).
    public static func canonicalRequest(_ request: S3Request, hashing: some SHA256Functions) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers where name.lowercased() != "authorization" {
            merged[name.lowercased(), default: []].append(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
        }
        let names = merged.keys.sorted()
        let headers = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        let payload = merged["x-amz-content-sha256"]?.first ?? hex(hashing.sha256(request.body))
        return ([request.method, request.path, canonicalQuery(request.query), headers, signed, payload].joined(separator: "\n"), signed)
    }

    /// Parameters encoded (`uriEncode`, `/` too) and sorted by name, then value: `a=1&b=`.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0, encodeSlash: true), uriEncode($0.1, encodeSlash: true)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Percent-encodes every byte of the UTF-8 form except RFC 3986's unreserved characters
    /// (`A-Z a-z 0-9 - . _ ~`), and `/` unless `encodeSlash`; hex digits uppercase.
    public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where !encodeSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` (ISO 8601 basic, UTC) of a Unix time in seconds.
    public static func amzDate(_ unixSeconds: Int64) -> String {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86400 : (unixSeconds - 86399) / 86400)
        let seconds = Int(unixSeconds - Int64(days) * 86400)
        // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)\(two(month))\(two(day))T\(two(seconds / 3600))\(two(seconds / 60 % 60))\(two(seconds % 60))Z"
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
