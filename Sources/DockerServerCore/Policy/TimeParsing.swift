/// Reads time values as `docker logs --since` reads them (the Docker CLI's
/// `timetypes.GetTimestamp`): a Go duration before now (`90s`, `1m30s`, `1.5h`, `250ms`), an
/// RFC 3339 time with or without a fraction and offset (`2026-11-29T15:30:01.5Z`,
/// `2026-11-29T16:30:01+01:00`), the shorter forms the CLI takes (`2026-11-29`,
/// `2026-11-29T15`, `2026-11-29T15:30`), or Unix seconds with a fraction (`1764430201.5`).
/// A time without an offset is UTC (the CLI takes its own zone; the server's is UTC).
public enum TimeParsing {
    /// The time `text` names, in the engine's form (`SECONDS.NANOSECONDS`, or whole seconds for
    /// a duration, as the CLI sends them).
    /// - Parameters:
    ///   - field: the query parameter or field it came from, named in errors.
    ///   - nowNanoseconds: the current Unix time in nanoseconds.
    /// - Throws: `HTTPError` 400 naming `field` for anything else, a date that does not exist
    ///   included.
    public static func engineTime(_ text: String, field: String, nowNanoseconds: Int) throws(HTTPError) -> String {
        let bad = HTTPError.badRequest(
            "\(field) \"\(text.count > 64 ? String(text.prefix(64)) + "…" : text)\" is not a time: expected RFC 3339 "
                + "(2026-11-29T15:30:01.5Z), Unix seconds (1764430201.5) or a duration before now (1m30s, 1.5h, 250ms)",
            reason: .badTime)
        guard !text.isEmpty, text.utf8.count <= 64 else { throw bad }
        if text != "0", let duration = goDuration(text) {
            let (then, overflow) = nowNanoseconds.subtractingReportingOverflow(duration)
            guard !overflow else { throw bad }
            return String(floorDivide(then, 1_000_000_000))
        }
        if let (seconds, nanoseconds) = dateTime(text) {
            return "\(seconds).\(String(repeating: "0", count: 9 - String(nanoseconds).count))\(nanoseconds)"
        }
        // As the CLI: what has a `-` was meant as a date; otherwise Unix seconds, passed on.
        guard !text.contains("-"), isUnixSeconds(text) else { throw bad }
        return text
    }

    /// `[+]SECONDS[.FRACTION]`, as the CLI passes it on: each part at most 18 digits (the engine
    /// reads both as 64-bit integers).
    static func isUnixSeconds(_ text: String) -> Bool {
        let unsigned = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        let parts = unsigned.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { (1...18).contains($0.count) && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        return digits(parts[0]) && (parts.count == 1 || digits(parts[1]))
    }

    /// Go's `time.ParseDuration`: `[-+]` then one or more `NUMBER UNIT` (a number may have a
    /// fraction; units `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`), or `0`.
    /// - Returns: nanoseconds, nil when not a duration or out of range.
    static func goDuration(_ text: String) -> Int? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unitText = rest.prefix { !($0.isASCII && $0.isNumber) && $0 != "." }
            rest = rest.dropFirst(unitText.count)
            let units: [Substring: Int] = ["ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
                                           "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000]
            guard let unit = units[unitText] else { return nil }
            guard whole.count <= 19, let wholeValue = whole.isEmpty ? 0 : Int(whole) else { return nil }
            var (value, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            // The fraction, to the nanosecond (further digits are dropped, as Go does).
            var scale = unit
            for digit in fraction.prefix(19) {
                scale /= 10
                guard scale > 0 else { break }
                (value, overflow) = value.addingReportingOverflow(Int(digit.asciiValue! - 0x30) * scale)
                guard !overflow else { return nil }
            }
            (total, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { return nil }
        }
        return negative ? -total : total
    }

    /// The date-time layouts the CLI chooses between, as `GetTimestamp` chooses: with a `.`,
    /// RFC 3339 with a fraction; with a `T`, by the number of colons in the time, hours,
    /// hours and minutes, or RFC 3339; else a date. An offset (`Z` or `±hh:mm`, up to 24
    /// hours and 60 minutes as Go reads it) is required when the text has a `Z`, `z`, `+` or
    /// three `-`, and not allowed otherwise. As Go's parser: the hour may have one digit, and
    /// seconds may be followed by a fraction with `.` or `,`, whatever the layout.
    /// - Returns: Unix seconds and nanoseconds, nil when the text does not fit its layout or
    ///   names a date that does not exist.
    static func dateTime(_ text: String) -> (seconds: Int, nanoseconds: Int)? {
        let b = Array(text.utf8)
        let zoned = b.contains { $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") || $0 == UInt8(ascii: "+") }
            || b.filter { $0 == UInt8(ascii: "-") }.count == 3
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var n = 0
            for k in i..<(i + count) {
                guard (0x30...0x39).contains(b[k]) else { return nil }
                n = n * 10 + Int(b[k] - 0x30)
            }
            i += count
            return n
        }
        func isDigit(_ k: Int) -> Bool { k < b.count && (0x30...0x39).contains(b[k]) }
        func literal(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), literal("-"), let month = digits(2), literal("-"), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0, nanoseconds = 0
        if b.contains(UInt8(ascii: ".")) || b.contains(UInt8(ascii: "T")) {
            guard literal("T"), let h = digits(isDigit(i + 1) ? 2 : 1), h < 24 else { return nil }
            hour = h
            var colons = b.filter { $0 == UInt8(ascii: ":") }.count
            if zoned, !b.contains(UInt8(ascii: "Z")), !b.contains(UInt8(ascii: "z")), colons > 0 { colons -= 1 }
            let withFraction = b.contains(UInt8(ascii: "."))
            if colons >= 1 || withFraction {
                guard literal(":"), let m = digits(2), m < 60 else { return nil }
                minute = m
            }
            if colons >= 2 || withFraction {
                guard literal(":"), let s = digits(2), s < 60 else { return nil }
                second = s
            }
            // A fraction after the seconds, with `.` or `,` (required by the `.` layout's
            // choice only in that something follows the seconds there).
            if colons >= 2 || withFraction, i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                let start = i
                while isDigit(i) { i += 1 }
                guard i > start else { return nil }
                // Digits past the ninth are dropped, as Go's parser drops them.
                for k in start..<(start + 9) { nanoseconds = nanoseconds * 10 + (k < i ? Int(b[k] - 0x30) : 0) }
            }
        }
        var offset = 0
        if zoned {
            if literal("Z") {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2), literal(":"), let om = digits(2), oh <= 24, om <= 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
        return (seconds, nanoseconds)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `a / b` rounded towards minus infinity (Go's `Time.Unix` for times before 1970).
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
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
