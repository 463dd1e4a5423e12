// Target `stream_demux`: `StreamDemuxer` (Sources/DockerServerCore/Docker/StreamDemuxer.swift,
// Engine API "Stream format"), what splits the engine's attach, logs and exec streams.
// Asserts: the payloads are those of a plain reading of the frames, whole or fed in pieces;
// nothing of a header leaks into a payload; `isAtFrameBoundary` says whether the input ended
// between frames.
@testable import DockerServerCore

/// The frames of `input`, read simply: (stream byte, payload), and whether the input ended
/// between frames.
func referenceFrames(_ input: [UInt8]) -> (frames: [(UInt8, [UInt8])], boundary: Bool) {
    var frames: [(UInt8, [UInt8])] = []
    var i = 0
    while i < input.count {
        guard i + 8 <= input.count else { return (frames, false) }
        let size = input[(i + 4)..<(i + 8)].reduce(0) { $0 << 8 | Int($1) }
        let end = min(i + 8 + size, input.count)
        frames.append((input[i], Array(input[(i + 8)..<end])))
        if i + 8 + size > input.count { return (frames, false) }
        i = end
    }
    return (frames, true)
}

func demux(_ pieces: [ArraySlice<UInt8>]) -> (stdout: [UInt8], stderr: [UInt8], boundary: Bool) {
    var demuxer = StreamDemuxer()
    var out: [UInt8] = [], err: [UInt8] = []
    for piece in pieces {
        for (stream, payload) in demuxer.feed(piece) {
            if stream == .stderr { err += payload } else { out += payload }
        }
    }
    return (out, err, demuxer.isAtFrameBoundary)
}

/// libFuzzer calls this once per input (`data`, `size` bytes); it returns 0, and a broken
/// invariant or a crash stops the run (docs/FUZZING.md).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStreamDemux(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let reference = referenceFrames(input)
    var expectedOut: [UInt8] = [], expectedErr: [UInt8] = []
    for (stream, payload) in reference.frames {
        if stream == 2 { expectedErr += payload } else { expectedOut += payload }
    }
    let whole = demux([input[...]])
    invariant(whole.stdout == expectedOut && whole.stderr == expectedErr, "payloads differ from the frames")
    // A frame of size 0 ends at its header; an input ending right after one is at a boundary.
    invariant(whole.boundary == reference.boundary, "isAtFrameBoundary \(whole.boundary), expected \(reference.boundary)")
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    for cut in cutPoints(input.count, seed: seed(of: input), count: 8) {
        pieces.append(input[start..<cut])
        start = cut
    }
    pieces.append(input[start...])
    let parts = demux(pieces)
    invariant(parts.stdout == whole.stdout && parts.stderr == whole.stderr && parts.boundary == whole.boundary, "in pieces the payloads differ")
    return 0
}
