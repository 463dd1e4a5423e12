// Shared by every fuzz target (docs/FUZZING.md): compiled into each target's executable
// next to its one `Fuzz/Targets/<name>.swift`, never into the shipped build.

/// Stops the run when an invariant does not hold: libFuzzer sees the trap as a crash and
/// saves the input (docs/FUZZING.md "When a target fails").
@inline(never)
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("invariant broken: " + message(), file: file, line: line) }
}

/// The input libFuzzer passes, as bytes.
func fuzzBytes(_ data: UnsafeRawPointer, _ size: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: data, count: size))
}

/// A cursor over the input for targets that build structured values from it: each call
/// takes bytes from the front, and an exhausted input gives zeros and empty strings.
struct FuzzReader {
    var bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index >= bytes.count }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// Up to `maxLength` bytes, the length given by the next byte.
    mutating func chunk(maxLength: Int = 255) -> [UInt8] {
        let length = min(Int(byte()) % (maxLength + 1), bytes.count - min(index, bytes.count))
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    /// A string from `chunk`, invalid UTF-8 replaced.
    mutating func string(maxLength: Int = 255) -> String {
        String(decoding: chunk(maxLength: maxLength), as: UTF8.self)
    }

    /// Everything not taken yet.
    mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return index < bytes.count ? Array(bytes[index...]) : []
    }
}

/// Up to `count` positions in `1..<end`, spread by `seed`, always including `end - 1`:
/// where a target cuts its input to check that parsing in parts gives the same answer.
func cutPoints(_ end: Int, seed: Int, count: Int = 4) -> [Int] {
    guard end > 1 else { return [] }
    var points: Set<Int> = [end - 1]
    var x = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    for _ in 1..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        points.insert(1 + Int(x % UInt64(end - 1)))
    }
    return points.sorted()
}

/// A seed for `cutPoints` from the input itself (so a saved crash replays the same way).
func seed(of bytes: [UInt8]) -> Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes.prefix(64) { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Int(truncatingIfNeeded: hash)
}
