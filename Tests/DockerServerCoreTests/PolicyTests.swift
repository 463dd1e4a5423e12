import Testing
@testable import DockerServerCore

// MARK: - Percent-encoding

@Suite("PercentEncoding")
struct PercentEncodingTests {
    @Test(arguments: [
        ("%41%42c", false, "ABc"),
        ("a+b", false, "a+b"),
        ("a+b", true, "a b"),
        ("%2B+%2b", true, "+ +"),
        ("%c3%A9t%C3%a9", false, "été"),
        ("%2F%3F%23%26%3D%25", false, "/?#&=%"),
        ("", false, ""),
        ("%00", false, "\u{0}"),
    ])
    func decode(text: String, plusIsSpace: Bool, expected: String) throws {
        #expect(try PercentEncoding.decode(text, plusIsSpace: plusIsSpace) == expected)
    }

    @Test(arguments: ["%", "%4", "a%4", "%zz", "%4g", "%%41", "%-1"])
    func badEscapesAre400(text: String) {
        let error = httpError { _ = try PercentEncoding.decodeBytes(text) }
        #expect(error?.status == 400)
        #expect(error?.message == "invalid percent-encoding")
    }

    @Test func invalidUTF8IsRejectedAsText() throws {
        #expect(try PercentEncoding.decodeBytes("%FF%fe") == [0xFF, 0xFE])
        #expect(httpError { _ = try PercentEncoding.decode("%FF") }?.message == "percent-encoded text is not valid UTF-8")
        #expect(httpStatus { _ = try PercentEncoding.decode("%C3") } == 400)
    }

    @Test func encodeKeepsOnlyUnreserved() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("a b/c?d#e%f&g=h+i:j@k") == "a%20b%2Fc%3Fd%23e%25f%26g%3Dh%2Bi%3Aj%40k")
        #expect(PercentEncoding.encode("é\u{0}") == "%C3%A9%00")
        #expect(PercentEncoding.encode("../images/json") == "..%2Fimages%2Fjson")
    }

    @Test func encodeDecodeRoundTrip() throws {
        let text = "weird /?#[]@!$&'()*+,;= %é😀\u{1}"
        #expect(try PercentEncoding.decode(PercentEncoding.encode(text)) == text)
    }

    @Test func formPairs() throws {
        let pairs = try PercentEncoding.formPairs("a=1&&b&=x&c=1=2&+d+=%2B+&")
        #expect(pairs.map { "\($0.0)|\($0.1)" } == ["a|1", "b|", "|x", "c|1=2", " d |+ "])
        #expect(try PercentEncoding.formPairs("").isEmpty)
        #expect(httpStatus { _ = try PercentEncoding.formPairs("a=%G0") } == 400)
    }
}

// MARK: - Base64

@Suite("Base64")
struct Base64Tests {
    // RFC 4648 §10 test vectors.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(bytes(plain)) == encoded)
        #expect(Base64.decode(encoded) == bytes(plain))
    }

    @Test func unpaddedAccepted() {
        #expect(Base64.decode("Zg") == bytes("f"))
        #expect(Base64.decode("Zm8") == bytes("fo"))
        #expect(Base64.decode("Zm9vYg") == bytes("foob"))
    }

    @Test func binaryRoundTrip() {
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.encode(all).hasSuffix("+/w=="))
        for n in 0..<all.count { #expect(Base64.decode(Base64.encode(Array(all[0..<n]))) == Array(all[0..<n])) }
    }

    @Test(arguments: ["Z", "Zg=", "Zg===", "=", "====", "Zg==Zg==", "Z=g=", " Zg==", "Zg==\n", "Zm9v!", "-_-_", "Zm9vY"])
    func invalidRejected(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

// MARK: - Authentication

@Suite("Authenticator")
struct AuthenticatorTests {
    static let token = "s3cret-T0ken"
    static func basic(_ credentials: String) -> String { "Basic " + Base64.encode(bytes(credentials)) }

    @Test(arguments: [
        basic(token),
        basic("x:" + token),
        basic(":" + token),
        basic("some user:" + token),
        basic(token + ":"),
        "Bearer " + token,
        "bearer " + token,
        "BEARER " + token,
        "basic " + Base64.encode(bytes(token)),
        "Basic " + Base64.encode(bytes("x:" + token)).replacingPadding(),
    ])
    func accepted(header: String) {
        #expect(Authenticator.check(authorization: header, token: Self.token) == .accepted)
    }

    @Test(arguments: [
        "Bearer wrong",
        "Bearer s3cret-T0ke",
        "Bearer s3cret-T0kenX",
        "Bearer S3CRET-T0KEN",
        "Bearer " + Base64.encode(bytes(token)),
        basic("wrong"),
        basic("x:wrong"),
        basic(token + ":x"),
        basic(token + "::"),
        basic(token + "X:"),
        basic(token + "X"),
        basic("x:" + token + "X"),
        basic(""),
        "Basic !!!!",
        "Basic " + token,
        "Basic",
        "Bearer",
        "Bearer ",
        "",
        token,
        "Token " + token,
        "Digest " + token,
    ])
    func rejected(header: String) {
        #expect(Authenticator.check(authorization: header, token: Self.token) == .rejected)
    }

    @Test func missing() {
        #expect(Authenticator.check(authorization: nil, token: Self.token) == .missing)
    }

    @Test func tokenWithAColon() {
        let token = "ab:cd"
        #expect(Authenticator.check(authorization: Self.basic("ab:cd"), token: token) == .accepted)
        #expect(Authenticator.check(authorization: Self.basic("user:ab:cd"), token: token) == .accepted)
        #expect(Authenticator.check(authorization: "Bearer ab:cd", token: token) == .accepted)
        #expect(Authenticator.check(authorization: Self.basic("ab"), token: token) == .rejected)
    }

    @Test func constantTimeEqual() {
        #expect(Authenticator.constantTimeEqual([], []))
        #expect(Authenticator.constantTimeEqual(bytes("abc"), bytes("abc")))
        #expect(!Authenticator.constantTimeEqual(bytes("abc"), bytes("abd")))
        #expect(!Authenticator.constantTimeEqual(bytes("abc"), bytes("ab")))
        #expect(!Authenticator.constantTimeEqual(bytes("ab"), bytes("abc")))
        #expect(!Authenticator.constantTimeEqual(bytes("abc"), []))
        // Lengths differing by a multiple of 256 with equal common bytes.
        #expect(!Authenticator.constantTimeEqual([UInt8](repeating: 0, count: 256), []))
        #expect(!Authenticator.constantTimeEqual([UInt8](repeating: 0, count: 257), [0]))
    }

    @Test func challenge() {
        #expect(Authenticator.challenge == "Basic realm=\"docker-server\", charset=\"UTF-8\"")
    }
}

extension String {
    /// The text without `=` padding.
    func replacingPadding() -> String { String(filter { $0 != "=" }) }
}

// MARK: - argv

@Suite("ArgvSplitter")
struct ArgvSplitterTests {
    @Test(arguments: [
        ("sh -c 'echo $((6*7))'", ["sh", "-c", "echo $((6*7))"]),
        ("a;touch /tmp/x", ["a;touch", "/tmp/x"]),
        ("echo $HOME `id` $(id) * ? | ls > f # c && x", ["echo", "$HOME", "`id`", "$(id)", "*", "?", "|", "ls", ">", "f", "#", "c", "&&", "x"]),
        ("\"a b\" 'c d' e\\ f", ["a b", "c d", "e f"]),
        ("\"a\\\"b\" \"a\\\\b\" \"a\\$b\" \"a\\`b\" \"a\\nb\" 'a\\b' 'a\"b' \"a'b\"", ["a\"b", "a\\b", "a$b", "a`b", "a\\nb", "a\\b", "a\"b", "a'b"]),
        ("ab'cd'\"ef\"g", ["abcdefg"]),
        ("'' \"\" x", ["", "", "x"]),
        ("  a \t b\nc  ", ["a", "b", "c"]),
        ("a\\\\b \\' \\\" \\$x \\a", ["a\\b", "'", "\"", "$x", "a"]),
        ("a\\\nb", ["ab"]),
        ("\"a\\\nb\"", ["ab"]),
        ("'a\nb'", ["a\nb"]),
        ("'é 😀' ü", ["é 😀", "ü"]),
        ("", []),
        ("   ", []),
        ("echo '$(rm -rf /)'", ["echo", "$(rm -rf /)"]),
        ("env A=1 B='2 3'", ["env", "A=1", "B=2 3"]),
    ])
    func split(text: String, expected: [String]) throws {
        #expect(try ArgvSplitter.split(text) == expected)
    }

    @Test(arguments: [
        ("'abc", "unterminated single quote in data"),
        ("echo 'a", "unterminated single quote in data"),
        ("\"abc", "unterminated double quote in data"),
        ("\"abc\\\"", "unterminated double quote in data"),
        ("abc\\", "trailing backslash in data"),
    ])
    func badQuotingIs400(text: String, message: String) {
        let error = httpError { _ = try ArgvSplitter.split(text) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badData)
        #expect(error?.message == message)
    }

    @Test(arguments: [
        ("[\"echo\",\"hi there\",\"$HOME\",\"'q'\"]", ["echo", "hi there", "$HOME", "'q'"]),
        ("  [ \"a\" ] ", ["a"]),
        ("[]", []),
        ("[\"a\\u0000b\"]", ["a\u{0}b"]),
        ("[not json", ["[not", "json"]),
        ("[\"a\",", ["[a,"]),
        ("echo [1]", ["echo", "[1]"]),
    ])
    func argvFromText(text: String, expected: [String]) throws {
        #expect(try ArgvSplitter.argv(from: text) == expected)
    }

    @Test(arguments: ["[1,2]", "[\"a\",null]", "[\"a\",[\"b\"]]", "[{\"a\":\"b\"}]", "[true]"])
    func jsonArrayWithNonStringsIs400(text: String) {
        let error = httpError { _ = try ArgvSplitter.argv(from: text) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badData)
    }
}

// MARK: - Request fields

@Suite("RequestFields")
struct RequestFieldsTests {
    static func form(_ text: String) throws -> RequestFields { try RequestFields(form: text) }
    static func pairs(_ list: [(String, String)]) -> RequestFields.Value {
        .map(list.map { RequestFields.Pair(key: $0.0, value: $0.1) })
    }

    @Test func formWithBracketMaps() throws {
        let fields = try Self.form("ports[8080]=80&volumes[/tmp/d]=/data")
        #expect(fields.values.count == 2)
        #expect(fields.values["ports"] == Self.pairs([("8080", "80")]))
        #expect(fields.values["volumes"] == Self.pairs([("/tmp/d", "/data")]))
        #expect(try fields.map("ports") == [RequestFields.Pair(key: "8080", value: "80")])
    }

    @Test func theOriginalsExample() throws {
        let fields = try Self.form("name=p-redis&image=redis&ports[1234]=6379&ports[127.0.0.1:5678/udp]=53&volumes[/tmp/data]=/data:ro")
        #expect(try fields.text("name") == "p-redis")
        #expect(try fields.text("image") == "redis")
        #expect(fields.values["ports"] == Self.pairs([("1234", "6379"), ("127.0.0.1:5678/udp", "53")]))
        #expect(fields.values["volumes"] == Self.pairs([("/tmp/data", "/data:ro")]))
        #expect(try fields.text("missing") == nil)
    }

    @Test func plusIsSpaceAndPercentEscapes() throws {
        let fields = try Self.form("data=echo+hello+%2B+w%C3%B6rld%21&volumes%5B%2Ftmp%2Fmy+dir%5D=%2Fdata")
        #expect(try fields.text("data") == "echo hello + wörld!")
        #expect(fields.values["volumes"] == Self.pairs([("/tmp/my dir", "/data")]))
        #expect(try fields.argv() == ["echo", "hello", "+", "wörld!"])
    }

    @Test func duplicateScalarIs400() {
        let error = httpError { _ = try Self.form("image=a&image=b") }
        #expect(error?.status == 400)
        #expect(error?.message == "field \"image\" given more than once")
    }

    @Test(arguments: ["ports=1&ports[8080]=80", "ports[8080]=80&ports=1", "data[]=a&data[x]=b", "data[x]=b&data[]=a", "data=a&data[]=b"])
    func mixedShapesAre400(text: String) {
        #expect(httpStatus { _ = try Self.form(text) } == 400)
    }

    @Test(arguments: ["[a]=1", "ports[8080=80", "ports[8080]x=80", "ports]8080[=80"])
    func malformedBracketsAre400(text: String) {
        #expect(httpStatus { _ = try Self.form(text) } == 400)
    }

    @Test func listsKeepOrderAndMapsKeepTheirKeysOrder() throws {
        let fields = try Self.form("data[]=sh&data[]=-c&data[]=echo+%24%28%28+6*7+%29%29&ports[2]=2&ports[1]=3")
        #expect(try fields.argv() == ["sh", "-c", "echo $(( 6*7 ))"])
        #expect(fields.values["ports"] == Self.pairs([("2", "2"), ("1", "3")]))
    }

    /// One rule for both encodings: a field or map key given twice is a 400 naming it.
    @Test(arguments: [("ports[1]=2&ports[1]=3", "ports[1]"), ("name=a&name=b", "name")])
    func duplicatesInFormAre400(form: String, name: String) {
        let error = httpError { _ = try Self.form(form) }
        #expect(error?.status == 400)
        #expect(error?.reason == .duplicateField)
        #expect(error?.message == "field \"\(name)\" given more than once")
    }

    @Test(arguments: [("{\"name\":\"a\",\"name\":\"b\"}", "name"), ("{\"ports\":{\"1\":\"2\",\"1\":\"3\"}}", "ports.1"),
                      ("{\"name\":null,\"name\":\"b\"}", "name")])
    func duplicatesInJSONAre400(json: String, name: String) {
        let error = httpError { _ = try RequestFields(body: bytes(json), contentType: "application/json") }
        #expect(error?.status == 400)
        #expect(error?.message == "field \"\(name)\" given more than once")
    }

    @Test func bodyWithoutContentTypeIsForm() throws {
        let fields = try RequestFields(body: bytes("image=redis%3A7&detach=1\r\n"), contentType: nil)
        #expect(try fields.text("image") == "redis:7")
        #expect(try fields.bool("detach") == true)
    }

    @Test(arguments: ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=UTF-8", "", " application/x-www-form-urlencoded ;x"])
    func formContentTypes(contentType: String) throws {
        let fields = try RequestFields(body: bytes("image=busybox"), contentType: contentType)
        #expect(try fields.text("image") == "busybox")
    }

    @Test(arguments: ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.docker+json"])
    func jsonContentTypes(contentType: String) throws {
        let fields = try RequestFields(body: bytes("{\"image\":\"busybox\"}"), contentType: contentType)
        #expect(try fields.text("image") == "busybox")
    }

    @Test(arguments: ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
    func otherContentTypesAre415(contentType: String) {
        let error = httpError { _ = try RequestFields(body: bytes("image=busybox"), contentType: contentType) }
        #expect(error?.status == 415)
        #expect(error?.reason == .badMediaType)
    }

    @Test func blankBodyIsEmptyWhateverItsType() throws {
        #expect(try RequestFields(body: [], contentType: "application/json").values.isEmpty)
        #expect(try RequestFields(body: bytes(" \r\n\t"), contentType: "text/plain").values.isEmpty)
    }

    @Test func invalidUTF8FormIs400() {
        #expect(httpError { _ = try RequestFields(body: [0x61, 0x3D, 0xFF], contentType: nil) }?.message == "form body is not valid UTF-8")
    }

    @Test func jsonBody() throws {
        let body = "{\"image\":\"redis\",\"name\":null,\"ports\":{\"1234\":\"6379\",\"8080/udp\":80},\"remove\":true,\"detach\":0,\"data\":[\"sh\",\"-c\",\"echo $((6*7))\"],\"tty\":false}"
        let fields = try RequestFields(body: bytes(body), contentType: "application/json")
        #expect(fields.values.count == 6)
        #expect(try fields.text("image") == "redis")
        #expect(try fields.text("name") == nil)
        #expect(fields.values["ports"] == Self.pairs([("1234", "6379"), ("8080/udp", "80")]))
        #expect(try fields.bool("remove") == true)
        #expect(try fields.bool("detach", default: true) == false)
        #expect(try fields.bool("tty", default: true) == false)
        #expect(try fields.argv() == ["sh", "-c", "echo $((6*7))"])
    }

    @Test func jsonDataStringIsSplit() throws {
        let fields = try RequestFields(body: bytes("{\"data\":\"sh -c 'echo $((6*7))'\"}"), contentType: "application/json")
        #expect(try fields.argv() == ["sh", "-c", "echo $((6*7))"])
    }

    @Test(arguments: [
        ("{\"image\":", 400),
        ("[1]", 400),
        ("\"image\"", 400),
        ("{\"ports\":{\"80\":{\"a\":1}}}", 400),
        ("{\"ports\":{\"80\":null}}", 400),
        ("{\"data\":[1]}", 400),
    ])
    func badJSONBodies(body: String, status: Int) {
        #expect(httpStatus { _ = try RequestFields(body: bytes(body), contentType: "application/json") } == status)
    }

    @Test func invalidJSONMessageNamesTheOffset() {
        let error = httpError { _ = try RequestFields(body: bytes("{\"a\":x}"), contentType: "application/json") }
        #expect(error?.message == "invalid JSON body: unexpected character in JSON at byte 5")
    }

    @Test func nonObjectMapMessage() {
        let error = httpError { _ = try RequestFields(body: bytes("{\"ports\":{\"80\":[\"a\"]}}"), contentType: "application/json") }
        #expect(error?.message == "field \"ports\" must map strings to strings")
    }

    @Test(arguments: [("true", true), ("false", false), ("1", true), ("0", false), ("on", true), ("off", false),
                      ("yes", true), ("no", false), ("TRUE", true), ("No", false), ("oN", true)])
    func booleans(text: String, expected: Bool) throws {
        #expect(RequestFields.parseBool(text) == expected)
        #expect(try Self.form("remove=\(text)").bool("remove") == expected)
    }

    @Test(arguments: ["", "2", "y", "n", "t", "truee", " true", "-1", "null"])
    func invalidBooleansAre400(text: String) throws {
        #expect(RequestFields.parseBool(text) == nil)
        let fields = try Self.form("remove=\(PercentEncoding.encode(text))")
        let error = httpError { _ = try fields.bool("remove") }
        #expect(error?.status == 400)
        #expect(error?.message == "field \"remove\" must be a boolean (true/false/1/0/on/off/yes/no), got \"\(text)\"")
    }

    @Test func booleanDefaults() throws {
        let fields = try Self.form("a=1")
        #expect(try fields.bool("remove") == false)
        #expect(try fields.bool("remove", default: true) == true)
    }

    @Test func shapeMismatchesAre400() throws {
        let fields = try Self.form("image[x]=y&ports=80&data[x]=1")
        #expect(httpError { _ = try fields.text("image") }?.message == "field \"image\" must be a single value")
        #expect(httpStatus { _ = try fields.bool("image") } == 400)
        #expect(httpStatus { _ = try fields.map("ports") } == 400)
        #expect(httpError { _ = try fields.argv() }?.reason == .badData)
    }

    @Test func emptyCommandIsNoCommand() throws {
        #expect(try Self.form("data=").argv() == nil)
        #expect(try Self.form("data=+++").argv() == nil)
        #expect(try RequestFields(body: bytes("{\"data\":[]}"), contentType: "application/json").argv() == nil)
        #expect(try Self.form("x=1").argv() == nil)
    }
}

// MARK: - Routing

@Suite("Router and RequestTarget")
struct RouterTests {
    static func route(_ method: String, _ target: String) throws -> Route {
        try Router.route(method: method, path: RequestTarget(target).path)
    }

    @Test func everyRoute() throws {
        #expect(try Self.route("GET", "/") == .list)
        #expect(try Self.route("PUT", "/") == .run)
        #expect(try Self.route("HEAD", "/redis:7") == .pull(try ImageReference("redis:7")))
        #expect(try Self.route("HEAD", "/127.0.0.1:5000/ds-test/busybox:1") == .pull(try ImageReference("127.0.0.1:5000/ds-test/busybox:1")))
        #expect(try Self.route("GET", "/my-container") == .logs(container: "my-container"))
        #expect(try Self.route("GET", "/abc?tail=10") == .logs(container: "abc"))
        #expect(try Self.route("POST", "/abc") == .exec(container: "abc"))
        #expect(try Self.route("DELETE", "/a.b_c-d") == .remove(container: "a.b_c-d"))
        #expect(try Self.route("GET", "/?all=1") == .list)
    }

    @Test func rateClassesAndNames() throws {
        let image = try ImageReference("redis")
        let table: [(Route, RateClass, String)] = [
            (.list, .high, "ps"), (.run, .low, "run"), (.pull(image), .low, "pull"),
            (.logs(container: "a"), .high, "logs"), (.exec(container: "a"), .low, "exec"), (.remove(container: "a"), .mid, "rm"),
        ]
        for (route, rateClass, name) in table {
            #expect(route.rateClass == rateClass)
            #expect(route.name == name)
        }
        #expect(RateClass.allCases.map(\.rawValue) == ["low", "mid", "high"])
    }

    @Test(arguments: ["POST", "DELETE", "HEAD", "PATCH", "OPTIONS", "get", "TRACE"])
    func rootMethodNotAllowed(method: String) {
        let error = httpError { _ = try Router.route(method: method, path: "/") }
        #expect(error?.status == 405)
        #expect(error?.reason == .badMethod)
        #expect(error?.headers.map { "\($0.0): \($0.1)" } == ["Allow: GET, PUT"])
        #expect(error?.message == "method \(method) not allowed here; allowed: GET, PUT")
    }

    @Test(arguments: ["PUT", "PATCH", "OPTIONS", "CONNECT", "post"])
    func itemMethodNotAllowed(method: String) {
        let error = httpError { _ = try Router.route(method: method, path: "/abc") }
        #expect(error?.status == 405)
        #expect(error?.headers.map { "\($0.0): \($0.1)" } == ["Allow: GET, HEAD, POST, DELETE"])
    }

    static let traversals = [
        "/..%2Fimages%2Fjson", "/%2e%2e", "/%2E%2E%2F", "/%00", "/abc%00", "/a%00b", "/..", "/../images/json", "/.",
        "/a/../b", "/%2e%2e/containers/json", "/abc%3Fx=1", "/%0a", "/abc%0D%0AX:%201", "/a%20b", "//",
        "/images/json%23", "/abc%7F",
    ]

    @Test(arguments: ["GET", "POST", "DELETE", "HEAD"], traversals)
    func traversalAndControlCharactersAre400(method: String, target: String) {
        let error = httpError { _ = try Self.route(method, target) }
        #expect(error?.status == 400, "\(method) \(target)")
    }

    @Test func targetParts() throws {
        let target = try RequestTarget("/abc?tail=10&follow&since=1h+30m&x=%2F&tail=5")
        #expect(target.path == "/abc")
        #expect(target.query.map { "\($0.0)=\($0.1)" } == ["tail=10", "follow=", "since=1h 30m", "x=/", "tail=5"])
        #expect(target.query("tail") == "10")
        #expect(target.query("follow") == "")
        #expect(target.query("nope") == nil)
        #expect(try RequestTarget("/a%20b").path == "/a b")
        #expect(try RequestTarget("/").query.isEmpty)
        #expect(try RequestTarget("/?").query.isEmpty)
    }

    @Test(arguments: [
        ("http://example.com:1717/abc?x=1", "/abc", ["x=1"]),
        ("HTTP://Example.com", "/", []),
        ("https://h?tail=3", "/", ["tail=3"]),
        ("http://user@h:1/redis%3A7", "/redis:7", []),
        ("http://h/", "/", []),
    ])
    func absoluteForm(target: String, path: String, query: [String]) throws {
        let parsed = try RequestTarget(target)
        #expect(parsed.path == path)
        #expect(parsed.query.map { "\($0.0)=\($0.1)" } == query)
    }

    @Test func absoluteFormRoutes() throws {
        #expect(try Self.route("GET", "http://localhost:1717/") == .list)
        #expect(try Self.route("DELETE", "http://localhost:1717/abc") == .remove(container: "abc"))
        #expect(httpStatus { _ = try Self.route("GET", "http://localhost/..%2Fimages%2Fjson") } == 400)
    }

    @Test(arguments: ["abc", "*", "ftp://h/x", "http:/x", "/x#frag", "/%zz", "/%FF", "/a%7Fb", "/a%0Ab", "/x?a=%G1", "h:80"])
    func badTargetsAre400(target: String) {
        #expect(httpStatus { _ = try RequestTarget(target) } == 400)
    }
}

// MARK: - Time

@Suite("TimeParsing")
struct TimeParsingTests {
    /// 1800000000.25 s after the epoch, in nanoseconds.
    static let now = 1_800_000_000_250_000_000

    static func engineTime(_ text: String) throws -> String {
        try TimeParsing.engineTime(text, field: "query since", nowNanoseconds: now)
    }

    @Test(arguments: [
        // Unix seconds pass through as the CLI passes them.
        ("1700000000", "1700000000"), ("1700000000.5", "1700000000.5"), ("0", "0"), ("10", "10"),
        ("999999999999.123456789", "999999999999.123456789"), ("+5", "+5"), ("9999999999999", "9999999999999"),
        ("0001764430201", "0001764430201"), ("1764430201.1234567891", "1764430201.1234567891"),
        // Go durations before now, in whole seconds (floor), as the CLI sends them.
        ("90s", "1799999910"), ("10m", "1799999400"), ("1h30m", "1799994600"), ("1h30m15s", "1799994585"),
        ("1m30s", "1799999910"), ("1.5h", "1799994600"), (".5h", "1799998200"), ("250ms", "1800000000"),
        ("1us", "1800000000"), ("1µs", "1800000000"), ("1μs", "1800000000"), ("1500ns", "1800000000"),
        ("0s", "1800000000"), ("-10m", "1800000600"), ("+5s", "1799999995"), ("2h0.5m", "1799992770"),
        // RFC 3339 and the CLI's shorter layouts; no offset means UTC.
        ("2026-11-29T08:00:00Z", "1795939200.000000000"),
        ("2026-11-29T15:30:01.5Z", "1795966201.500000000"),
        ("2026-11-29T15:30:01,5Z", "1795966201.500000000"), ("2026-11-29T15:30:01,5", "1795966201.500000000"),
        ("2026-11-29T5:30:01Z", "1795930201.000000000"), ("2026-11-29T5", "1795928400.000000000"),
        ("2026-11-29T5:30", "1795930200.000000000"), ("2026-11-29T08:00:00+24:00", "1795852800.000000000"),
        ("2026-11-29T08:00:00+23:60", "1795852800.000000000"),
        ("2026-11-29T08:00:00.123456789Z", "1795939200.123456789"),
        ("2026-11-29T08:00:00.1234567891Z", "1795939200.123456789"),
        ("2026-11-29T08:00:00+02:00", "1795932000.000000000"),
        ("2026-11-29T08:00:00-05:30", "1795959000.000000000"),
        ("2026-11-29T08:00:00.5+00:00", "1795939200.500000000"),
        ("2026-11-29T08:00:00", "1795939200.000000000"),
        ("2026-11-29T08:00:00.5", "1795939200.500000000"),
        ("2026-11-29T08:00", "1795939200.000000000"),
        ("2026-11-29T08", "1795939200.000000000"),
        ("2026-11-29T08Z", "1795939200.000000000"),
        ("2026-11-29T08:00Z", "1795939200.000000000"),
        ("2026-11-29T08:00+02:00", "1795932000.000000000"),
        ("2026-11-29", "1795910400.000000000"),
        ("2026-11-29Z", "1795910400.000000000"),
        ("2026-11-29+01:00", "1795906800.000000000"),
        ("2024-02-29T23:59:59Z", "1709251199.000000000"),
        ("1970-01-01T00:00:00Z", "0.000000000"),
        ("1969-12-31T00:00:00Z", "-86400.000000000"),
    ])
    func readAsTheDockerCLIReadsThem(text: String, expected: String) throws {
        #expect(try Self.engineTime(text) == expected)
    }

    @Test(arguments: [
        "", "h", "m10", "1x", "1d", "10m5", "1.2.3", ".5", "5.", ".", "yesterday", "1h 30m", "1e9", "999999999h", "--1h",
        "2026-13-01", "2026-00-10", "2026-11-32", "2026-02-29", "2025-04-31", "2026-11-29T24:00:00Z", "2026-11-29T08:60:00Z",
        "2026-11-29T08:00:60Z", "2026-11-29T08:00:00+0200", "2026-11-29T08:00:00+02", "2026/11/29", "2026-11-29T08:00:00.Z",
        "2026-11-29T08:00:00Zjunk", "2026-11-29X08:00:00Z", "26-11-29", "2026-11-29T08:00:00+25:00", "2026-11-29t08:00:00z",
        "2026-11-29 08:00:00Z", "2026-11-29T123:00:00Z", "99999999999999999999999999999", "1234567890123456789", "1.1234567890123456789",
        "2026-11-29T08:00:00+24:61", "2026-11-29T08,5Z", "++5",
        "-1700000000", "1700000000.", "2026-11-29T08:00:00.5.5Z",
    ])
    func anythingElseIs400NamingTheField(text: String) {
        let error = httpError { _ = try Self.engineTime(text) }
        #expect(error?.status == 400)
        #expect(error?.reason == .badTime)
        #expect(error?.message.hasPrefix("query since \"") == true)
    }

    @Test(arguments: [(1970, 1, 1, 0), (1969, 12, 31, -1), (2000, 3, 1, 11017), (2000, 2, 29, 11016), (2024, 2, 29, 19782), (1600, 1, 1, -135140)])
    func daysFromCivil(year: Int, month: Int, day: Int, days: Int) {
        #expect(TimeParsing.daysFromCivil(year: year, month: month, day: day) == days)
    }
}
