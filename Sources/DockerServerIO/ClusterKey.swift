import Glibc
import DockerServerCore

/// SHA-256 and HMAC-SHA256 from the system's OpenSSL 3 (`libcrypto.so.3`), loaded with
/// `dlopen` only in cluster mode, as TLS loads libssl: a plain process never maps it, and no
/// hash code is our own.
public struct LibCrypto: SHA256Functions, @unchecked Sendable {  // immutable C function pointers
    typealias EVPSHA256 = @convention(c) () -> OpaquePointer?
    typealias HMACFunction = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32, UnsafePointer<UInt8>?, Int,
                                             UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> UnsafeMutablePointer<UInt8>?
    typealias SHA256Function = @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> UnsafeMutablePointer<UInt8>?

    let evpSHA256: EVPSHA256
    let hmacFunction: HMACFunction
    let sha256Function: SHA256Function

    /// - Parameter user: the option that needs it, for the message (`--cluster`).
    /// - Throws: `ConfigError` when libcrypto cannot be loaded.
    public init(for user: String) throws(ConfigError) {
        Syscalls.separateThreadKeys()
        guard let handle = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw ConfigError("\(user): cannot load OpenSSL's libcrypto.so.3 (apt-get install libssl3): \(why)")
        }
        guard let evp = dlsym(handle, "EVP_sha256"), let hmac = dlsym(handle, "HMAC"), let sha = dlsym(handle, "SHA256") else {
            throw ConfigError("\(user): libcrypto.so.3 lacks EVP_sha256, HMAC or SHA256")
        }
        evpSHA256 = unsafeBitCast(evp, to: EVPSHA256.self)
        hmacFunction = unsafeBitCast(hmac, to: HMACFunction.self)
        sha256Function = unsafeBitCast(sha, to: SHA256Function.self)
    }

    public func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeBufferPointer { sha256Function($0.baseAddress, $0.count, &out) }
        return out
    }

    public func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = key.withUnsafeBytes { k in
            message.withUnsafeBufferPointer { m in
                hmacFunction(evpSHA256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return out
    }
}

/// The cluster key (docs/DESIGN.md "Cluster"): it signs cluster entries and forwarding fields.
public final class ClusterKey {
    public let crypto: LibCrypto
    let key: [UInt8]

    /// - Parameter secret: `--cluster_secret`, else the API token: every node must share it.
    /// - Throws: `ConfigError` when libcrypto cannot be loaded.
    public init(secret: String) throws(ConfigError) {
        crypto = try LibCrypto(for: "--cluster")
        // A label separates this use of the secret from any other (the token also
        // authenticates clients).
        key = Array("docker-server cluster key v1\n".utf8) + Array(secret.utf8)
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under the cluster key, lowercase hex.
    public func sign(_ message: [UInt8]) -> String { SigV4.hex(crypto.hmacSHA256(key: key, message)) }

    /// True when `signature` (hex) is the HMAC of `message`; compared in constant time.
    public func verify(_ message: [UInt8], _ signature: String) -> Bool {
        Authenticator.constantTimeEqual(Array(sign(message).utf8), Array(signature.utf8))
    }

    /// SHA-256 of `bytes`, lowercase hex.
    public func sha256(_ bytes: [UInt8]) -> String { SigV4.hex(crypto.sha256(bytes)) }
}
