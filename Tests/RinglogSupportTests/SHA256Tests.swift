import Testing
@testable import RinglogSupport

@Suite struct SHA256Tests {
    @Test func matchesKnownVectors() {
        #expect(SHA256Hasher.hex(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hasher.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = SHA256Hasher()
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 777)
            hasher.update(Array(bytes[index..<end]))
            index = end
        }
        #expect(hasher.finalizeHex() == SHA256Hasher.hex(of: bytes))
    }
}
