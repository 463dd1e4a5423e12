import Testing
@testable import DockerServerCore

/// What the fuzz targets found (docs/FUZZING.md "Findings"), each input kept here so that the
/// fix stays: the target, the input as libFuzzer saved it, and what must hold.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    /// `container_reference`: `GET /%D9%97v` (a combining mark, U+0657, after the slash) was
    /// routed to container `v`: the router dropped the path's first Character, and the mark
    /// joins the slash into one. The slash is one byte; the name is everything after it.
    @Test(arguments: ["GET", "POST", "DELETE", "HEAD"])
    func combiningMarkAfterTheSlashIsPartOfTheName(method: String) throws {
        let path = try RequestTarget("/%D9%97v").path
        #expect(path == "/\u{657}v")
        #expect(throws: HTTPError.self) { try Router.route(method: method, path: path) }
        #expect(throws: HTTPError.self) { try ContainerReference.validate("/\u{657}v") }
        #expect(try Router.route(method: method, path: "/v") != .list)
    }

    /// `aws_ini`: a shared credentials or config file with CRLF line ends read as one line,
    /// so neither its sections nor its keys were found ("\r\n" is one Character, neither
    /// "\n" nor "\r").
    @Test func crlfLineEndsInAWSFiles() throws {
        let text = "[default]\r\naws_access_key_id = AKIAEXAMPLE\r\naws_secret_access_key = secret\r\nregion = eu-west-3\r\n"
        #expect(INIFile.sections(text) == ["default": ["aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "secret", "region": "eu-west-3"]])
        #expect(INIFile.sections("=\r\n[k]\r\n") == ["k": [:]])
        let settings = try AWSSettings.resolve(environment: [:], credentialsFile: ("/c", text), configFile: ("/f", nil), secretCredential: nil)
        #expect(settings.accessKeyID == "AKIAEXAMPLE" && settings.region == "eu-west-3")
    }

    /// `s3_xml`: an element's content was unescaped, then its children read from that text
    /// and unescaped again, so an error message holding `</Message>` (sent as
    /// `&lt;/Message&gt;`) was cut there, and a key `a&amp;lt;b` read as `a<b`.
    @Test func xmlIsUnescapedOnce() throws {
        let error = "<Error><Code>NoSuchKey</Code><Message>ket do&lt;/Message&gt;&lt;B</Message><RequestId>1</RequestId></Error>"
        #expect(S3XML.error(Array(error.utf8))?.message == "ket do</Message><B")
        let page = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a&amp;lt;b</Key></Contents>"
            + "<Contents><Key>x&lt;/Key&gt;y</Key></Contents><Contents><Key>ds-1&amp;#46;json</Key></Contents></ListBucketResult>"
        #expect(try S3XML.listing(Array(page.utf8)).keys == ["a&lt;b", "x</Key>y", "ds-1&#46;json"])
        // By bytes: a combining mark after `>` or `;` hides neither.
        let marked = "<ListBucketResult><Contents><Key>\u{301}k&amp;\u{301}</Key></Contents></ListBucketResult>"
        #expect(try S3XML.listing(Array(marked.utf8)).keys.map { Array($0.utf8) } == [Array("\u{301}k&\u{301}".utf8)])
    }

    /// `cluster_entry`: a stored entry whose signature holds a character JSON escapes
    /// (`"signature":"…\b…"`) was written back unescaped, as JSON that no longer parses.
    @Test func entrySignatureIsEscaped() throws {
        let text = #"{"host":"http://192.0.2.7:1717","load":5.125000,"updated":3590000000000,"signature":"ab\bab\"\\"}"#
        let entry = try ClusterEntry.parse(Array(text.utf8))
        #expect(entry.signature == "ab\u{8}ab\"\\")
        #expect(try ClusterEntry.parse(entry.serialized) == entry)
    }

    /// `image_reference`: a digest algorithm was any run of `[a-z0-9+._-]` starting with a
    /// letter or digit (`p++`, `sha256-`), not the grammar its comment names.
    @Test(arguments: ["p++a", "sha256-", "a..b", "a+-b"])
    func digestAlgorithmFollowsTheGrammar(algorithm: String) {
        let hex = String(repeating: "0123456789abcdef", count: 4)
        #expect(throws: HTTPError.self) { try ImageReference("re@\(algorithm):\(hex)") }
        #expect((try? ImageReference("re@p+pha256:\(hex)"))?.digest == "p+pha256:\(hex)")
        #expect((try? ImageReference("re@sha256.v2_x-y:\(hex)")) != nil)
    }

    /// `response_head`: a status line `HTTP/1.1 -01 UPGRADED` was read as status -1 (and
    /// `+20` as 20): `Int(_:)` takes a sign. A status is three digits.
    @Test(arguments: ["HTTP/1.1 -01 UPGRADED\r\n\r\n", "HTTP/1.1 +20 OK\r\n\r\n", "HTTP/1.1 2 0 OK\r\n\r\n"])
    func statusIsThreeDigits(head: String) {
        #expect(throws: HTTPError.self) { try ResponseHeadParser.parse(Array(head.utf8)) }
    }

    /// Form data and queries were split into fields by Characters: a combining mark right
    /// after `&` or `=` joined it into one Character, so `data=ls&\u{301}x=1` ran
    /// `ls&\u{301}x=1`, where every other form parser (WHATWG) sees two fields. Seen reading
    /// the code after the Character findings above; `form_body` now checks that every
    /// `&`-separated part is one field or item.
    @Test func formDataIsSplitByBytes() throws {
        let pairs = try PercentEncoding.formPairs("data=ls&\u{301}x=1&n=\u{301}v")
        #expect(pairs.map { Array($0.0.utf8) } == [Array("data".utf8), Array("\u{301}x".utf8), Array("n".utf8)])
        #expect(pairs.map { Array($0.1.utf8) } == [Array("ls".utf8), Array("1".utf8), Array("\u{301}v".utf8)])
        let fields = try RequestFields(body: Array("image=x&\u{301}rm=1".utf8), contentType: nil)
        #expect(try fields.text("image") == "x" && fields.values.count == 2)
    }
}
