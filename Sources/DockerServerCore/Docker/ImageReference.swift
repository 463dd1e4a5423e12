/// A Docker image reference `[domain[:port]/]path[:tag][@digest]`, validated by the grammar
/// of distribution/reference (the one the engine itself uses), so that nothing else can reach
/// an engine URL.
public struct ImageReference: Equatable, Sendable {
    /// Repository with its domain if one was given, e.g. `127.0.0.1:5000/ds-test/busybox`.
    public var name: String
    public var tag: String?
    /// `algorithm:hex`, e.g. `sha256:…`.
    public var digest: String?

    /// The reference as the engine reads it.
    public var description: String {
        name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0 } ?? "")
    }

    /// The `tag` query value for Engine API ImageCreate: the digest if there is one, else the
    /// tag, else `latest` (as `docker pull`).
    public var pullTag: String { digest ?? tag ?? "latest" }

    /// Parses and validates `text`.
    /// - Throws: `HTTPError` 400 naming what is wrong.
    public init(_ text: String) throws(HTTPError) {
        func invalid(_ why: String) -> HTTPError {
            HTTPError.badRequest("invalid image reference \"\(text)\": \(why)", reason: .badImage)
        }
        guard !text.isEmpty else { throw invalid("empty") }
        guard text.utf8.count <= 512 else { throw invalid("too long") }
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            let digest = String(rest[rest.index(after: at)...])
            guard ImageReference.isValidDigest(digest) else { throw invalid("bad digest (expected algorithm:hex)") }
            self.digest = digest
            rest = rest[..<at]
        }
        // A tag is after the last ':' that follows the last '/'.
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tag = String(rest[rest.index(after: colon)...])
            guard ImageReference.isValidTag(tag) else { throw invalid("bad tag") }
            self.tag = tag
            rest = rest[..<colon]
        }
        guard !rest.isEmpty, rest.utf8.count <= 255 else { throw invalid("bad repository name length") }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false)
        let first = components[0]
        if components.count > 1, first.contains(".") || first.contains(":") || first == "localhost" || first.contains(where: \.isUppercase) {
            guard ImageReference.isValidDomain(first) else { throw invalid("bad registry host") }
            components.removeFirst()
        }
        guard components.allSatisfy(ImageReference.isValidPathComponent) else {
            throw invalid("repository path must be lowercase letters, digits and single separators (. _ __ -)")
        }
        name = String(rest)
    }

    static func isAlnumLower(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
    static func isValidPathComponent(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isAlnumLower(first), isAlnumLower(last) else { return false }
        var i = 0
        while i < b.count {
            if isAlnumLower(b[i]) { i += 1; continue }
            var j = i
            while j < b.count, !isAlnumLower(b[j]) { j += 1 }
            let sep = String(decoding: b[i..<j], as: UTF8.self)
            guard sep == "." || sep == "_" || sep == "__" || sep.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    /// `host[:port]` where host is DNS labels, an IPv4 address, or `[IPv6]`.
    static func isValidDomain(_ s: Substring) -> Bool {
        var host = s
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inner = host[host.index(after: host.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            return isValidPort(host.dropFirst())
        }
        if let colon = host.lastIndex(of: ":") {
            guard isValidPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy { label in
            guard let f = label.first, let l = label.last, f.isLetter || f.isNumber, l.isLetter || l.isNumber else { return false }
            return label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    static func isValidPort(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy(\.isASCII), let n = Int(s) else { return false }
        return n > 0 && n <= 65535 && s.allSatisfy(\.isNumber)
    }

    /// `[\w][\w.-]{0,127}`
    static func isValidTag(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, b.count <= 128, isWord(first) else { return false }
        return b.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func isWord(_ c: UInt8) -> Bool {
        isAlnumLower(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || c == UInt8(ascii: "_")
    }

    /// `algorithm:hex` with algorithm `[a-z0-9]+([+._-][a-z0-9]+)*` and at least 32 hex digits.
    static func isValidDigest(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let algorithm = s[..<colon], hex = s[s.index(after: colon)...]
        // Components of [a-z0-9] joined by single separators: not `sha256-` nor `a++b`.
        let components = algorithm.utf8.split(omittingEmptySubsequences: false) { "+._-".utf8.contains($0) }
        guard components.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isAlnumLower) }) else { return false }
        return hex.utf8.count >= 32 && hex.utf8.count <= 256 && hex.allSatisfy { $0.isHexDigit && $0.isASCII }
    }
}
