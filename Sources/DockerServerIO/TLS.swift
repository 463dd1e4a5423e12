#if !DS_NO_TLS
import Glibc
import DockerServerCore

/// TLS on the accepted connection (docs/API.md "HTTPS"), with the system's OpenSSL 3 (`libssl.so.3`)
/// loaded with `dlopen` only when `--https` asks for it, so a plain-HTTP process never maps
/// it. A small wrapper over the OpenSSL calls the server needs; no TLS code of our own.
/// TLS 1.2 at least, OpenSSL's default TLS 1.3 suites and a modern TLS 1.2 cipher list, the
/// certificate chain sent in full (`cert` plus `chain`, Let's Encrypt's layout).
public final class TLSChannel {
    /// The OpenSSL functions used, resolved once.
    struct Library {
        typealias Method = @convention(c) () -> OpaquePointer?
        typealias CtxNew = @convention(c) (OpaquePointer?) -> OpaquePointer?
        typealias CtxCtrl = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
        typealias CtxString = @convention(c) (OpaquePointer?, UnsafePointer<CChar>) -> Int32
        typealias CtxFileType = @convention(c) (OpaquePointer?, UnsafePointer<CChar>, Int32) -> Int32
        typealias CtxCheck = @convention(c) (OpaquePointer?) -> Int32
        typealias New = @convention(c) (OpaquePointer?) -> OpaquePointer?
        typealias SetFD = @convention(c) (OpaquePointer?, Int32) -> Int32
        typealias Handshake = @convention(c) (OpaquePointer?) -> Int32
        typealias IO = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Int32
        typealias GetError = @convention(c) (OpaquePointer?, Int32) -> Int32
        typealias ErrGet = @convention(c) () -> UInt
        typealias ErrString = @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
        typealias BIONewFile = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> OpaquePointer?
        typealias BIOFree = @convention(c) (OpaquePointer?) -> Int32
        typealias PEMReadX509 = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> OpaquePointer?
        typealias SetOptions = @convention(c) (OpaquePointer?, UInt64) -> UInt64
        typealias PasswordCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
        typealias SetPasswordCallback = @convention(c) (OpaquePointer?, PasswordCallback?) -> Void
        typealias LoadVerifyLocations = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
        typealias SetVerify = @convention(c) (OpaquePointer?, Int32, OpaquePointer?) -> Void
        typealias SetHost = @convention(c) (OpaquePointer?, UnsafePointer<CChar>) -> Int32
        typealias GetParam = @convention(c) (OpaquePointer?) -> OpaquePointer?
        typealias SSLCtrl = @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
        typealias VerifyResult = @convention(c) (OpaquePointer?) -> Int

        let serverMethod: Method, ctxNew: CtxNew, ctxCtrl: CtxCtrl, setCipherList: CtxString
        let useChainFile: CtxString, useKeyFile: CtxFileType, checkKey: CtxCheck
        let new: New, setReadFD: SetFD, setWriteFD: SetFD, accept: Handshake, shutdown: Handshake
        let read: IO, write: IO, getError: GetError, pending: Handshake
        let errGet: ErrGet, errString: ErrString
        let bioNewFile: BIONewFile, bioFree: BIOFree, pemReadX509: PEMReadX509
        let setOptions: SetOptions, setPasswordCallback: SetPasswordCallback
        // The client side (cluster nodes over https://).
        let clientMethod: Method, defaultVerifyPaths: CtxCheck, loadVerifyLocations: LoadVerifyLocations
        let setVerify: SetVerify, connect: Handshake, setHost: SetHost, getParam: GetParam
        let paramSetIP: SetHost, sslCtrl: SSLCtrl, verifyResult: VerifyResult

        /// Loads `libssl.so.3` (and with it `libcrypto.so.3`).
        /// - Throws: `TLSError` naming what is missing.
        static func load() throws(TLSError) -> Library {
            Syscalls.separateThreadKeys()
            guard let handle = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL) else {
                let why = dlerror().map { String(cString: $0) } ?? "unknown error"
                throw TLSError("cannot load OpenSSL (libssl.so.3; apt-get install libssl3): \(why)")
            }
            func symbol<T>(_ name: String, _ type: T.Type) throws(TLSError) -> T {
                guard let pointer = dlsym(handle, name) else { throw TLSError("OpenSSL lacks \(name)") }
                return unsafeBitCast(pointer, to: type)
            }
            return Library(
                serverMethod: try symbol("TLS_server_method", Method.self), ctxNew: try symbol("SSL_CTX_new", CtxNew.self),
                ctxCtrl: try symbol("SSL_CTX_ctrl", CtxCtrl.self), setCipherList: try symbol("SSL_CTX_set_cipher_list", CtxString.self),
                useChainFile: try symbol("SSL_CTX_use_certificate_chain_file", CtxString.self),
                useKeyFile: try symbol("SSL_CTX_use_PrivateKey_file", CtxFileType.self),
                checkKey: try symbol("SSL_CTX_check_private_key", CtxCheck.self),
                new: try symbol("SSL_new", New.self), setReadFD: try symbol("SSL_set_rfd", SetFD.self),
                setWriteFD: try symbol("SSL_set_wfd", SetFD.self), accept: try symbol("SSL_accept", Handshake.self),
                shutdown: try symbol("SSL_shutdown", Handshake.self), read: try symbol("SSL_read", IO.self),
                write: try symbol("SSL_write", IO.self), getError: try symbol("SSL_get_error", GetError.self),
                pending: try symbol("SSL_pending", Handshake.self), errGet: try symbol("ERR_get_error", ErrGet.self),
                errString: try symbol("ERR_error_string_n", ErrString.self), bioNewFile: try symbol("BIO_new_file", BIONewFile.self),
                bioFree: try symbol("BIO_free", BIOFree.self), pemReadX509: try symbol("PEM_read_bio_X509", PEMReadX509.self),
                setOptions: try symbol("SSL_CTX_set_options", SetOptions.self),
                setPasswordCallback: try symbol("SSL_CTX_set_default_passwd_cb", SetPasswordCallback.self),
                clientMethod: try symbol("TLS_client_method", Method.self),
                defaultVerifyPaths: try symbol("SSL_CTX_set_default_verify_paths", CtxCheck.self),
                loadVerifyLocations: try symbol("SSL_CTX_load_verify_locations", LoadVerifyLocations.self),
                setVerify: try symbol("SSL_CTX_set_verify", SetVerify.self), connect: try symbol("SSL_connect", Handshake.self),
                setHost: try symbol("SSL_set1_host", SetHost.self), getParam: try symbol("SSL_get0_param", GetParam.self),
                paramSetIP: try symbol("X509_VERIFY_PARAM_set1_ip_asc", SetHost.self), sslCtrl: try symbol("SSL_ctrl", SSLCtrl.self),
                verifyResult: try symbol("SSL_get_verify_result", VerifyResult.self))
        }

        /// OpenSSL's queued errors as one line.
        func errors() -> String {
            var parts: [String] = []
            while parts.count < 4 {
                let code = errGet()
                guard code != 0 else { break }
                var buffer = [CChar](repeating: 0, count: 256)
                errString(code, &buffer, buffer.count)
                parts.append(Syscalls.string(fromNulTerminated: buffer))
            }
            return parts.isEmpty ? "no detail" : parts.joined(separator: "; ")
        }
    }

    // OpenSSL constants (openssl/ssl.h, openssl/tls1.h).
    static let ctrlSetMinProtoVersion: Int32 = 123, ctrlExtraChainCert: Int32 = 14
    static let tls12: Int = 0x0303, fileTypePEM: Int32 = 1
    static let errorWantRead: Int32 = 2, errorWantWrite: Int32 = 3, errorZeroReturn: Int32 = 6
    /// SSL_VERIFY_PEER; SSL_CTRL_SET_TLSEXT_HOSTNAME and TLSEXT_NAMETYPE_host_name (SNI).
    static let verifyPeer: Int32 = 1, ctrlSetTLSExtHostName: Int32 = 55, nameTypeHostName = 0
    /// SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE.
    static let options: UInt64 = 0x4000_0000 | 0x0040_0000
    /// TLS 1.2 suites: forward secret AEAD only (TLS 1.3 keeps OpenSSL's defaults).
    static let cipherList = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    let library: Library
    let ssl: OpaquePointer
    let input: Int32, output: Int32

    /// Loads OpenSSL and checks the certificate, key and chain of `config`, as every
    /// connection will (`--listen --https` does it once at start, to fail early and loudly).
    /// - Throws: `TLSError` saying what is wrong.
    public static func check(config: Config) throws(TLSError) {
        _ = try context(config: config, library: try Library.load())
    }

    /// An `SSL_CTX` with our protocol floor, ciphers, certificate, key and chain.
    static func context(config: Config, library: Library) throws(TLSError) -> OpaquePointer {
        guard let ctx = library.ctxNew(library.serverMethod()) else { throw TLSError("SSL_CTX_new failed: \(library.errors())") }
        _ = library.ctxCtrl(ctx, Self.ctrlSetMinProtoVersion, Self.tls12, nil)
        _ = library.setOptions(ctx, Self.options)
        // No passphrase prompt, ever: OpenSSL would ask on the terminal or on stdin/stderr,
        // which are the client's socket. An encrypted key fails like any unusable key.
        library.setPasswordCallback(ctx, { _, _, _, _ in 0 })
        guard library.setCipherList(ctx, Self.cipherList) == 1 else { throw TLSError("cipher list refused: \(library.errors())") }
        guard access(config.certPath, R_OK) == 0 else { throw TLSError("certificate \(config.certPath): \(Syscalls.errorText(errno))") }
        guard access(config.keyPath, R_OK) == 0 else { throw TLSError("private key \(config.keyPath): \(Syscalls.errorText(errno))") }
        guard library.useChainFile(ctx, config.certPath) == 1 else {
            throw TLSError("certificate \(config.certPath) unusable: \(library.errors())")
        }
        guard library.useKeyFile(ctx, config.keyPath, Self.fileTypePEM) == 1 else {
            throw TLSError("private key \(config.keyPath) unusable (encrypted with a passphrase, not a key, or not the key of \(config.certPath)): \(library.errors())")
        }
        guard library.checkKey(ctx) == 1 else {
            throw TLSError("private key \(config.keyPath) does not match certificate \(config.certPath): \(library.errors())")
        }
        // The chain is optional: when the file exists, every certificate in it is sent after
        // ours. Only the default may be missing; a chain file named with --chain must be there.
        if access(config.chainPath, F_OK) != 0, config.chainGiven {
            throw TLSError("chain \(config.chainPath): \(Syscalls.errorText(errno))")
        }
        if access(config.chainPath, F_OK) == 0 {
            guard let bio = library.bioNewFile(config.chainPath, "r") else {
                throw TLSError("chain \(config.chainPath) unreadable: \(library.errors())")
            }
            defer { _ = library.bioFree(bio) }
            var added = 0
            while let certificate = library.pemReadX509(bio, nil, nil, nil) {
                guard library.ctxCtrl(ctx, Self.ctrlExtraChainCert, 0, UnsafeMutableRawPointer(certificate)) == 1 else {
                    throw TLSError("chain \(config.chainPath): \(library.errors())")
                }
                added += 1
            }
            _ = library.errors()  // the end of the file leaves a "no start line" error queued
            // Every certificate in the file must have been read: a damaged one stops the reading.
            let text = String(decoding: Syscalls.readFile(config.chainPath, limit: 1 << 20) ?? [], as: UTF8.self)
            let present = text.splitting(on: "-----BEGIN CERTIFICATE-----").count - 1
            guard added > 0, added == present else {
                throw TLSError("chain \(config.chainPath): \(added) of \(present) certificates readable")
            }
        }
        return ctx
    }

    /// Prepares TLS on `input`/`output` (the same socket) with the certificate, key and
    /// optional chain of `config`. Nothing is sent yet.
    /// - Throws: `TLSError` when OpenSSL cannot be loaded or a file is missing, unreadable or
    ///   does not match (fail closed: the caller answers nothing in clear text).
    public init(config: Config, input: Int32, output: Int32) throws(TLSError) {
        let library = try Library.load()
        let ctx = try Self.context(config: config, library: library)
        guard let ssl = library.new(ctx) else { throw TLSError("SSL_new failed: \(library.errors())") }
        _ = library.setReadFD(ssl, input)
        _ = library.setWriteFD(ssl, output)
        self.library = library
        self.ssl = ssl
        self.input = input
        self.output = output
        // Non-blocking, so every wait goes through poll with the request's deadlines.
        Syscalls.setNonBlocking(input)
        if output != input { Syscalls.setNonBlocking(output) }
    }

    init(library: Library, ssl: OpaquePointer, fd: Int32) {
        self.library = library
        self.ssl = ssl
        self.input = fd
        self.output = fd
    }

    /// TLS to a cluster node on the connected non-blocking socket `fd`, handshake done before
    /// `deadline`: the node's certificate must chain to the system's CAs or to those in
    /// `trustPath` (`--chain`, when the file exists) and name `host` (an IP address in its
    /// subjectAltName, or a DNS name, also sent as SNI). TLS 1.2 at least.
    /// - Throws: `TLSError` when OpenSSL cannot be loaded, the handshake fails or times out,
    ///   or the certificate is not trusted for `host`.
    public static func client(fd: Int32, host: String, trustPath: String?, deadline: Int64) throws(TLSError) -> TLSChannel {
        let library = try Library.load()
        guard let ctx = library.ctxNew(library.clientMethod()) else { throw TLSError("SSL_CTX_new failed: \(library.errors())") }
        _ = library.ctxCtrl(ctx, Self.ctrlSetMinProtoVersion, Self.tls12, nil)
        _ = library.defaultVerifyPaths(ctx)
        if let trustPath, access(trustPath, R_OK) == 0, library.loadVerifyLocations(ctx, trustPath, nil) != 1 {
            throw TLSError("trusted certificates \(trustPath) unusable: \(library.errors())")
        }
        library.setVerify(ctx, Self.verifyPeer, nil)
        guard let ssl = library.new(ctx) else { throw TLSError("SSL_new failed: \(library.errors())") }
        if PortBinding.isIPv4(host) || PortBinding.isIPv6(host) {
            guard library.paramSetIP(library.getParam(ssl), host) == 1 else { throw TLSError("bad address \(host)") }
        } else {
            guard library.setHost(ssl, host) == 1 else { throw TLSError("bad host name \(host)") }
            _ = host.withCString { library.sslCtrl(ssl, Self.ctrlSetTLSExtHostName, Self.nameTypeHostName, UnsafeMutableRawPointer(mutating: $0)) }
        }
        _ = library.setReadFD(ssl, fd)
        _ = library.setWriteFD(ssl, fd)
        let channel = TLSChannel(library: library, ssl: ssl, fd: fd)
        while true {
            let result = library.connect(ssl)
            if result == 1 { return channel }
            guard channel.wait(after: result, deadline: deadline) else {
                if Syscalls.monotonicMs() >= deadline { throw TLSError("TLS handshake with \(host) not completed in time") }
                let verify = library.verifyResult(ssl)
                throw TLSError("TLS handshake with \(host) failed" + (verify != 0 ? " (certificate not trusted for it: X509 error \(verify))" : "") + ": \(library.errors())")
            }
        }
    }

    /// Waits as OpenSSL asks after a call returned `result`; false when it failed for good or
    /// the deadline passed.
    func wait(after result: Int32, deadline: Int64?) -> Bool {
        switch library.getError(ssl, result) {
        case Self.errorWantRead: return Syscalls.wait(input, events: Int16(POLLIN), deadline: deadline) == .ready
        case Self.errorWantWrite: return Syscalls.wait(output, events: Int16(POLLOUT), deadline: deadline) == .ready
        default: return false
        }
    }

    /// The TLS handshake (`SSL_accept`) before `deadline`.
    /// - Throws: `TLSError` when the client is not speaking TLS (plain HTTP, say), offers
    ///   nothing acceptable, hangs up or stalls.
    public func handshake(deadline: Int64) throws(TLSError) {
        while true {
            let result = library.accept(ssl)
            if result == 1 { return }
            guard wait(after: result, deadline: deadline) else {
                if Syscalls.monotonicMs() >= deadline { throw TLSError("handshake not completed in time") }
                throw TLSError("handshake failed: \(library.errors())")
            }
        }
    }

    /// Reads decrypted bytes (at most 64 KiB) once there are some.
    public func read(deadline: Int64?, watch: Int32? = nil) -> Syscalls.ReadResult {
        while true {
            let result = [UInt8](unsafeUninitializedCapacity: 65536) { storage, count in
                let n = library.read(ssl, storage.baseAddress, 65536)
                count = max(Int(n), 0)
            }
            if !result.isEmpty { return .data(result) }
            let code = library.getError(ssl, 0)
            if code == Self.errorZeroReturn { return .endOfFile }
            if code == Self.errorWantRead {
                switch Syscalls.wait(input, events: Int16(POLLIN), deadline: deadline, watch: watch) {
                case .ready: continue
                case .timedOut: return .timedOut
                case .hangup: return .hangup
                }
            }
            if code == Self.errorWantWrite {
                guard Syscalls.wait(output, events: Int16(POLLOUT), deadline: deadline) == .ready else { return .timedOut }
                continue
            }
            _ = library.errors()
            return .endOfFile  // the peer went away without close_notify, or a TLS error
        }
    }

    /// Encrypts and writes all of `bytes`, in pieces of 64 KiB.
    /// - Parameter stallTimeoutMs: how long the client may take no bytes; every write that
    ///   makes progress, and every byte the client takes from the socket, starts the time
    ///   again (`Syscalls.waitWritable`).
    public func writeAll(_ bytes: [UInt8], stallTimeoutMs: Int64?) -> Syscalls.WriteOutcome {
        var offset = 0
        var deadline = stallTimeoutMs.map { Syscalls.monotonicMs() + $0 }
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                library.write(ssl, UnsafeMutableRawPointer(mutating: raw.baseAddress! + offset), Int32(min(bytes.count - offset, 65536)))
            }
            if n > 0 {
                offset += Int(n)
                deadline = stallTimeoutMs.map { Syscalls.monotonicMs() + $0 }
                continue
            }
            if library.getError(ssl, n) == Self.errorWantWrite {
                guard Syscalls.waitWritable(output, deadline: &deadline, stallTimeoutMs: stallTimeoutMs) else { return .stalled }
                continue
            }
            guard wait(after: n, deadline: deadline) else {
                if let deadline, Syscalls.monotonicMs() >= deadline { return .stalled }
                return .failed
            }
        }
        return .written
    }

    /// Sends close_notify (best effort, without waiting for the client's).
    public func close() {
        _ = library.shutdown(ssl)
    }
}

/// TLS set-up or handshake failure: logged, never answered in clear text.
public struct TLSError: Error {
    public let message: String
    init(_ message: String) { self.message = message }
}
#endif
