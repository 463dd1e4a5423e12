import Testing
@testable import DockerServerCore

/// Cases found by attacking the server (see the e2e suite for their end-to-end forms).
@Suite("Hardening")
struct HardeningTests {
    @Test func chunkedTwiceIs400() throws {
        for field in ["Transfer-Encoding: chunked, chunked", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"] {
            let status = httpStatus { _ = try framing("POST / HTTP/1.1\r\nHost: x\r\n\(field)\r\n\r\n") }
            #expect(status == 400, "\(field)")
        }
        #expect(httpStatus { _ = try framing("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") } == 501)
    }

    @Test func aServerThatIsNotHTTPIsRefusedAtOnce() {
        let error = httpError { _ = try ResponseHeadParser.parse(bytes("SSH-2.0-OpenSSH_9.2")) }
        #expect(error?.status == 502)
        #expect(error?.message.contains("does not speak HTTP") == true)
        // A head still arriving is waited for.
        #expect(httpError { _ = try ResponseHeadParser.parse(bytes("HTT")) } == nil)
        #expect(httpError { _ = try ResponseHeadParser.parse(bytes("")) } == nil)
    }

    @Test(arguments: ["-5", "+5", "5x", "", " "])
    func engineContentLengthMustBeDigits(value: String) throws {
        let parsed = try #require(try ResponseHeadParser.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n")))
        #expect(parsed.0.framing == .untilClose)
    }

    @Test func argumentsWithNULAreRefused() throws {
        let fields = try RequestFields(body: bytes("{\"data\":[\"echo\",\"\\u0000x\"]}"), contentType: "application/json")
        #expect(httpStatus { _ = try fields.argv() } == 400)
        let form = try RequestFields(form: "data=echo%00x")
        #expect(httpStatus { _ = try form.argv() } == 400)
    }

    @Test func portBoundToAForeignAddressIs400() {
        let answer = EngineResponse(status: 500, body: bytes(
            "{\"message\":\"driver failed programming external connectivity on endpoint x: Error starting userland proxy: listen tcp4 10.1.2.3:18780: bind: cannot assign requested address\"}"))
        #expect(EngineErrors.map(answer, operation: .containerStart, context: "starting container x").status == 400)
    }

    @Test func http10StreamsAreNotChunked() {
        let head = String(decoding: HTTPResponse.head(status: 200, headers: [], contentLength: nil, date: nil, http10: true), as: UTF8.self)
        #expect(!head.contains("Transfer-Encoding"))
        #expect(head.hasSuffix("Connection: close\r\n\r\n"))
        let chunked = String(decoding: HTTPResponse.head(status: 200, headers: [], contentLength: nil, date: nil), as: UTF8.self)
        #expect(chunked.contains("Transfer-Encoding: chunked\r\n"))
    }
}
