/// Small, valid media files whose bytes are a pure function of an id, so the simulator can tell
/// the archiver which sha256 to expect without storing anything.
enum MediaBytes {
    /// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono: an ID3v2.3 tag naming the id, then silent frames.
    static func mp3(id: String, seconds: Int) -> [UInt8] {
        var bytes: [UInt8] = Array("ID3".utf8) + [3, 0, 0]
        let text: [UInt8] = [0] + Array("ringlog-simulator \(id)".utf8)  // encoding byte 0 = ISO-8859-1
        var frame: [UInt8] = Array("TIT2".utf8) + bigEndian32(UInt32(text.count)) + [0, 0] + text
        frame += [UInt8](repeating: 0, count: 10)  // padding inside the tag
        bytes += syncSafe(UInt32(frame.count)) + frame
        // 128 kbit/s at 44.1 kHz: 417-byte frames (418 with padding), 1152 samples (~26 ms) each.
        let header: [UInt8] = [0xFF, 0xFB, 0x90, 0xC4]  // MPEG-1 L3, no CRC, 128k, 44.1k, no pad, mono
        let frames = max(4, min(seconds, 60) * 4)  // short on purpose: tests move many of them
        var random = SeededRandom(seed: fnv1a(id))
        for _ in 0..<frames {
            bytes += header
            var payload = [UInt8](repeating: 0, count: 413)
            payload[0] = UInt8(truncatingIfNeeded: random.next())  // differs per id, still a valid frame
            bytes += payload
        }
        return bytes
    }

    /// RIFF/WAVE, PCM 8 kHz, 8-bit, mono: a quiet tone whose pitch depends on the id, with a little
    /// noise drawn from the id, and a LIST/INFO chunk naming the id. The name alone makes the bytes of
    /// two ids differ (a pitch from 24 would repeat: a recording stored under another's name could
    /// then pass a sha256 check); the noise makes the audio itself differ too.
    static func wav(id: String, seconds: Int) -> [UInt8] {
        let sampleRate: UInt32 = 8000
        let sampleCount = Int(sampleRate) * max(1, min(seconds, 60)) / 8  // 1/8 of real length
        let period = 8 + Int(fnv1a(id) % 24)
        var random = SeededRandom(seed: fnv1a("wav " + id))
        var samples = [UInt8](repeating: 128, count: sampleCount)
        for index in 0..<sampleCount {
            let noise = UInt8(truncatingIfNeeded: random.next() & 3)  // 0...3: still a quiet tone
            samples[index] = (index % period < period / 2 ? 136 : 120) + noise
        }
        // INFO/INAM: a NUL-terminated name, padded to an even size (RIFF chunks are word-aligned).
        var name = Array("ringlog-simulator \(id)".utf8) + [0]
        let nameSize = UInt32(name.count)
        if name.count % 2 == 1 { name.append(0) }
        let info: [UInt8] = Array("INFO".utf8) + Array("INAM".utf8) + littleEndian32(nameSize) + name
        let list: [UInt8] = Array("LIST".utf8) + littleEndian32(UInt32(info.count)) + info
        var body: [UInt8] = Array("WAVE".utf8)
        body += Array("fmt ".utf8) + littleEndian32(16) + littleEndian16(1) + littleEndian16(1)
        body += littleEndian32(sampleRate) + littleEndian32(sampleRate) + littleEndian16(1) + littleEndian16(8)
        body += list
        body += Array("data".utf8) + littleEndian32(UInt32(samples.count)) + samples
        if samples.count % 2 == 1 { body.append(0) }  // pad byte after an odd-sized chunk
        return Array("RIFF".utf8) + littleEndian32(UInt32(body.count)) + body
    }

    static func transcription(messageId: String, extensionNumber: String?) -> [UInt8] {
        let who = extensionNumber.map { "extension \($0)" } ?? "this mailbox"
        return Array("Hi, this is a message for \(who). Please call me back about order \(messageId.suffix(6)). Thanks, bye. (message \(messageId))\n".utf8)
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    private static func bigEndian32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }
    private static func littleEndian32(_ value: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) } }
    private static func littleEndian16(_ value: UInt16) -> [UInt8] { [0, 8].map { UInt8(truncatingIfNeeded: value >> $0) } }
    private static func syncSafe(_ value: UInt32) -> [UInt8] { [21, 14, 7, 0].map { UInt8((value >> $0) & 0x7F) } }
}
