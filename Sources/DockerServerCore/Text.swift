extension BidirectionalCollection where Element == UInt8 {
    /// Without leading and trailing whitespace: spaces and tabs (RFC 9110 §5.6.3 OWS), and
    /// CR and LF too with `newlines`. The one trimming rule of the code base.
    public func trimmingWhitespace(newlines: Bool = false) -> SubSequence {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || (newlines && ($0 == 0x0D || $0 == 0x0A)) }
        var slice = self[...]
        while let b = slice.first, isSpace(b) { slice = slice.dropFirst() }
        while let b = slice.last, isSpace(b) { slice = slice.dropLast() }
        return slice
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    public var trimmingSpaces: String { String(decoding: Array(utf8).trimmingWhitespace(), as: UTF8.self) }
}
