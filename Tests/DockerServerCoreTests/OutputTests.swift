import Testing
@testable import DockerServerCore

@Suite("JSONStringBuilder")
struct JSONStringBuilderTests {
    static func built(_ pieces: [[UInt8]], limit: Int = 1 << 20) -> (String, Bool) {
        var builder = JSONStringBuilder(limit: limit)
        for piece in pieces { builder.append(piece) }
        builder.finish()
        return (String(decoding: builder.escaped, as: UTF8.self), builder.truncated)
    }

    /// Whatever the bytes and however they are split, the result is what escaping the whole
    /// text decoded at once gives.
    @Test(arguments: [bytes("héllo 😀 wörld"), [0x61, 0xE2, 0x82, 0xAC, 0x62], [0xF0, 0x9F, 0x98], [0xE2, 0x82], [0xFF, 0xFE, 0x41],
                      [0xC3], [0x00, 0x1F, 0x7F, 0x22, 0x5C, 0x0A, 0x0D, 0x09], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]])
    func splitAnywhereIsTheSame(input: [UInt8]) {
        let whole = serialized(.string(String(decoding: input, as: UTF8.self))).dropFirst().dropLast()
        for cut in 0...input.count {
            #expect(Self.built([Array(input[..<cut]), Array(input[cut...])]).0 == String(whole), "cut at \(cut)")
        }
        #expect(Self.built(input.map { [$0] }).0 == String(whole), "byte by byte")
    }

    @Test func escapes() {
        #expect(Self.built([bytes("a\"b\\c\nd\re\tf"), [0x00, 0x7F]]).0 == "a\\\"b\\\\c\\nd\\re\\tf\\u0000\\u007f")
    }

    /// The limit counts escaped bytes and never cuts an escape or a character in two.
    @Test func truncatesOnBoundaries() {
        #expect(Self.built([[0, 0]], limit: 11) == ("\\u0000", true))
        #expect(Self.built([[0, 0]], limit: 12) == ("\\u0000\\u0000", false))
        #expect(Self.built([bytes("a😀")], limit: 4) == ("a", true))
        #expect(Self.built([bytes("a😀")], limit: 5) == ("a😀", false))
        #expect(Self.built([bytes("ab\""), bytes("c")], limit: 3) == ("ab", true))
        // After truncation further input is dropped.
        #expect(Self.built([bytes("abcd"), bytes("e")], limit: 2) == ("ab", true))
    }
}

@Suite("ContentNegotiation")
struct ContentNegotiationTests {
    static let both = ["application/json", "text/plain"]

    @Test(arguments: [
        (String?.none, String?.some("application/json")), ("", "application/json"), ("*/*", "application/json"), ("text/plain", "text/plain"),
        ("text/plain;q=0.5, application/json;q=0.4", "text/plain"), ("application/json;q=0.5, text/plain", "text/plain"),
        ("text/*, application/json", "application/json"), ("text/plain, application/*", "text/plain"),
        ("TEXT/Plain", "text/plain"), ("text/plain;q=0, */*", "application/json"), ("*/*;q=0.1, text/plain;q=0.2", "text/plain"),
        ("text/plain; q=1.000", "text/plain"), ("text/plain;q=0.001", "text/plain"), ("bogus, text/plain", "text/plain"),
        ("text/plain;q=2", "application/json"), ("text/plain;q=0.0001, application/json;q=0", nil),
        ("text/plain;charset=UTF-8", "text/plain"), ("text/plain;charset=iso-8859-1", nil), ("text/plain;format=flowed", nil),
        ("image/png", nil), ("application/json;q=0, text/plain;q=0", nil),
        // Empty parameters and members are allowed and skipped; quoted strings hide , and ;.
        ("text/plain;", "text/plain"), ("text/plain; ;q=1", "text/plain"), (", ,text/plain", "text/plain"),
        ("text/plain;charset=\"utf-8\"", "text/plain"), ("text/plain;x=\"a,b\";q=0.9, application/json;q=0.5", "application/json"),
        ("text/plain;charset=\"a;q=0\", text/plain", "text/plain"),
    ])
    func choose(accept: String?, chosen: String?) {
        #expect(ContentNegotiation.choose(Self.both, accept: accept) == chosen)
    }

    /// Repeated `Accept` field lines are one list (RFC 9110 §5.3).
    @Test func repeatedFieldLinesCombine() throws {
        let (head, _) = try parseHead("GET /c HTTP/1.1\r\nHost: x\r\nAccept: application/json;q=0\r\nAccept: text/plain\r\n\r\n")
        #expect(head.combinedField("accept") == "application/json;q=0, text/plain")
        #expect(ContentNegotiation.choose(Self.both, accept: head.combinedField("accept")) == "text/plain")
    }

    @Test(arguments: [("0", 0), ("1", 1000), ("0.5", 500), ("0.123", 123), ("1.000", 1000), ("0.", 0)])
    func weights(text: String, thousandths: Int) {
        #expect(ContentNegotiation.weight(text) == thousandths)
    }

    @Test(arguments: ["2", "1.001", "0.1234", "-0", ".5", "x", ""])
    func invalidWeights(text: String) {
        #expect(ContentNegotiation.weight(text) == nil)
    }
}

@Suite("FieldSchema")
struct FieldSchemaTests {
    static func run(_ form: String) throws -> RunOptions {
        try RunOptions(fields: RequestFields(form: form), defaultName: "n")
    }

    @Test(arguments: [("rm", "remove"), ("RM", "remove"), ("cmd", "data"), ("command", "data"), ("imag", "image"), ("volume", "volumes"),
                      ("port", "ports"), ("detached", "detach"), ("stdin", "input"), ("p", "ports"), ("names", "name"),
                      ("imgae", "image"), ("tyt", "tty"), ("detahc", "detach")])
    func unknownFieldNamesTheClosest(field: String, suggestion: String) {
        let error = httpError { _ = try Self.run("image=busybox&\(field)=1") }
        #expect(error?.status == 400)
        #expect(error?.reason == .unknownField)
        #expect(error?.message.hasPrefix("unknown field \"\(field)\" (did you mean \"\(suggestion)\"?); known fields: image, name, ") == true)
    }

    /// JSON `null` is the same as absent, but the name is checked all the same.
    @Test func jsonNullFields() throws {
        let error = httpError { _ = try RunOptions(fields: RequestFields(json: bytes(#"{"image":"busybox","bogus":null}"#)), defaultName: "n") }
        #expect(error?.reason == .unknownField)
        #expect(error?.message.hasPrefix("unknown field \"bogus\"") == true)
        let options = try RunOptions(fields: RequestFields(json: bytes(#"{"image":"busybox","name":null,"data":null}"#)), defaultName: "n")
        #expect(options.name == "n" && options.argv == nil)
    }

    @Test func unknownFieldWithoutNearMiss() {
        let error = httpError { _ = try Self.run("image=busybox&bogus=1") }
        #expect(error?.message.hasPrefix("unknown field \"bogus\"; known fields:") == true)
    }

    @Test func theSameRuleInJSON() {
        let error = httpError {
            _ = try RunOptions(fields: RequestFields(body: bytes("{\"image\":\"busybox\",\"rm\":true}"), contentType: "application/json"),
                               defaultName: "n")
        }
        #expect(error?.reason == .unknownField)
        #expect(error?.message.hasPrefix("unknown field \"rm\" (did you mean \"remove\"?)") == true)
    }

    @Test func execHasItsOwnFields() {
        let error = httpError { _ = try ExecOptions(fields: RequestFields(form: "data=ls&image=x")) }
        #expect(error?.message.hasPrefix("unknown field \"image\"; known fields: data, input, interactive, tty") == true)
    }

    @Test(arguments: [("image[a]=b", "bad_field"), ("image=b&tty[]=1", "bad_field"), ("image=b&ports=1", "bad_field"),
                      ("image=b&data[k]=v", "bad_data")])
    func wrongShapeIs400(form: String, reason: String) {
        let error = httpError { _ = try Self.run(form) }
        #expect(error?.status == 400)
        #expect(error?.reason.rawValue == reason)
    }

    @Test func longUnknownNamesAreShortenedInTheMessage() {
        let name = String(repeating: "x", count: 5000)
        let error = httpError { _ = try Self.run("image=b&\(name)=1") }
        #expect(error?.message.hasPrefix("unknown field \"\(String(repeating: "x", count: 64))…\"; known") == true)
    }

    @Test func inputInteractiveAndTTY() throws {
        let options = try Self.run("image=busybox&input=a%00%FFb&tty=1&data=cat")
        #expect(options.input == [0x61, 0x00, 0xFF, 0x62])
        #expect(options.attachesStdin && options.tty && !options.interactive)
        let config = serialized(options.createConfig)
        #expect(config.contains("\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":true,\"OpenStdin\":true,\"StdinOnce\":true"))
        #expect(try Self.run("image=busybox&interactive=yes").attachesStdin)
        #expect(try !Self.run("image=busybox").attachesStdin)
        // Detached, stdin is at end-of-file at once: nothing waits for input that cannot come.
        #expect(try !Self.run("image=busybox&detach=1&interactive=1").attachesStdin)
        let error = httpError { _ = try Self.run("image=busybox&detach=1&input=x") }
        #expect(error?.status == 400)
        #expect(error?.message == "field \"input\" is given to an attached run's stdin: not with detach")
        // Only input takes bytes that are not UTF-8.
        #expect(httpError { _ = try Self.run("image=busybox&name=a%FF") }?.reason == .badField)
    }

    @Test(arguments: [("/web", "web"), ("web", "web"), ("/0123abcd", "0123abcd")])
    func leadingSlashAccepted(text: String, name: String) throws {
        #expect(try ContainerReference.validate(text) == name)
        #expect(try Router.route(method: "DELETE", path: "/" + text) == .remove(container: name))
        #expect(try Self.run("image=b&name=\(text)").name == name)
    }

    @Test(arguments: ["//web", "/", "/-x", "/web/x"])
    func otherSlashesAre400(text: String) {
        #expect(httpStatus { _ = try ContainerReference.validate(text) } == 400)
    }
}

@Suite("Host field")
struct HostFieldTests {
    @Test(arguments: ["", "localhost", "localhost:1717", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:1717", "a-b.c_d~e", "x%41y",
                      "h:", "[fe80::1]"])
    func valid(host: String) {
        #expect(RequestHeadParser.isValidHost(host))
    }

    @Test(arguments: ["a b", "a/b", "a@b", "h:x", "h:1:2", "[::1", "[]", "[::1]x", "a\"b", ":80", "x%zz", "x%4", "%"])
    func invalid(host: String) {
        #expect(!RequestHeadParser.isValidHost(host))
        #expect(httpStatus { _ = try framing("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") } == 400)
    }
}

@Suite("Expect and singleton fields")
struct ExpectFieldTests {
    @Test(arguments: [
        ("", false), ("Expect: 100-continue\r\n", true), ("Expect: 100-Continue\r\n", true), ("Expect: \r\n", false),
        ("Expect: 100-continue, 100-continue\r\n", true), ("Expect: ,100-continue\r\n", true),
        ("Expect: 100-continue\r\nExpect: 100-continue\r\n", true),
    ])
    func accepted(fields: String, expects: Bool) throws {
        let (head, _) = try parseHead("PUT / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
        #expect(try RequestHeadParser.expectsContinue(head) == expects)
    }

    /// Any member other than 100-continue, in any field line, is a 417.
    @Test(arguments: ["Expect: 100-continue, foo\r\n", "Expect: 100-continue\r\nExpect: bar\r\n", "Expect: 200-ok\r\n",
                      "Expect: 100-continue;x=1\r\n"])
    func refused(fields: String) throws {
        let (head, _) = try parseHead("PUT / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n")
        #expect(httpStatus { _ = try RequestHeadParser.expectsContinue(head) } == 417)
    }

    @Test func repeatedContentTypeIs400() {
        let error = httpError { _ = try framing("PUT / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n\r\n") }
        #expect(error?.status == 400)
        #expect(error?.message.contains("Content-Type") == true)
    }

    /// Userinfo in an absolute-form target, and a `%` that starts no escape, are refused.
    @Test(arguments: ["GET http://user@localhost/ HTTP/1.1", "GET http://u:p@h:1717/x HTTP/1.1", "GET /%zz HTTP/1.1", "GET /a% HTTP/1.1",
                      "GET /%4 HTTP/1.1"])
    func badTargets(line: String) {
        #expect(httpStatus { _ = try parseHead(line + "\r\nHost: x\r\n\r\n") } == 400)
    }

    @Test(arguments: ["GET http://localhost:1717/x HTTP/1.1", "GET /a@b HTTP/1.1", "GET /%41%2f HTTP/1.1", "GET http://[::1]/ HTTP/1.1"])
    func goodTargets(line: String) throws {
        _ = try parseHead(line + "\r\nHost: x\r\n\r\n")
    }
}
