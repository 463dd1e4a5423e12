import Testing
@testable import DockerServerCore

@Suite("JSON")
struct JSONTests {
    @Test func parsesAllKinds() throws {
        let value = try JSON.parse(" {\"a\":null,\"b\":true,\"c\":false,\"d\":-1.5e3,\"e\":\"x\",\"f\":[1,[]],\"g\":{}} \n")
        #expect(value == .object([
            ("a", .null), ("b", .bool(true)), ("c", .bool(false)), ("d", .number("-1.5e3")), ("e", .string("x")),
            ("f", .array([.number("1"), .array([])])), ("g", .object([])),
        ]))
    }

    @Test(arguments: [
        "{\"z\":1,\"a\":2,\"m\":{\"y\":[true,false,null],\"b\":\"\"}}",
        "[1.50,1E400,-0,0.000001,12345678901234567890123,1e-7,2E+3]",
        "{\"Id\":\"abc\",\"Names\":[\"/x\"],\"Ports\":[{\"PrivatePort\":80,\"Type\":\"tcp\"}],\"Labels\":{}}",
        "\"\\\\ \\\" \\n \\r \\t \\u0001 \\u001f \\u007f\"",
        "{\"a\":1,\"a\":2}",
        "[]",
        "\"\"",
        "0",
        "null",
    ])
    func roundTripsExactly(text: String) throws {
        #expect(serialized(try JSON.parse(text)) == text)
    }

    @Test func objectOrderIsKept() throws {
        let value = try JSON.parse("{\"b\":1,\"a\":2,\"c\":3}")
        guard case let .object(members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["b", "a", "c"])
        #expect(value != (try JSON.parse("{\"a\":2,\"b\":1,\"c\":3}")))
    }

    @Test func numbersAreKeptAsText() throws {
        #expect(try JSON.parse("1.0") == .number("1.0"))
        #expect(try JSON.parse("1e400") == .number("1e400"))
        #expect(try JSON.parse("-0.0E-0") == .number("-0.0E-0"))
        #expect(try JSON.parse("123456789012345678901234567890") == .number("123456789012345678901234567890"))
        #expect(JSON.number("1.0") != JSON.number("1"))
    }

    @Test func intValue() throws {
        #expect(JSON.int(-42) == .number("-42"))
        #expect(try JSON.parse("137").intValue == 137)
        #expect(try JSON.parse("1.5").intValue == nil)
        #expect(try JSON.parse("99999999999999999999").intValue == nil)
        #expect(JSON.string("1").intValue == nil)
    }

    @Test func accessors() throws {
        let value = try JSON.parse("{\"a\":\"x\",\"a\":\"y\",\"n\":{\"m\":1}}")
        #expect(value["a"] == .string("x"))
        #expect(value["a"]?.stringValue == "x")
        #expect(value["n"]?["m"]?.intValue == 1)
        #expect(value["missing"] == nil)
        #expect(JSON.array([]).self["a"] == nil)
        #expect(JSON.number("1").stringValue == nil)
    }

    @Test func settingReplacesInPlaceOrAppends() {
        let value = JSON.object([("a", .int(1)), ("b", .int(2))])
        #expect(serialized(value.setting("a", to: .string("x"))) == "{\"a\":\"x\",\"b\":2}")
        #expect(serialized(value.setting("host", to: .string("h"))) == "{\"a\":1,\"b\":2,\"host\":\"h\"}")
        #expect(JSON.array([.null]).setting("a", to: .null) == .array([.null]))
    }

    @Test func serializesEscapes() {
        let text = "q\" b\\ n\n r\r t\t nul\u{0} bs\u{8} ff\u{C} del\u{7F} us\u{1F} slash/ é 😀"
        #expect(serialized(.string(text)) == "\"q\\\" b\\\\ n\\n r\\r t\\t nul\\u0000 bs\\u0008 ff\\u000c del\\u007f us\\u001f slash/ é 😀\"")
    }

    @Test func serializedEscapesParseBack() throws {
        var all = ""
        for v in 0..<0x80 { all.unicodeScalars.append(Unicode.Scalar(UInt8(v))) }
        all += "é€😀\u{FFFD}"
        #expect(try JSON.parse(JSON.string(all).serialized) == .string(all))
    }

    @Test func parsesEscapes() throws {
        #expect(try JSON.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\u20AC\"") == .string("\" \\ / \u{8} \u{C} \n \r \t A é €"))
    }

    @Test func surrogatePairs() throws {
        #expect(try JSON.parse("\"\\ud83d\\ude00\"") == .string("😀"))
        #expect(try JSON.parse("\"\\uD834\\uDD1E!\"") == .string("𝄞!"))
        #expect(try JSON.parse("\"😀\"") == .string("😀"))
    }

    @Test(arguments: [
        ("\"\\ud83d\"", "unpaired surrogate in string"),
        ("\"\\ud83dx\"", "unpaired surrogate in string"),
        ("\"\\ude00\"", "unpaired surrogate in string"),
        ("\"\\ud83d\\u0041\"", "invalid surrogate pair"),
        ("\"\\ud83d\\ud83d\"", "invalid surrogate pair"),
    ])
    func badSurrogatesRejected(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        do { _ = try JSON.parse(text) } catch { #expect(error.message == message) }
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(serialized(try JSON.parse(ok)) == ok)
        let deep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        do { _ = try JSON.parse(deep); Issue.record("accepted") } catch { #expect(error.message == "JSON nested too deeply") }
        let objects = String(repeating: "{\"a\":", count: JSON.maxDepth + 1) + "1" + String(repeating: "}", count: JSON.maxDepth + 1)
        do { _ = try JSON.parse(objects); Issue.record("accepted") } catch { #expect(error.message == "JSON nested too deeply") }
        // Hostile depth does not crash.
        #expect(throws: JSONParseError.self) { try JSON.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],
        [0x22, 0xC3, 0x22],
        [0x22, 0xC0, 0x80, 0x22],
        [0x22, 0xED, 0xA0, 0x80, 0x22],
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
        [0x22, 0x61, 0x80, 0x22],
    ] as [[UInt8]])
    func invalidUTF8Rejected(input: [UInt8]) {
        do { _ = try JSON.parse(input); Issue.record("accepted") } catch { #expect(error.message == "invalid UTF-8 in string") }
    }

    @Test func invalidUTF8InKeysRejected() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) }
    }

    @Test(arguments: [
        "", " ", "{", "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "[1 2]",
        "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "True",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"a\tb\"", "1 2", "{}x", "[]]", "\"\\",
    ])
    func malformedRejected(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func errorOffset() {
        do { _ = try JSON.parse("[1, x]"); Issue.record("accepted") } catch {
            #expect(error == JSONParseError(message: "unexpected character in JSON", offset: 4))
        }
        do { _ = try JSON.parse("{} 1"); Issue.record("accepted") } catch {
            #expect(error == JSONParseError(message: "unexpected data after the JSON value", offset: 3))
        }
    }

    @Test func whitespaceBetweenTokens() throws {
        #expect(try JSON.parse("\t{ \"a\" :\r\n[ 1 , 2 ] }\n") == .object([("a", .array([.number("1"), .number("2")]))]))
    }
}
