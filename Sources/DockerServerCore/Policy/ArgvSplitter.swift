/// Turns the `data` field into an argv (docs/API.md): a JSON array of strings is taken exactly;
/// any other string is split into words by the POSIX shell's quoting rules (XCU §2.2:
/// blanks separate words, `'…'`, `"…"`, backslash) with **no** expansion, substitution,
/// globbing, operators or comments — `$`, `` ` ``, `*`, `;`, `|`, `#` are ordinary characters.
/// No shell ever sees the result.
public enum ArgvSplitter {
    /// Splits `text`; `field` names the request field in messages.
    /// - Throws: `HTTPError` 400 for an unterminated quote or a trailing backslash.
    public static func split(_ text: String, field: String = "data") throws(HTTPError) -> [String] {
        var words: [String] = []
        var word: [UInt8] = []
        var inWord = false
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            switch c {
            case 0x20, 0x09, 0x0A:
                if inWord { words.append(String(decoding: word, as: UTF8.self)); word = []; inWord = false }
                i += 1
            case UInt8(ascii: "'"):
                guard let close = b[(i + 1)...].firstIndex(of: UInt8(ascii: "'")) else {
                    throw HTTPError.badRequest("unterminated single quote in \(field)", reason: .badData)
                }
                word.append(contentsOf: b[(i + 1)..<close])
                inWord = true
                i = close + 1
            case UInt8(ascii: "\""):
                inWord = true
                i += 1
                var closed = false
                while i < b.count {
                    let d = b[i]
                    if d == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if d == UInt8(ascii: "\\"), i + 1 < b.count {
                        let next = b[i + 1]
                        if next == 0x0A { i += 2; continue }  // line continuation
                        if "$`\"\\".utf8.contains(next) { word.append(next); i += 2; continue }
                    }
                    word.append(d)
                    i += 1
                }
                guard closed else { throw HTTPError.badRequest("unterminated double quote in \(field)", reason: .badData) }
            case UInt8(ascii: "\\"):
                guard i + 1 < b.count else { throw HTTPError.badRequest("trailing backslash in \(field)", reason: .badData) }
                if b[i + 1] != 0x0A { word.append(b[i + 1]); inWord = true }
                i += 2
            default:
                word.append(c)
                inWord = true
                i += 1
            }
        }
        if inWord { words.append(String(decoding: word, as: UTF8.self)) }
        return words
    }

    /// The argv for a `data` value: a JSON array of strings when `text` is one (after
    /// leading blanks), else `split(text)`.
    /// - Throws: `HTTPError` 400 for a JSON array with non-string items or bad quoting.
    public static func argv(from text: String, field: String = "data") throws(HTTPError) -> [String] {
        let trimmed = text.trimmingSpaces
        if trimmed.hasPrefix("["), let json = try? JSON.parse(trimmed), case let .array(items) = json {
            return try strings(items, field: field)
        }
        return try split(text, field: field)
    }

    /// The strings of a JSON array, the value of request field `field`.
    /// - Throws: `HTTPError` 400 when an item is not a string.
    public static func strings(_ items: [JSON], field: String = "data") throws(HTTPError) -> [String] {
        var argv: [String] = []
        for item in items {
            guard let s = item.stringValue else { throw HTTPError.badRequest("\(field) array must hold only strings", reason: .badData) }
            argv.append(s)
        }
        return argv
    }
}
