/// The fields of a request body (docs/API.md "Request bodies"), from
/// `application/x-www-form-urlencoded` with bracket maps (`ports[8080]=80`) or from a JSON
/// object, in one shape, checked against one `FieldSchema` whatever the encoding.
public struct RequestFields: Sendable {
    public enum Value: Equatable, Sendable {
        case text(String)
        /// A form value that is not valid UTF-8 once percent-decoded (only `input` takes it).
        case bytes([UInt8])
        /// `name[key]=value` pairs, or a JSON object, in order.
        case map([Pair])
        /// `name[]=a&name[]=b`, or a JSON array of strings.
        case list([String])
    }

    public struct Pair: Equatable, Sendable {
        public var key: String
        public var value: String
    }

    public var values: [String: Value] = [:]
    /// Fields given as JSON `null` (the same as absent, but still checked as names).
    public var nullFields: Set<String> = []

    public init() {}

    /// Decodes a body by its `Content-Type` (nil or empty: form data, curl `--data`'s habit).
    /// - Throws: `HTTPError` 415 for another media type, 400 for malformed data and for a
    ///   field or map key given twice.
    public init(body: [UInt8], contentType: String?) throws(HTTPError) {
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { self.init(); return }
        switch mediaType {
        case "", "application/x-www-form-urlencoded":
            // Line ends (a canned file's, or a trailing newline) are not part of form data.
            guard let text = String(validating: body.filter { $0 != 0x0D && $0 != 0x0A }.trimmingWhitespace(), as: UTF8.self) else {
                throw HTTPError.badRequest("form body is not valid UTF-8")
            }
            try self.init(form: text)
        case "application/json":
            try self.init(json: body)
        default:
            guard mediaType.hasSuffix("+json") else {
                throw HTTPError(415, "unsupported Content-Type \"\(mediaType)\": send application/x-www-form-urlencoded or application/json",
                            reason: .badMediaType)
            }
            try self.init(json: body)
        }
    }

    /// Decodes form data: `name=value`, `name[key]=value`, `name[]=value`.
    /// - Throws: `HTTPError` 400 for bad escapes, a malformed bracket, a field given twice (or
    ///   in two shapes), or a map key given twice.
    public init(form: String) throws(HTTPError) {
        for (rawName, bytes) in try PercentEncoding.formPairBytes(form) {
            guard let open = rawName.firstIndex(of: "[") else {
                guard values[rawName] == nil else { throw RequestFields.duplicate(rawName) }
                values[rawName] = String(validating: bytes, as: UTF8.self).map(Value.text) ?? .bytes(bytes)
                continue
            }
            guard rawName.hasSuffix("]"), open > rawName.startIndex else {
                throw HTTPError.badRequest("malformed field name \"\(rawName)\" (expected name[key])", reason: .badField)
            }
            let name = String(rawName[..<open])
            let key = String(rawName[rawName.index(after: open)..<rawName.index(before: rawName.endIndex)])
            guard let value = String(validating: bytes, as: UTF8.self) else {
                throw HTTPError.badRequest("field \"\(rawName)\" is not valid UTF-8 once percent-decoded", reason: .badField)
            }
            switch (values[name], key.isEmpty) {
            case (nil, true): values[name] = .list([value])
            case (.list(let items)?, true): values[name] = .list(items + [value])
            case (nil, false): values[name] = .map([Pair(key: key, value: value)])
            case (.map(let pairs)?, false):
                guard !pairs.contains(where: { $0.key == key }) else { throw RequestFields.duplicate("\(name)[\(key)]") }
                values[name] = .map(pairs + [Pair(key: key, value: value)])
            default: throw HTTPError.badRequest("field \"\(name)\" given in more than one form", reason: .duplicateField)
            }
        }
    }

    /// Decodes a JSON object body. Strings, numbers and booleans become text; objects maps
    /// (of strings, numbers or booleans); arrays lists (of strings); null is the same as
    /// absent (the name must still be known: `nullFields`).
    /// - Throws: `HTTPError` 400 for invalid JSON, other shapes, and a member or map key
    ///   given twice (JSON parsers disagree on which one wins: neither does here).
    public init(json body: [UInt8]) throws(HTTPError) {
        let json: JSON
        do { json = try JSON.parse(body) } catch {
            throw HTTPError.badRequest("invalid JSON body: \(error.message) at byte \(error.offset)")
        }
        guard case let .object(members) = json else { throw HTTPError.badRequest("JSON body must be an object") }
        var seen: Set<String> = []
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw RequestFields.duplicate(name) }
            switch value {
            case .null: nullFields.insert(name)
            case .object(let inner):
                var pairs: [Pair] = []
                for (key, item) in inner {
                    guard let text = RequestFields.scalarText(item) else {
                        throw HTTPError.badRequest("field \"\(name)\" must map strings to strings", reason: .badField)
                    }
                    guard !pairs.contains(where: { $0.key == key }) else { throw RequestFields.duplicate("\(name).\(key)") }
                    pairs.append(Pair(key: key, value: text))
                }
                values[name] = .map(pairs)
            case .array(let items): values[name] = .list(try ArgvSplitter.strings(items, field: name))
            default: values[name] = .text(RequestFields.scalarText(value) ?? "")
            }
        }
    }

    static func duplicate(_ name: String) -> HTTPError {
        HTTPError.badRequest("field \"\(name)\" given more than once", reason: .duplicateField)
    }

    static func scalarText(_ json: JSON) -> String? {
        switch json {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// The text of field `name`, nil if absent.
    /// - Throws: `HTTPError` 400 if it is a map or list, or not valid UTF-8.
    public func text(_ name: String) throws(HTTPError) -> String? {
        switch values[name] {
        case nil: return nil
        case .text(let s)?: return s
        case .bytes?: throw HTTPError.badRequest("field \"\(name)\" is not valid UTF-8 once percent-decoded", reason: .badField)
        default: throw HTTPError.badRequest("field \"\(name)\" must be a single value", reason: .badField)
        }
    }

    /// The bytes of field `name` (any bytes from form data, UTF-8 from JSON), nil if absent.
    /// - Throws: `HTTPError` 400 if it is a map or list.
    public func bytes(_ name: String) throws(HTTPError) -> [UInt8]? {
        switch values[name] {
        case nil: return nil
        case .text(let s)?: return Array(s.utf8)
        case .bytes(let b)?: return b
        default: throw HTTPError.badRequest("field \"\(name)\" must be a single value", reason: .badField)
        }
    }

    /// Field `name` as a boolean (`true/false/1/0/on/off/yes/no`, any case), `defaultValue` if absent.
    /// - Throws: `HTTPError` 400 for another value.
    public func bool(_ name: String, default defaultValue: Bool = false) throws(HTTPError) -> Bool {
        guard let text = try text(name) else { return defaultValue }
        guard let value = RequestFields.parseBool(text) else {
            throw HTTPError.badRequest("field \"\(name)\" must be a boolean (true/false/1/0/on/off/yes/no), got \"\(text)\"", reason: .badField)
        }
        return value
    }

    /// Parses `true/false/1/0/on/off/yes/no` (any case).
    public static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "on", "yes": return true
        case "false", "0", "off", "no": return false
        default: return nil
        }
    }

    /// Field `name` as a map (empty if absent).
    /// - Throws: `HTTPError` 400 if it is text or a list.
    public func map(_ name: String) throws(HTTPError) -> [Pair] {
        switch values[name] {
        case nil: return []
        case .map(let pairs)?: return pairs
        default:
            throw HTTPError.badRequest("field \"\(name)\" must be a map, e.g. \(name)[KEY]=VALUE or {\"\(name)\":{\"KEY\":\"VALUE\"}}",
                                       reason: .badField)
        }
    }

    /// Field `name` as argv (docs/API.md "Commands"), nil if absent or empty.
    /// - Throws: `HTTPError` 400 for bad quoting, a map, or a NUL inside an argument.
    public func argv(_ name: String = "data") throws(HTTPError) -> [String]? {
        let argv: [String]
        switch values[name] {
        case nil: return nil
        case .list(let items)?: argv = items
        case .text(let s)?: argv = try ArgvSplitter.argv(from: s, field: name)
        case .map?, .bytes?: throw HTTPError.badRequest("field \"\(name)\" must be a command string or an array of strings", reason: .badData)
        }
        // An argument is a C string for the kernel (execve): it cannot hold NUL.
        if argv.contains(where: { $0.utf8.contains(0) }) {
            throw HTTPError.badRequest("field \"\(name)\": an argument contains a NUL character", reason: .badData)
        }
        return argv.isEmpty ? nil : argv
    }
}
