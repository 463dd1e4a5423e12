import Glibc
import Testing
@testable import DockerServerCore

/// docs/openapi.yaml agrees with the code: the same operations as the router, the same
/// fields as the body schemas, the same statuses as the code can answer (`APIContract`). The
/// test command also validates the document itself with openapi-spec-validator.
@Suite("docs/openapi.yaml agrees with the code")
struct OpenAPIContractTests {
    /// Each mapping line of a block-style YAML document: the path of keys to it (list items
    /// as `-`) and its scalar value, if any. Enough for the project's own OpenAPI document,
    /// which keeps to block style (see its header).
    static func entries(_ text: String) -> [(path: [String], value: String?)] {
        var out: [(path: [String], value: String?)] = []
        var stack: [(indent: Int, key: String)] = []
        var blockIndent: Int?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(raw)
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if content.isEmpty || content.hasPrefix("#") { continue }
            if let block = blockIndent {
                if indent > block { continue }
                blockIndent = nil
            }
            var level = indent
            line = content
            // "- key: value" is a list item holding a mapping.
            while line.hasPrefix("- ") || line == "-" {
                while let top = stack.last, top.indent >= level { stack.removeLast() }
                stack.append((level, "-"))
                line = line.dropFirst(2)
                level += 2
            }
            guard let colon = Self.keyEnd(line) else { continue }
            var key = String(line[..<colon]).trimmingSpaces
            if key.count >= 2, (key.hasPrefix("\"") && key.hasSuffix("\"")) || (key.hasPrefix("'") && key.hasSuffix("'")) {
                key = String(key.dropFirst().dropLast())
            }
            var value: String? = String(line[line.index(after: colon)...]).trimmingSpaces
            if let v = value, v.isEmpty { value = nil }
            if let v = value, v.hasPrefix("|") || v.hasPrefix(">") { blockIndent = level; value = nil }
            if let v = value, v.count >= 2, (v.hasPrefix("'") && v.hasSuffix("'")) || (v.hasPrefix("\"") && v.hasSuffix("\"")) {
                value = String(v.dropFirst().dropLast())
            }
            while let top = stack.last, top.indent >= level { stack.removeLast() }
            stack.append((level, key))
            out.append((stack.map(\.key), value))
        }
        return out
    }

    /// The colon that ends a mapping key (outside quotes, followed by a space or the end).
    static func keyEnd(_ line: Substring) -> Substring.Index? {
        var quote: Character?
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ":" {
                let next = line.index(after: i)
                if next == line.endIndex || line[next] == " " { return i }
            }
            i = line.index(after: i)
        }
        return nil
    }

    static func document(filePath: String = #filePath) -> [(path: [String], value: String?)] {
        entries(text(filePath: filePath))
    }

    static func text(filePath: String = #filePath) -> String {
        let root = filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        guard let bytes = readFile("/" + root + "/docs/openapi.yaml") else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The lines of `components.schemas.SCHEMA` (or of its property PROPERTY), the key line
    /// included: everything indented deeper than the key. The entries leave out scalar list
    /// items (`- string` in a type list), which these checks need.
    static func block(_ text: String, schema: String, property: String? = nil) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func indent(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }
        func after(_ key: String, indent level: Int, in range: Range<Int>) -> Range<Int>? {
            guard let start = range.first(where: { indent(lines[$0]) == level && lines[$0].dropFirst(level) == key + ":" })
            else { return nil }
            var end = start + 1
            while end < range.upperBound, lines[end].isEmpty || indent(lines[end]) > level { end += 1 }
            return start..<end
        }
        guard let components = after("components", indent: 0, in: 0..<lines.count),
              let schemas = after("schemas", indent: 2, in: components),
              var found = after(schema, indent: 4, in: schemas) else { return [] }
        if let property {
            guard let properties = after("properties", indent: 6, in: found),
                  let one = after(property, indent: 8, in: properties) else { return [] }
            found = one
        }
        return Array(lines[found])
    }

    @Test func theReaderReadsBlockStyle() {
        let text = """
        a:
          b: 1
          "200":
            description: |
              text: not a key
            x: 'y'
          list:
            - name: n1
              in: query
            - name: n2
        c: 2
        """
        let e = Self.entries(text)
        #expect(e.map { $0.path.joined(separator: ".") } == ["a", "a.b", "a.200", "a.200.description", "a.200.x", "a.list",
                                                               "a.list.-.name", "a.list.-.in", "a.list.-.name", "c"])
        #expect(e[4].value == "y")
    }

    @Test func sameOperationsAsTheRouter() throws {
        let doc = Self.document()
        try #require(!doc.isEmpty, "docs/openapi.yaml is missing or empty")
        let methods: Set<String> = ["get", "put", "post", "delete", "head", "patch", "options"]
        let documented = Set(doc.filter { $0.path.count == 3 && $0.path[0] == "paths" && methods.contains($0.path[2]) }
            .map { "\($0.path[2].uppercased()) \($0.path[1])" })
        #expect(documented == Set(APIContract.operations.map { "\($0.method) \($0.path)" }))
        // And the router takes exactly these methods.
        #expect(Set(Router.rootMethods.split(separator: ",").map { $0.trimmingSpaces }) ==
                Set(APIContract.operations.filter { $0.path == "/" }.map(\.method)))
        #expect(Set(Router.itemMethods.split(separator: ",").map { $0.trimmingSpaces }) ==
                Set(APIContract.operations.filter { $0.path != "/" }.map(\.method)))
    }

    @Test(arguments: APIContract.operations.map { "\($0.method) \($0.path) \($0.route)" })
    func sameStatusesAsTheCode(operation: String) throws {
        let parts = operation.split(separator: " ").map(String.init)
        let doc = Self.document()
        try #require(!doc.isEmpty, "docs/openapi.yaml is missing or empty")
        let documented = Set(doc.filter { $0.path.count == 5 && $0.path[0] == "paths" && $0.path[1] == parts[1]
            && $0.path[2] == parts[0].lowercased() && $0.path[3] == "responses" }.compactMap { Int($0.path[4]) })
        #expect(documented == APIContract.statuses(of: parts[2]),
                "\(operation): documented only \(documented.subtracting(APIContract.statuses(of: parts[2])).sorted()), not documented \(APIContract.statuses(of: parts[2]).subtracting(documented).sorted())")
    }

    @Test(arguments: [("put", FieldSchema.run), ("post", FieldSchema.exec)])
    func sameFieldsAsTheBodySchemas(method: String, schema: FieldSchema) throws {
        let doc = Self.document()
        try #require(!doc.isEmpty, "docs/openapi.yaml is missing or empty")
        let path = method == "put" ? "/" : "/{name}"
        // Both encodings, each naming one schema.
        let refs = doc.filter { $0.path.count == 8 && $0.path[0] == "paths" && $0.path[1] == path && $0.path[2] == method
            && $0.path[3] == "requestBody" && $0.path[6] == "schema" && $0.path[7] == "$ref" }
        #expect(Set(refs.map { $0.path[5] }) == ["application/x-www-form-urlencoded", "application/json"])
        for ref in refs {
            let name = try #require(ref.value?.split(separator: "/").last.map(String.init))
            let fields = doc.filter { $0.path.count == 5 && $0.path[0] == "components" && $0.path[1] == "schemas"
                && $0.path[2] == name && $0.path[3] == "properties" }.map { $0.path[4] }
            #expect(fields == schema.fields.map(\.name), "\(name)")
            #expect(doc.contains { $0.path == ["components", "schemas", name, "additionalProperties"] && $0.value == "false" })
        }
    }

    /// The JSON bodies follow RequestFields(json:): null is an absent field (so a required
    /// field's null is a 400), and a number or boolean is one value read as its text. The
    /// contract test (Tests/e2e/contract.sh) found the schemas stricter than that.
    @Test(arguments: [("RunRequest", FieldSchema.run, "image"), ("ExecRequest", FieldSchema.exec, "data")])
    func jsonSchemasTakeNullNumbersAndBooleans(schema: String, fields: FieldSchema, required: String) throws {
        let text = Self.text()
        try #require(!text.isEmpty, "docs/openapi.yaml is missing or empty")
        let flag = Self.block(text, schema: "Flag")
        #expect(flag.contains { $0.trimmingSpaces == "- type: 'null'" }, "Flag takes JSON null")
        for field in fields.fields {
            let lines = Self.block(text, schema: schema, property: field.name)
            try #require(!lines.isEmpty, "\(schema).\(field.name) is documented")
            let isFlag = lines.contains { $0.contains("'#/components/schemas/Flag'") }
            let isCommand = lines.contains { $0.contains("'#/components/schemas/Command'") }
            let null = isFlag || lines.contains { $0.trimmingSpaces == "- 'null'" || $0.trimmingSpaces == "- type: 'null'" }
            #expect(null == (field.name != required), "\(schema).\(field.name): JSON null \(field.name == required ? "is a 400" : "is an absent field")")
            if field.shape == .single && !isFlag {
                #expect(lines.contains { $0.trimmingSpaces == "- number" } && lines.contains { $0.trimmingSpaces == "- boolean" },
                        "\(schema).\(field.name) takes a JSON number or boolean, read as its text")
            }
            if field.shape == .command {
                #expect(isCommand, "\(schema).\(field.name) is a Command")
            }
        }
        let command = Self.block(text, schema: "Command")
        #expect(command.contains { $0.trimmingSpaces == "- number" } && command.contains { $0.trimmingSpaces == "- boolean" })
    }

    /// In form data OpenAPI sends a list as the repeated name=value (style form, explode), which
    /// the server refuses as a duplicate: the form schemas' data is a string (data[]=… is
    /// described in prose), and their maps are the bracketed deepObject style.
    @Test(arguments: [("RunForm", FieldSchema.run), ("ExecForm", FieldSchema.exec)])
    func formSchemasSayWhatFormDataCarries(schema: String, fields: FieldSchema) throws {
        let text = Self.text()
        try #require(!text.isEmpty, "docs/openapi.yaml is missing or empty")
        let data = Self.block(text, schema: schema, property: "data")
        #expect(data.dropFirst().first?.trimmingSpaces == "type: string", "\(schema).data is a string")
        for field in fields.fields {
            let lines = Self.block(text, schema: schema, property: field.name)
            #expect(!lines.contains { $0.contains("'null'") }, "\(schema).\(field.name): form data has no null")
        }
    }

    /// Header fields the code sends on every answer of their kind are required in the
    /// document, so the contract test (Tests/e2e/contract.sh) checks them on each answer:
    /// WWW-Authenticate on a 401 (Connection's authentication; Tests/e2e/run.sh checks it),
    /// X-Error on a HEAD error (HTTPError.headResponse, which the spawner's and the
    /// misconfiguration 503 use too).
    @Test(arguments: ["WWW-Authenticate", "X-Error"])
    func headersSentOnEveryAnswerOfTheirKindAreRequired(header: String) throws {
        let doc = Self.document()
        try #require(!doc.isEmpty, "docs/openapi.yaml is missing or empty")
        #expect(doc.contains { $0.path == ["components", "headers", header, "required"] && $0.value == "true" })
        if header == "X-Error" {
            for status in [400, 404, 429, 502, 503] {
                #expect(HTTPError(status, "x", reason: .badRequest).headResponse.headers.contains { $0.0 == "X-Error" })
            }
        }
    }

    /// The boolean words of the document are the code's (RequestFields.parseBool): the Flag
    /// of the bodies, and the query parameters timestamps, follow and volumes, where empty
    /// means true. The query parameters had no pattern, so a contract test could not send
    /// them a value the document calls invalid.
    @Test(arguments: ["Flag", "timestamps", "follow", "volumes"])
    func booleanPatternsAreTheCodesWords(name: String) throws {
        let doc = Self.document()
        try #require(!doc.isEmpty, "docs/openapi.yaml is missing or empty")
        let path = name == "Flag" ? ["components", "schemas", "Flag", "oneOf", "-", "pattern"]
                                  : ["components", "parameters", name, "schema", "pattern"]
        let pattern = try #require(doc.first { $0.path == path }?.value, "\(name) has a pattern")
        let regex = try Regex(pattern)
        var candidates = ["", "2", "t", "y", "n", "truee", " true", "true ", "01", "-1", "nope", "onn", "ye", "tru", "of", "offf", "yess"]
        for word in ["true", "false", "1", "0", "on", "off", "yes", "no"] {
            candidates += [word, word.uppercased(), word.prefix(1).uppercased() + word.dropFirst()]
        }
        for value in candidates {
            let expected = (name != "Flag" && value.isEmpty) || RequestFields.parseBool(value) != nil
            let matches = (try? regex.wholeMatch(in: value)) != nil
            #expect(matches == expected, "\(name): \"\(value)\"")
        }
    }
}
