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

/// Collects a container's or exec's output into stdout and stderr as escaped JSON text, up
/// to `Limits.maxOutputBytes` each after escaping (the rest is dropped and counted as
/// truncated), so that an answer's memory is bounded whatever the bytes (docs/DESIGN.md).
public struct OutputCollector: Sendable {
    public var stdout = JSONStringBuilder(limit: Limits.maxOutputBytes)
    public var stderr = JSONStringBuilder(limit: Limits.maxOutputBytes)
    var demuxer: StreamDemuxer?

    /// `multiplexed` false for a TTY: everything is stdout, unframed.
    public init(multiplexed: Bool) {
        demuxer = multiplexed ? StreamDemuxer() : nil
    }

    public mutating func feed(_ bytes: [UInt8]) {
        guard var demuxer else { stdout.append(bytes); return }
        for (stream, payload) in demuxer.feed(bytes) {
            if stream == .stderr { stderr.append(payload) } else { stdout.append(payload) }
        }
        self.demuxer = demuxer
    }

    /// Output was dropped past the limit.
    public var truncated: Bool { stdout.truncated || stderr.truncated }

    /// The answer's JSON object, `{` `members` `,"stdout":"…","stderr":"…"` (and
    /// `,"truncated":true` when output was dropped) `}` and a newline, in parts: the collected
    /// text is not copied into one buffer.
    public mutating func jsonParts(_ members: [(String, JSON)]) -> [[UInt8]] {
        stdout.finish()
        stderr.finish()
        var head = JSON.object(members).serialized
        head.removeLast()  // the closing brace: the output members follow
        head.append(contentsOf: (members.isEmpty ? "\"stdout\":\"" : ",\"stdout\":\"").utf8)
        let tail = truncated ? "\",\"truncated\":true}\n" : "\"}\n"
        return [head, stdout.escaped, Array("\",\"stderr\":\"".utf8), stderr.escaped, Array(tail.utf8)]
    }
}
