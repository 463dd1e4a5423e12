import Glibc
import DockerServerCore

/// HMAC-SHA256 and SHA-256 from the system's OpenSSL 3 (`libcrypto.so.3`), loaded with
/// `dlopen` only in cluster mode, as TLS loads libssl: a plain process never maps it, and no
/// hash code is our own. The key signs cluster entries and forwarding fields
/// (docs/DESIGN.md "Cluster").
public final class ClusterKey {
    typealias EVPSHA256 = @convention(c) () -> OpaquePointer?
    typealias HMACFunction = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32, UnsafePointer<UInt8>?, Int,
                                             UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt32>?) -> UnsafeMutablePointer<UInt8>?
    typealias SHA256Function = @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> UnsafeMutablePointer<UInt8>?

    let evpSHA256: EVPSHA256
    let hmacFunction: HMACFunction
    let sha256Function: SHA256Function
    let key: [UInt8]

    /// - Parameter secret: `--cluster_secret`, else the API token: every node must share it.
    /// - Throws: `ConfigError` when libcrypto cannot be loaded.
    public init(secret: String) throws(ConfigError) {
        Syscalls.separateThreadKeys()
        guard let handle = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw ConfigError("--cluster: cannot load OpenSSL's libcrypto.so.3 (apt-get install libssl3): \(why)")
        }
        guard let evp = dlsym(handle, "EVP_sha256"), let hmac = dlsym(handle, "HMAC"), let sha = dlsym(handle, "SHA256") else {
            throw ConfigError("--cluster: libcrypto.so.3 lacks EVP_sha256, HMAC or SHA256")
        }
        evpSHA256 = unsafeBitCast(evp, to: EVPSHA256.self)
        hmacFunction = unsafeBitCast(hmac, to: HMACFunction.self)
        sha256Function = unsafeBitCast(sha, to: SHA256Function.self)
        // A label separates this use of the secret from any other (the token also
        // authenticates clients).
        key = Array("docker-server cluster key v1\n".utf8) + Array(secret.utf8)
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under the cluster key, lowercase hex.
    public func sign(_ message: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = key.withUnsafeBytes { k in
            message.withUnsafeBufferPointer { m in
                hmacFunction(evpSHA256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return Self.hex(out)
    }

    /// True when `signature` (hex) is the HMAC of `message`; compared in constant time.
    public func verify(_ message: [UInt8], _ signature: String) -> Bool {
        Authenticator.constantTimeEqual(Array(sign(message).utf8), Array(signature.utf8))
    }

    /// SHA-256 of `bytes`, lowercase hex.
    public func sha256(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeBufferPointer { sha256Function($0.baseAddress, $0.count, &out) }
        return Self.hex(out)
    }

    static func hex(_ bytes: [UInt8]) -> String {
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
