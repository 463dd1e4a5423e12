/// Checks the `Authorization` field against the configured token (docs/API.md "Authentication").
///
/// Accepted: `Basic base64(token)` (the original DockerServer's form), `Basic
/// base64(user:token)` with any user (so `curl -u x:TOKEN` works), `Basic base64(token:)`
/// (the token as user name with an empty password: `curl -u TOKEN:`, the habit of many token
/// APIs) and `Bearer TOKEN`.
/// Every comparison takes time independent of where the inputs differ.
public enum Authenticator {
    public enum Outcome: Equatable, Sendable {
        case accepted
        /// No `Authorization` field.
        case missing
        /// A field that did not carry the token.
        case rejected
    }

    /// The value of `WWW-Authenticate` on a 401 (RFC 9110 §11.6.1, RFC 7617).
    public static let challenge = "Basic realm=\"docker-server\", charset=\"UTF-8\""

    /// Checks `authorization` (the field value, nil if absent) against `token`.
    public static func check(authorization: String?, token: String) -> Outcome {
        guard let authorization else { return .missing }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return .rejected }
        let scheme = parts[0].lowercased()
        let credentials = parts[1].trimmingSpaces
        let expected = Array(token.utf8)
        switch scheme {
        case "bearer":
            return constantTimeEqual(Array(credentials.utf8), expected) ? .accepted : .rejected
        case "basic":
            guard let decoded = Base64.decode(credentials) else { return .rejected }
            // Every form is compared every time, so timing does not tell which one matched.
            let whole = constantTimeEqual(decoded, expected)
            let afterColon = decoded.firstIndex(of: UInt8(ascii: ":")).map { Array(decoded[($0 + 1)...]) } ?? []
            let password = constantTimeEqual(afterColon, expected)
            let asUser = decoded.last == UInt8(ascii: ":") ? Array(decoded.dropLast()) : []
            let user = constantTimeEqual(asUser, expected)
            return whole || password || user ? .accepted : .rejected
        default:
            return .rejected
        }
    }

    /// Compares two byte strings in time that depends only on their lengths' maximum, not
    /// on the position of the first difference.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let n = max(a.count, b.count)
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }
}
