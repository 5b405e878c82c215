@testable import ArchiveStore
import RinglogSupport
import Testing

/// The packed strings that hold the manifest index's paths and a run's recording homes: every string
/// comes back byte for byte, across chunk ends and for strings longer than a chunk.
@Suite struct PackedStringsTests {
    @Test func everyStringComesBackAcrossChunkEnds() {
        var packed = PackedStrings()
        var expected: [(PackedStrings.Ref, String)] = []
        // 3,000 paths of 60–90 bytes fill several 64 KiB chunks; a few are longer than a chunk.
        for index in 0..<3_000 {
            let text = index % 997 == 0
                ? String(repeating: "x", count: PackedStrings.chunkSize + index)
                : "ext-\(index)/2026-11-\(index % 28 + 1)/20261117T100909Z_call.\(String(repeating: "é", count: index % 20)).json"
            expected.append((packed.append(text), text))
        }
        for (ref, text) in expected {
            #expect(packed[ref] == text)
            #expect(packed.equals(ref, text))
            #expect(!packed.equals(ref, text + "y"))
            #expect(!packed.equals(ref, String(text.dropLast())))
        }
        #expect(packed.byteCount == expected.reduce(0) { $0 + $1.1.utf8.count })
        let empty = packed.append("")
        #expect(packed[empty] == "" && packed.equals(empty, "") && !packed.equals(empty, "a"))
    }

    @Test func aMapReplacesAndRemovesValues() {
        var map = PackedStringMap()
        map["1662270070"] = "101/2026-11-17/a.json"
        map["1662270071"] = "102/2026-11-17/b.json"
        #expect(map["1662270070"] == "101/2026-11-17/a.json")
        map["1662270070"] = "103/2026-11-18/c.json"
        #expect(map["1662270070"] == "103/2026-11-18/c.json")
        #expect(map["1662270071"] == "102/2026-11-17/b.json")
        map["1662270071"] = nil
        #expect(map["1662270071"] == nil && map.count == 1)
        #expect(map["missing"] == nil)
    }

    /// Long decimal ids are kept as numbers: an id that only reads as the same number (a sign, leading
    /// zeros, beyond UInt64) must never stand for another.
    @Test func anIdMapKeepsIdsThatReadAsTheSameNumberApart() {
        var map = IdMap<Int>()
        let ids = ["9007199254743023", "09007199254743023", "+9007199254743023", "0009007199254743023", "9007199254743023 ",
                   "18446744073709551615", "18446744073709551616", "99999999999999999999", "7", "007", "abcdefghijklmnopq", ""]
        for (index, id) in ids.enumerated() { map[id] = index }
        #expect(map.count == ids.count)
        for (index, id) in ids.enumerated() { #expect(map[id] == index, "\(id.debugDescription)") }
        map["9007199254743023"] = nil
        #expect(map["9007199254743023"] == nil && map["09007199254743023"] == 1 && map.count == ids.count - 1)
    }
}
