import Testing
@testable import DockerServerCore

// MARK: - Request head

@Suite("RequestHeadParser")
struct RequestHeadParserTests {
    @Test func parsesRequestLineAndFields() throws {
        let text = "PUT /abc?x=1 HTTP/1.1\r\nHost: example\r\nContent-Type:  application/json \t\r\nX-Empty:\r\n\r\n{}"
        let (head, offset) = try parseHead(text)
        #expect(head.method == "PUT")
        #expect(head.target == "/abc?x=1")
        #expect(head.minorVersion == 1)
        #expect(head.fields == [HTTPField("Host", "example"), HTTPField("Content-Type", "application/json"), HTTPField("X-Empty", "")])
        #expect(offset == text.utf8.count - 2)
        #expect(head.field("content-type") == "application/json")
        #expect(head.field("x-missing") == nil)
    }

    @Test func fieldLookupIsCaseInsensitiveInBothArguments() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nhOsT: a\r\nAccept: x\r\naccept: y\r\n\r\n")
        #expect(head.field("host") == "a")
        #expect(head.field("Host") == "a")
        #expect(head.field("HOST") == "a")
        #expect(head.fields(named: "ACCEPT") == ["x", "y"])
        #expect(head.fields(named: "accept") == ["x", "y"])
    }

    @Test func http10() throws {
        let (head, offset) = try parseHead("GET / HTTP/1.0\r\n\r\n")
        #expect(head.minorVersion == 0)
        #expect(head.fields.isEmpty)
        #expect(offset == 18)
    }

    /// RFC 9112 §2.2 lets a recipient take a bare LF as a line end; a proxy in front that
    /// does not would see other lines: refused, with every other bare LF or CR.
    @Test(arguments: ["GET /x HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1\r\nHost: a\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\n",
                      "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\nHost"])
    func bareLFIs400(text: String) {
        let error = httpError { _ = try RequestHeadParser.parse(bytes(text), maxHeaderBytes: Limits.maxHeaderBytes) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badLineEnding)
    }

    @Test func leadingEmptyLinesIgnored() throws {
        let (head, offset) = try parseHead("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(head.method == "GET")
        #expect(offset == 31)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\rHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\r\n\r\n",
        "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
    ])
    func bareCRRejected(text: String) {
        #expect(httpStatus { _ = try parseHead(text) } == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
    ])
    func obsFoldRejected(text: String) {
        let error = httpError { _ = try parseHead(text) }
        #expect(error?.status == 400)
        #expect(error?.message == "obsolete line folding in header section is not accepted")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n",
    ])
    func whitespaceBeforeColonRejected(text: String) {
        let error = httpError { _ = try parseHead(text) }
        #expect(error?.status == 400)
        #expect(error?.message == "invalid header field name")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", "header field without ':'"),
        ("GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n", "invalid header field name"),
        ("GET / HTTP/1.1\r\nHost: a\r\nBad(Name): v\r\n\r\n", "invalid header field name"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n", "invalid character in header field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", "invalid character in header field value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{00}b\r\n\r\n", "invalid character in header field value"),
    ])
    func malformedFieldsRejected(text: String, message: String) {
        let error = httpError { _ = try parseHead(text) }
        #expect(error?.status == 400)
        #expect(error?.message == message)
    }

    @Test func obsTextInFieldValueAllowed() throws {
        let (head, _) = try parseHead("GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{E9}\ttab\r\n\r\n")
        #expect(head.field("x") == "caf\u{E9}\ttab")
    }

    @Test(arguments: [
        "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        "GET /\r\nHost: a\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / a HTTP/1.1\r\nHost: a\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / http/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
        "GET / HTTPS/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1,1\r\nHost: a\r\n\r\n",
        "GET / HTTP/x.1\r\nHost: a\r\n\r\n",
    ])
    func malformedRequestLineIs400(text: String) {
        #expect(httpStatus { _ = try parseHead(text) } == 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"])
    func otherMajorVersionsAre505(version: String) {
        let error = httpError { _ = try parseHead("GET / \(version)\r\nHost: a\r\n\r\n") }
        #expect(error?.status == 505)
        #expect(error?.reason == .badVersion)
    }

    @Test func higherMinorVersionIsReadAsHTTP11() throws {
        let (head, _) = try parseHead("GET / HTTP/1.2\r\nHost: a\r\n\r\n")
        #expect(head.minorVersion == 1)
        // …so it needs a Host like HTTP/1.1.
        #expect(httpStatus { _ = try framing("GET / HTTP/1.7\r\n\r\n") } == 400)
    }

    @Test func everyProperPrefixNeedsMore() throws {
        let text = bytes("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n")
        for n in 0..<text.count {
            let outcome = try RequestHeadParser.parse(Array(text[0..<n]), maxHeaderBytes: Limits.maxHeaderBytes)
            #expect(outcome == .needMore, "prefix of \(n) bytes")
        }
        let outcome = try RequestHeadParser.parse(text + bytes("abc"), maxHeaderBytes: Limits.maxHeaderBytes)
        guard case let .head(head, offset) = outcome else { Issue.record("no head"); return }
        #expect(head.target == "/c")
        #expect(offset == text.count)
    }

    @Test func incompleteHeadPast16KiBIs431() {
        var text = bytes("GET / HTTP/1.1\r\nHost: a\r\nX: ")
        text += [UInt8](repeating: UInt8(ascii: "a"), count: Limits.maxHeaderBytes + 16)
        let error = httpError { _ = try RequestHeadParser.parse(text, maxHeaderBytes: Limits.maxHeaderBytes) }
        #expect(error?.status == 431)
        #expect(error?.reason == .headersTooLarge)
    }

    @Test func incompleteHeadUnder16KiBNeedsMore() throws {
        var text = bytes("GET / HTTP/1.1\r\nHost: a\r\nX: ")
        text += [UInt8](repeating: UInt8(ascii: "a"), count: Limits.maxHeaderBytes - text.count)
        #expect(text.count == 16 * 1024)
        #expect(try RequestHeadParser.parse(text, maxHeaderBytes: Limits.maxHeaderBytes) == .needMore)
    }

    /// A head whose field lines (with their CRLFs, after the request line) take `size` bytes.
    static func head(linesSize size: Int) -> [UInt8] {
        let fields = bytes("Host: a\r\nX: ")
        return bytes("GET / HTTP/1.1\r\n") + fields + [UInt8](repeating: UInt8(ascii: "b"), count: size - fields.count - 2) + bytes("\r\n\r\n")
    }

    @Test func completeHeadAtTheLimitAccepted() throws {
        let text = Self.head(linesSize: Limits.maxHeaderBytes)
        guard case let .head(head, offset) = try RequestHeadParser.parse(text, maxHeaderBytes: Limits.maxHeaderBytes) else {
            Issue.record("no head"); return
        }
        #expect(head.fields.count == 2)
        #expect(offset == text.count)
    }

    @Test func completeHeadPastTheLimitIs431() {
        let text = Self.head(linesSize: Limits.maxHeaderBytes + 1)
        #expect(httpStatus { _ = try RequestHeadParser.parse(text, maxHeaderBytes: Limits.maxHeaderBytes) } == 431)
    }

    @Test func limitDoesNotDependOnHowBytesArrive() throws {
        // A head exactly at the limit: none of its prefixes may be refused with 431.
        let text = Self.head(linesSize: Limits.maxHeaderBytes)
        for n in (text.count - 8)..<text.count {
            #expect(try RequestHeadParser.parse(Array(text[0..<n]), maxHeaderBytes: Limits.maxHeaderBytes) == .needMore, "prefix \(n)")
        }
    }

    @Test func limitIsTheGivenOne() {
        #expect(httpStatus { _ = try parseHead("GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaa\r\n\r\n", maxHeaderBytes: 20) } == 431)
        #expect(httpStatus { _ = try RequestHeadParser.parse(bytes("GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaa"), maxHeaderBytes: 20) } == 431)
    }

    /// Each limit has its own status: the request line 414, the header section 431.
    @Test func longRequestLineIs414() {
        let target = "/" + String(repeating: "a", count: Limits.maxRequestLineBytes)
        let complete = httpError { _ = try parseHead("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") }
        #expect(complete?.status == 414)
        #expect(complete?.message == "request line longer than 8192 bytes")
        let incomplete = httpError { _ = try RequestHeadParser.parse(bytes("GET \(target)"), maxHeaderBytes: Limits.maxHeaderBytes) }
        #expect(incomplete?.status == 414)
        // At the limit it is still read.
        let fits = "GET /" + String(repeating: "a", count: Limits.maxRequestLineBytes - 14) + " HTTP/1.1"
        #expect(fits.utf8.count == Limits.maxRequestLineBytes)
        #expect((try? parseHead(fits + "\r\nHost: a\r\n\r\n")) != nil)
    }

    @Test(arguments: ["/a b", "/a\"b", "/a<b", "/a>b", "/a\\b", "/a^b", "/a`b", "/a{b", "/a|b", "/a}b", "/a[b", "/\u{e9}", "http://h:1/?q=[x]"])
    func targetCharactersOutsideRFC3986Are400(target: String) {
        #expect(httpStatus { _ = try parseHead("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") } == 400)
    }

    @Test(arguments: ["/a-b._~!$&'()*+,;=:@/x?y=/?%20", "http://[::1]:1717/x"])
    func targetCharactersOfRFC3986Accepted(target: String) throws {
        #expect(try parseHead("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n").0.target == target)
    }
}

// MARK: - Framing

@Suite("RequestHeadParser.framing")
struct FramingTests {
    @Test func noBody() throws {
        #expect(try framing("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == BodyFraming.none)
        #expect(try framing("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == BodyFraming.none)
    }

    @Test func missingHostIn11Is400() {
        let error = httpError { _ = try framing("GET / HTTP/1.1\r\nAccept: x\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message == "HTTP/1.1 request without a Host header field")
    }

    @Test func missingHostIn10IsFine() throws {
        #expect(try framing("GET / HTTP/1.0\r\n\r\n") == BodyFraming.none)
        #expect(try framing("PUT / HTTP/1.0\r\nContent-Length: 4\r\n\r\n") == .length(4))
    }

    @Test func repeatedHostIs400() {
        #expect(httpError { _ = try framing("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n") }?.message == "more than one Host header field")
    }

    @Test func contentLength() throws {
        #expect(try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n") == .length(42))
        #expect(try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n") == .length(5))
        #expect(try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") == .length(5))
        #expect(try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n") == .length(7))
    }

    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 6",
        "Content-Length: 5, 6",
        "Content-Length: 6,5",
        "Content-Length: 0\r\nContent-Length: 1",
    ])
    func conflictingContentLengthIs400(fields: String) {
        let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message == "conflicting Content-Length values")
    }

    @Test(arguments: ["abc", "-1", "+5", "0x10", "1 2", "5,", ",5", "1234567890123456789", "5.0", "٣"])
    func invalidContentLengthIs400(value: String) {
        let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message == "invalid Content-Length")
    }

    @Test func emptyContentLengthIs400() {
        #expect(httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n") }?.message == "invalid Content-Length")
    }

    @Test func contentLengthAndTransferEncodingIs400() {
        for order in ["Content-Length: 5\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunked\r\nContent-Length: 5"] {
            let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\n\(order)\r\n\r\n") }
            #expect(error?.status == 400)
            #expect(error?.reason == .clAndTe)
        }
    }

    @Test(arguments: ["chunked", "Chunked", "CHUNKED", " chunked ", "chunked,"])
    func chunked(value: String) throws {
        #expect(try framing("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n") == .chunked)
    }

    @Test(arguments: ["Transfer-Encoding: gzip, chunked", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked", "Transfer-Encoding: deflate,chunked"])
    func otherCodingsBeforeChunkedAre501(fields: String) {
        let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n") }
        #expect(error?.status == 501)
        #expect(error?.reason == .teUnsupported)
    }

    @Test(arguments: ["gzip", "chunked, gzip", "identity", ""])
    func lastCodingNotChunkedIs400(value: String) {
        let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message == "the last transfer coding must be chunked")
    }

    @Test func transferEncodingInHTTP10Is400() {
        let error = httpError { _ = try framing("PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message == "Transfer-Encoding in an HTTP/1.0 request")
    }
}

// MARK: - Chunked request bodies

@Suite("ChunkedDecoder")
struct ChunkedDecoderTests {
    static let simple = "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"
    static let withExtensionsAndTrailers =
        "4;name=value\r\nWiki\r\n5 ; a=\"q;x\" ; b\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0;last\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n"

    @Test func decodesChunks() throws {
        let input = bytes(Self.simple)
        #expect(try ChunkedDecoder.decode(input, maxBodyBytes: 100) == .complete(body: bytes("hello, world"), consumed: input.count))
    }

    @Test func consumedStopsAtTheEndOfTheBody() throws {
        let input = bytes(Self.simple + "GET / HTTP/1.1\r\n")
        #expect(try ChunkedDecoder.decode(input, maxBodyBytes: 100) == .complete(body: bytes("hello, world"), consumed: Self.simple.utf8.count))
    }

    @Test func extensionsAndTrailersAreSkipped() throws {
        let input = bytes(Self.withExtensionsAndTrailers)
        #expect(try ChunkedDecoder.decode(input, maxBodyBytes: 100) == .complete(body: bytes("Wikipedia in\r\n\r\nchunks."), consumed: input.count))
    }

    @Test func hexSizesInEitherCase() throws {
        let body = String(repeating: "x", count: 26)
        let lower = bytes("a\r\n\(body.prefix(10))\r\n10\r\n\(body.dropFirst(10))\r\n0\r\n\r\n")
        let upper = bytes("A\r\n\(body.prefix(10))\r\n10\r\n\(body.dropFirst(10))\r\n0\r\n\r\n")
        #expect(try ChunkedDecoder.decode(lower, maxBodyBytes: 100) == .complete(body: bytes(body), consumed: lower.count))
        #expect(try ChunkedDecoder.decode(upper, maxBodyBytes: 100) == .complete(body: bytes(body), consumed: upper.count))
    }

    @Test func emptyBody() throws {
        #expect(try ChunkedDecoder.decode(bytes("0\r\n\r\n"), maxBodyBytes: 0) == .complete(body: [], consumed: 5))
    }

    @Test(arguments: [simple, withExtensionsAndTrailers])
    func splitAtEveryBytePosition(text: String) throws {
        let input = bytes(text)
        let whole = try ChunkedDecoder.decode(input, maxBodyBytes: 100)
        guard case .complete = whole else { Issue.record("whole input incomplete"); return }
        for n in 0..<input.count {
            #expect(try ChunkedDecoder.decode(Array(input[0..<n]), maxBodyBytes: 100) == .needMore, "prefix \(n)")
        }
    }

    @Test func bodyAtTheLimitAccepted() throws {
        let input = bytes("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n")
        #expect(try ChunkedDecoder.decode(input, maxBodyBytes: 10) == .complete(body: bytes("helloworld"), consumed: input.count))
    }

    @Test func bodyPastTheLimitIs413() {
        let error = httpError { _ = try ChunkedDecoder.decode(bytes("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n"), maxBodyBytes: 10) }
        #expect(error?.status == 413)
        #expect(error?.reason == .bodyTooLarge)
        #expect(error?.message == "request body larger than 10 bytes")
    }

    @Test func announcedSizePastTheLimitIs413BeforeTheDataArrives() throws {
        #expect(httpStatus { _ = try ChunkedDecoder.decode(bytes("ffffffff\r\n"), maxBodyBytes: 10 * 1024) } == 413)
        #expect(httpStatus { _ = try ChunkedDecoder.decode(bytes("2801\r\n"), maxBodyBytes: 10 * 1024) } == 413)
        #expect(try ChunkedDecoder.decode(bytes("2800\r\n"), maxBodyBytes: 10 * 1024) == .needMore)
    }

    @Test func endlessTrailersAre431() {
        var input = bytes("0\r\n")
        while input.count <= 10 * 1024 + 65536 { input += bytes("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n") }
        #expect(httpStatus { _ = try ChunkedDecoder.decode(input, maxBodyBytes: 10 * 1024) } == 431)
    }

    @Test(arguments: [
        "x\r\nhello\r\n0\r\n\r\n",
        "\r\nhello\r\n0\r\n\r\n",
        ";ext\r\nhello\r\n0\r\n\r\n",
        "-5\r\nhello\r\n0\r\n\r\n",
        "+5\r\nhello\r\n0\r\n\r\n",
        "0x5\r\nhello\r\n0\r\n\r\n",
        "1 0\r\n0123456789abcdef\r\n0\r\n\r\n",
        // No whitespace around the size (only before a `;`), none trailing: RFC 9112 §7.1.
        "  5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n", "5\t\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n 0\r\n\r\n",
        "5\r\nhello\r\n0 \r\n\r\n", "5;\r\nhello\r\n0\r\n\r\n", "5;a=\r\nhello\r\n0\r\n\r\n", "5;a b\r\nhello\r\n0\r\n\r\n",
        "5;a=\"x\r\nhello\r\n0\r\n\r\n", "5;a=b c\r\nhello\r\n0\r\n\r\n", "5;a;\r\nhello\r\n0\r\n\r\n", "5;a \r\nhello\r\n0\r\n\r\n",
    ])
    func invalidChunkSizeLineIs400(text: String) {
        let error = httpError { _ = try ChunkedDecoder.decode(bytes(text), maxBodyBytes: 100) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badChunk)
    }

    @Test(arguments: ["000000005\r\nhello\r\n0\r\n\r\n", "5;a\r\nhello\r\n00;b=c\r\n\r\n", "5 ; a = b ;c=\"q\\\"\"\r\nhello\r\n0\r\n\r\n",
                      "5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY:2\r\n\r\n"])
    func validChunkGrammarAccepted(text: String) throws {
        #expect(try ChunkedDecoder.decode(bytes(text), maxBodyBytes: 100) == .complete(body: bytes("hello"), consumed: bytes(text).count))
    }

    @Test(arguments: ["5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", "5\r\nhello\r\n0\r\n X: 1\r\n\r\n", "5\r\nhello\r\n0\r\nX : 1\r\n\r\n"])
    func malformedTrailerIs400(text: String) {
        #expect(httpStatus { _ = try ChunkedDecoder.decode(bytes(text), maxBodyBytes: 100) } == 400)
    }

    @Test func dataNotFollowedByCRLFIs400() {
        let error = httpError { _ = try ChunkedDecoder.decode(bytes("5\r\nhelloX\r\n0\r\n\r\n"), maxBodyBytes: 100) }
        #expect(error?.message == "chunk data not followed by CRLF")
    }

    @Test func lineWithoutCRIs400() {
        let error = httpError { _ = try ChunkedDecoder.decode(bytes("5\nhello\r\n0\r\n\r\n"), maxBodyBytes: 100) }
        #expect(error?.status == 400)
        #expect(error?.message == "chunk line not ended by CRLF")
    }

    @Test func endlessSizeLineIs400() {
        let input = bytes("5;" + String(repeating: "e", count: 5000))
        #expect(httpError { _ = try ChunkedDecoder.decode(input, maxBodyBytes: 100) }?.message == "chunk line longer than 4096 bytes")
    }
}

// MARK: - Responses from the engine

@Suite("ResponseHeadParser and the incremental ChunkedDecoder")
struct ResponseParsingTests {
    @Test func parsesAResponseHead() throws {
        let text = bytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let parsed = try ResponseHeadParser.parse(text)
        #expect(parsed?.0 == HTTPResponseHead(status: 200, fields: [HTTPField("Content-Type", "application/json"), HTTPField("Content-Length", "2")]))
        #expect(parsed?.bodyOffset == text.count - 2)
        #expect(parsed?.0.framing == .length(2))
        #expect(parsed?.0.field("content-type") == "application/json")
    }

    @Test func incompleteHeadIsNil() throws {
        #expect(try ResponseHeadParser.parse(bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n")) == nil)
    }

    @Test func oversizedHeadIs502() {
        let text = bytes("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100))
        let error = httpError { _ = try ResponseHeadParser.parse(text, maxBytes: 64) }
        #expect(error?.status == 502)
        #expect(error?.reason == .engineProtocol)
    }

    @Test(arguments: ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n"])
    func malformedHeadIs502(text: String) {
        #expect(httpStatus { _ = try ResponseHeadParser.parse(bytes(text)) } == 502)
    }

    @Test func statusLineWithoutReasonAccepted() throws {
        #expect(try ResponseHeadParser.parse(bytes("HTTP/1.0 204\r\n\r\n"))?.0.status == 204)
    }

    @Test(arguments: [
        (101, [HTTPField("Content-Length", "5")], ResponseFraming.untilClose),
        (100, [], ResponseFraming.length(0)),
        (204, [HTTPField("Content-Length", "5")], ResponseFraming.length(0)),
        (304, [], ResponseFraming.length(0)),
        (200, [HTTPField("Transfer-Encoding", "Chunked")], ResponseFraming.chunked),
        (200, [HTTPField("Content-Length", "17")], ResponseFraming.length(17)),
        (200, [HTTPField("Content-Length", "-1")], ResponseFraming.untilClose),
        (200, [], ResponseFraming.untilClose),
    ])
    func responseFraming(status: Int, fields: [HTTPField], expected: ResponseFraming) {
        #expect(HTTPResponseHead(status: status, fields: fields).framing == expected)
    }

    @Test func streamDecoderByteByByte() throws {
        let input = bytes(ChunkedDecoderTests.withExtensionsAndTrailers)
        var decoder = ChunkedDecoder()
        var out: [UInt8] = []
        for b in input {
            #expect(!decoder.isDone)
            out += try decoder.feed([b])
        }
        #expect(decoder.isDone)
        #expect(out == bytes("Wikipedia in\r\n\r\nchunks."))
    }

    @Test func streamDecoderWholeAndIgnoresBytesAfterTheEnd() throws {
        var decoder = ChunkedDecoder()
        let out = try decoder.feed(bytes("3\r\nabc\r\n0\r\n\r\nJUNK"))
        #expect(out == bytes("abc"))
        #expect(decoder.isDone)
        #expect(try decoder.feed(bytes("more")) == [])
    }

    @Test func streamDecoderAcceptsLargeChunks() throws {
        var decoder = ChunkedDecoder()
        let payload = [UInt8](repeating: 7, count: 70000)
        var out = try decoder.feed(bytes("11170\r\n") + payload.prefix(30000))
        out += try decoder.feed(payload.dropFirst(30000) + bytes("\r\n0\r\n\r\n"))
        #expect(out == payload)
        #expect(decoder.isDone)
    }

    @Test(arguments: ["zz\r\n", "\r\n", "3\r\nabcX\r\n", " 3\r\nabc\r\n", "3 \r\nabc\r\n", "3\nabc\r\n", "3\r\nabc\n"])
    func streamDecoderRejectsBadFraming(text: String) {
        var decoder = ChunkedDecoder()
        #expect(throws: ChunkedDecoder.Failure.self) { _ = try decoder.feed(bytes(text)) }
    }

    @Test func oneDecoderForBothSides() {
        // Sizes past an Int, or past the request's limit, are too large rather than malformed.
        var engine = ChunkedDecoder()
        #expect(throws: ChunkedDecoder.Failure.tooLarge) { _ = try engine.feed(bytes("1234567890abcdef0\r\n")) }
        var request = ChunkedDecoder(maxBodyBytes: 10)
        #expect(throws: ChunkedDecoder.Failure.tooLarge) { _ = try request.feed(bytes("b\r\n")) }
    }

    @Test func trailersHaveTheHeaderSectionsLimitNotTheBodys() throws {
        // 8 KiB of trailers after a 1-byte body under a 10-byte limit: accepted.
        let field = "X-T: " + String(repeating: "a", count: 1000) + "\r\n"
        var small = ChunkedDecoder(maxBodyBytes: 10)
        #expect(try small.feed(bytes("1\r\nx\r\n0\r\n" + String(repeating: field, count: 8) + "\r\n")) == bytes("x"))
        #expect(small.isDone)
        // Past 16 KiB of trailers: 431, as a header section would be.
        #expect(httpStatus { _ = try ChunkedDecoder.decode(bytes("0\r\n" + String(repeating: field, count: 17) + "\r\n"), maxBodyBytes: 10_000_000) } == 431)
    }

    @Test func framingAroundABoundedBodyIsBounded() {
        // One-byte chunks with long extensions: 413 for the framing, though the body is small.
        let chunk = "1;" + String(repeating: "e", count: 4000) + "\r\nx\r\n"
        let error = httpError { _ = try ChunkedDecoder.decode(bytes(String(repeating: chunk, count: 20)), maxBodyBytes: 1000) }
        #expect(error?.status == 413)
        #expect(error?.message.contains("framing") == true)
        // Engine streams (no body limit) have no framing limit either.
        var engine = ChunkedDecoder()
        #expect(throws: Never.self) { _ = try engine.feed(bytes(String(repeating: chunk, count: 20))) }
    }
}

// MARK: - Responses to the client

@Suite("HTTPResponse")
struct HTTPResponseTests {
    /// Every status an operation can answer (and the interim and method ones) has its
    /// RFC 9110 reason phrase.
    @Test func everyStatusSentHasAReasonPhrase() {
        var statuses: Set<Int> = [100, 405, 500]
        for operation in APIContract.operations { statuses.formUnion(APIContract.statuses(of: operation.route)) }
        for status in statuses.sorted() { #expect(HTTPStatus.reasonPhrase(status) != "Unknown", "\(status)") }
    }

    @Test func serializesAJSONResponse() {
        let response = HTTPResponse(status: 200, json: .object([("id", .string("abc"))]))
        #expect(String(decoding: response.serialize(), as: UTF8.self) ==
            "HTTP/1.1 200 OK\r\nServer: docker-server\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"id\":\"abc\"}\n")
    }

    @Test func serializesWithDateAndExtraFields() {
        let response = HTTPResponse(status: 201, headers: [("X-A", "1"), ("X-B", "2")], body: bytes("hi"))
        #expect(String(decoding: response.serialize(date: "Sun, 29 Nov 2026 08:00:00 GMT"), as: UTF8.self) ==
            "HTTP/1.1 201 Created\r\nDate: Sun, 29 Nov 2026 08:00:00 GMT\r\nServer: docker-server\r\nX-A: 1\r\nX-B: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
    }

    @Test func headResponseKeepsContentLengthButHasNoBody() {
        let response = HTTPResponse(status: 404, json: bytes("{\"code\":404}"))
        #expect(String(decoding: response.serialize(omitBody: true), as: UTF8.self) ==
            "HTTP/1.1 404 Not Found\r\nServer: docker-server\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 13\r\nConnection: close\r\n\r\n")
    }

    @Test func chunkedHead() {
        let head = HTTPResponse.head(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], contentLength: nil, date: nil)
        #expect(String(decoding: head, as: UTF8.self) ==
            "HTTP/1.1 200 OK\r\nServer: docker-server\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    }

    @Test func chunks() {
        #expect(HTTPResponse.chunk(bytes("hello")) == bytes("5\r\nhello\r\n"))
        #expect(HTTPResponse.chunk([UInt8](repeating: 0x41, count: 255)) == bytes("ff\r\n" + String(repeating: "A", count: 255) + "\r\n"))
        #expect(HTTPResponse.chunk([UInt8]()) == [])
        #expect(HTTPResponse.lastChunk == bytes("0\r\n\r\n"))
    }

    @Test func chunksRoundTripThroughTheDecoder() throws {
        let encoded = HTTPResponse.chunk(bytes("abc")) + HTTPResponse.chunk([UInt8](repeating: 1, count: 300)) + HTTPResponse.lastChunk
        #expect(try ChunkedDecoder.decode(encoded, maxBodyBytes: 1000) == .complete(body: bytes("abc") + [UInt8](repeating: 1, count: 300), consumed: encoded.count))
    }

    @Test func headerLookupIsCaseInsensitive() {
        let response = HTTPResponse(status: 200, headers: [("Content-Type", "a"), ("content-type", "b")])
        #expect(response.header("CONTENT-TYPE") == "a")
        #expect(response.header("x") == nil)
    }

    @Test(arguments: [(200, "OK"), (201, "Created"), (400, "Bad Request"), (401, "Unauthorized"), (404, "Not Found"),
                      (405, "Method Not Allowed"), (409, "Conflict"), (413, "Content Too Large"), (415, "Unsupported Media Type"),
                      (429, "Too Many Requests"), (431, "Request Header Fields Too Large"), (501, "Not Implemented"),
                      (502, "Bad Gateway"), (503, "Service Unavailable"), (505, "HTTP Version Not Supported"), (299, "Unknown")])
    func reasonPhrases(code: Int, phrase: String) {
        #expect(HTTPStatus.reasonPhrase(code) == phrase)
    }

    @Test func errorResponse() {
        let error = HTTPError(405, "method PATCH not allowed here; allowed: GET, PUT", reason: .badMethod, headers: [("Allow", "GET, PUT")])
        let response = error.response
        #expect(response.status == 405)
        #expect(response.headers.map { "\($0.0): \($0.1)" } == ["Content-Type: application/json; charset=utf-8", "Allow: GET, PUT"])
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"code\":405,\"error\":\"method PATCH not allowed here; allowed: GET, PUT\"}\n")
    }

    @Test func errorBodyEscapesTheMessage() {
        #expect(String(decoding: HTTPError.badRequest("bad \"x\"\n").jsonBody, as: UTF8.self) == "{\"code\":400,\"error\":\"bad \\\"x\\\"\\n\"}")
    }

    @Test func errorDefaults() {
        #expect(HTTPError.badRequest("x") == HTTPError(400, "x", reason: .badRequest))
        #expect(HTTPError(400, "x", reason: .badField, headers: [("A", "1")]) != HTTPError(400, "x", reason: .badField, headers: [("A", "2")]))
        // Every reason is a distinct log token of lowercase words.
        #expect(Set(HTTPError.Reason.allCases.map(\.rawValue)).count == HTTPError.Reason.allCases.count)
        #expect(HTTPError.Reason.allCases.allSatisfy { $0.rawValue.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || $0.isNumber } })
    }
}
