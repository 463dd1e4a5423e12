/// Splits the Engine API's multiplexed stream (attach, logs, exec without a TTY) into its
/// frames: an 8-byte header `[stream, 0, 0, 0, size as UInt32 big-endian]` then `size` bytes
/// (Engine API "Stream format"). Stream 0 is stdin, 1 stdout, 2 stderr. Feed it bytes in any
/// pieces; it returns the payloads that are complete so far, parts of a frame included.
public struct StreamDemuxer: Sendable {
    /// Which stream a payload belongs to.
    public enum Stream: UInt8, Sendable {
        case stdin = 0, stdout = 1, stderr = 2
    }

    var header: [UInt8] = []
    var remaining = 0
    var current = Stream.stdout

    public init() {}

    /// True when no frame is partly read (a clean end of stream).
    public var isAtFrameBoundary: Bool { header.isEmpty && remaining == 0 }

    /// Consumes `bytes`; returns the payload pieces in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [(Stream, ArraySlice<UInt8>)] {
        var out: [(Stream, ArraySlice<UInt8>)] = []
        let input = Array(bytes)
        var i = 0
        while i < input.count {
            if remaining == 0 {
                let need = 8 - header.count
                let take = min(need, input.count - i)
                header.append(contentsOf: input[i..<(i + take)])
                i += take
                guard header.count == 8 else { break }
                current = Stream(rawValue: header[0]) ?? .stdout
                remaining = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
                header.removeAll(keepingCapacity: true)
                continue
            }
            let take = min(remaining, input.count - i)
            out.append((current, input[i..<(i + take)]))
            remaining -= take
            i += take
        }
        return out
    }
}

/// Collects a container's or exec's output into stdout and stderr, up to
/// `Limits.maxOutputBytes` each (the rest is counted as truncated).
public struct OutputCollector: Sendable {
    public var stdout: [UInt8] = []
    public var stderr: [UInt8] = []
    public var truncated = false
    var demuxer: StreamDemuxer?

    /// `multiplexed` false for a TTY: everything is stdout, unframed.
    public init(multiplexed: Bool) {
        demuxer = multiplexed ? StreamDemuxer() : nil
    }

    public mutating func feed(_ bytes: [UInt8]) {
        guard var demuxer else { append(bytes[...], to: .stdout); return }
        for (stream, payload) in demuxer.feed(bytes) { append(payload, to: stream) }
        self.demuxer = demuxer
    }

    mutating func append(_ bytes: ArraySlice<UInt8>, to stream: StreamDemuxer.Stream) {
        let room = Limits.maxOutputBytes - (stream == .stderr ? stderr.count : stdout.count)
        if bytes.count > room { truncated = true }
        let part = bytes.prefix(max(0, room))
        if stream == .stderr { stderr.append(contentsOf: part) } else { stdout.append(contentsOf: part) }
    }

    /// `"stdout"` and `"stderr"` members (invalid UTF-8 replaced by U+FFFD, SPEC §3), plus
    /// `"truncated":true` when output was dropped.
    public var members: [(String, JSON)] {
        var members: [(String, JSON)] = [
            ("stdout", .string(String(decoding: stdout, as: UTF8.self))),
            ("stderr", .string(String(decoding: stderr, as: UTF8.self))),
        ]
        if truncated { members.append(("truncated", .bool(true))) }
        return members
    }
}
