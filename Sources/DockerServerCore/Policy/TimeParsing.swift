/// Parses the `since` of a logs request as `docker logs --since` does: Unix seconds
/// (`1700000000`, `1700000000.5`), an RFC 3339 time (`2026-11-29T08:00:00Z`, with offset),
/// a date (`2026-11-29`), or a duration before now (`90s`, `10m`, `1h30m`).
public enum TimeParsing {
    /// The Unix time in seconds (as text the engine takes, possibly fractional).
    /// - Parameter now: current Unix time in seconds.
    /// - Throws: `HTTPError` 400 for anything else.
    public static func since(_ text: String, now: Int) throws(HTTPError) -> String {
        let bad = HTTPError.badRequest("invalid since \"\(text)\": expected Unix seconds, RFC 3339 time or a duration like 10m", reason: "bad_query")
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") }),
           text.filter({ $0 == "." }).count <= 1, text.first != ".", text.last != "." {
            // The engine reads seconds and nanoseconds as 64-bit integers: keep both in range
            // (at most 12 digits of seconds, about year 33658, and 9 of fraction).
            let parts = text.split(separator: ".")
            guard parts[0].count <= 12, parts.count == 1 || parts[1].count <= 9 else {
                throw HTTPError.badRequest("since \"\(text)\" is out of range: at most 12 digits of seconds and 9 of fraction", reason: "bad_query")
            }
            return text
        }
        if let seconds = duration(text) { return String(max(0, now - seconds)) }
        if let epoch = rfc3339(text) { return String(epoch) }
        throw bad
    }

    /// `1h30m15s` style durations (units h, m, s), in whole seconds.
    static func duration(_ text: String) -> Int? {
        var total = 0, number = 0, digits = 0, units = 0
        for c in text {
            if let d = c.wholeNumberValue, c.isASCII {
                number = number * 10 + d
                digits += 1
                guard digits <= 9 else { return nil }
                continue
            }
            guard digits > 0 else { return nil }
            switch c {
            case "h": total += number * 3600
            case "m": total += number * 60
            case "s": total += number
            default: return nil
            }
            number = 0; digits = 0; units += 1
        }
        return digits == 0 && units > 0 ? total : nil
    }

    /// `YYYY-MM-DD[Thh:mm:ss[.frac](Z|±hh:mm)]` to Unix seconds.
    static func rfc3339(_ text: String) -> Int? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var n = 0
            for i in from..<(from + count) {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if b.count == 10 { return days * 86400 }
        guard b.count >= 20, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2),
              hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            guard i > start else { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else {
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"),
                  let oh = num(i + 1, 2), let om = num(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        }
        return days * 86400 + hour * 3600 + minute * 60 + second - offset
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
