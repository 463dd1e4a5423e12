// Target `time`: `TimeParsing` (Sources/DockerServerCore/Policy/TimeParsing.swift), the
// `since` of `GET /<name>` as the Docker CLI reads it (Go durations, RFC 3339, Unix seconds).
// Asserts: refusals are 400s; the engine time is `[-]SECONDS[.NANOSECONDS]` or the Unix
// seconds given; a date-time read from the text, written out again as RFC 3339 in UTC with
// nine decimals, reads back as the same instant; a duration written as nanoseconds reads
// back as the same duration.
@testable import DockerServerCore

/// Year, month, day of a day count since 1970-01-01 (H. Hinnant's algorithm, the inverse
/// of `TimeParsing.daysFromCivil`).
func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

func padded(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTime(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    let now = 1_764_430_201_123_456_789
    do {
        let engine = try TimeParsing.engineTime(text, field: "since", nowNanoseconds: now)
        let parts = engine.split(separator: ".", omittingEmptySubsequences: false)
        let isDigits: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        let wholeOK = isDigits(parts[0]) || (parts[0].hasPrefix("-") && isDigits(parts[0].dropFirst()))
            || (parts[0].hasPrefix("+") && isDigits(parts[0].dropFirst()) && engine == text)
        invariant(parts.count <= 2 && wholeOK && (parts.count == 1 || isDigits(parts[1])), "engine time \(engine) for \(text)")
        invariant(parts.count == 1 || parts[1].count == 9 || engine == text, "engine time \(engine) for \(text)")
    } catch {
        invariant(error.status == 400 && error.reason == .badTime, "refused with \(error.status) \(error.reason)")
    }
    if let (seconds, nanoseconds) = TimeParsing.dateTime(text) {
        invariant((0..<1_000_000_000).contains(nanoseconds), "nanoseconds \(nanoseconds)")
        let days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400)
        let rest = seconds - days * 86400
        let date = civil(fromDays: days)
        if (0...9999).contains(date.year) {
            let written = "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))T\(padded(rest / 3600, 2)):"
                + "\(padded(rest / 60 % 60, 2)):\(padded(rest % 60, 2)).\(padded(nanoseconds, 9))Z"
            let again = TimeParsing.dateTime(written)
            invariant(again?.seconds == seconds && again?.nanoseconds == nanoseconds, "\(text) is \(written), which reads differently")
        }
    }
    if let duration = TimeParsing.goDuration(text), duration != Int.min {
        invariant(TimeParsing.goDuration("\(duration)ns") == duration, "duration \(text) as \(duration)ns reads differently")
    }
    return 0
}
