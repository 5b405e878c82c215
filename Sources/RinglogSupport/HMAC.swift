import CCrypto

/// HMAC-SHA256 over OpenSSL's one-shot `HMAC()` (RFC 2104). Used to keep excluded phone numbers
/// out of the archive in clear: a rule stores HMAC(key, number) and the key stays outside the tree.
public enum HMACSHA256 {
    /// The 32-byte MAC of `message` under `key`.
    public static func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                output.withUnsafeMutableBytes { outputBytes in
                    HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                         messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                         outputBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
                }
            }
        }
        precondition(result != nil && length == 32, "OpenSSL HMAC-SHA256 failed")
        return output
    }

    public static func hex(key: [UInt8], message: String) -> String {
        hexString(mac(key: key, message: Array(message.utf8)))
    }
}

/// Parses lowercase or uppercase hex; nil for anything else (odd length, other characters).
public func bytes(fromHex text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
    var result: [UInt8] = []
    result.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        result.append(high << 4 | low)
        index += 2
    }
    return result
}
