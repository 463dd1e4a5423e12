#if !DS_NO_TLS
import Foundation
import Testing
@testable import DockerServerIO

/// The OpenSSL constants TLS.swift copies (Swift cannot import the C macros) equal the
/// installed headers': a C program prints them (the test command installs libssl-dev).
struct OpenSSLConstantsTests {
    @Test func constantsMatchTheInstalledHeaders() throws {
        try #require(FileManager.default.fileExists(atPath: "/usr/include/openssl/ssl.h"),
                     "the OpenSSL headers are missing: install libssl-dev (scripts/test-env.sh does)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ds-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("c.c"), binary = folder.appendingPathComponent("c")
        try """
        #include <stdio.h>
        #include <openssl/ssl.h>
        int main(void) {
            printf("%d %d %d %d %d %d %d %llu\\n", SSL_CTRL_SET_MIN_PROTO_VERSION, SSL_CTRL_EXTRA_CHAIN_CERT, TLS1_2_VERSION,
                   SSL_FILETYPE_PEM, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE, SSL_ERROR_ZERO_RETURN,
                   (unsigned long long)(SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE));
            return 0;
        }
        """.write(to: source, atomically: true, encoding: .utf8)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compile.arguments = [source.path, "-o", binary.path]
        try compile.run()
        compile.waitUntilExit()
        try #require(compile.terminationStatus == 0, "cc could not compile against the OpenSSL headers")
        let run = Process(), output = Pipe()
        run.executableURL = binary
        run.standardOutput = output
        try run.run()
        run.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        let ours = [String(TLSChannel.ctrlSetMinProtoVersion), String(TLSChannel.ctrlExtraChainCert), String(TLSChannel.tls12),
                    String(TLSChannel.fileTypePEM), String(TLSChannel.errorWantRead), String(TLSChannel.errorWantWrite),
                    String(TLSChannel.errorZeroReturn), String(TLSChannel.options)]
        #expect(printed == ours)
    }
}
#endif
