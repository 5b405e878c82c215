/// Removes `access_token` query parameters from a URL. RingCentral accepts the token in the query of
/// media URLs; such a URL must never reach a log, an error message or a file on disk.
public func redactingAccessToken(_ url: String) -> String {
    guard let questionMark = url.firstIndex(of: "?") else { return url }
    let base = url[..<questionMark]
    var query = url[url.index(after: questionMark)...]
    var fragment = ""
    if let hash = query.firstIndex(of: "#") {
        fragment = String(query[hash...])
        query = query[..<hash]
    }
    let kept = query.split(separator: "&", omittingEmptySubsequences: false).filter { parameter in
        let name = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return name.lowercased() != "access_token" && name.lowercased() != "access%5ftoken"
    }
    let joined = kept.joined(separator: "&")
    return joined.isEmpty ? String(base) + fragment : String(base) + "?" + joined + fragment
}

/// Removes `access_token` from every URL-looking string in a JSON value, at any depth. Records are
/// stored with this applied: a stored URL must never carry a token.
public func strippingAccessTokens(_ value: JSON) -> JSON {
    // Most values carry no token: returned as they are, without rebuilding every object (a sync
    // strips every record it receives, and rebuilding them was a tenth of a no-op run).
    guard carriesAccessTokenName(value) else { return value }
    switch value {
    case .string(let text) where namesAccessToken(text):
        return .string(redactingAccessToken(text))
    case .array(let elements):
        return .array(elements.map(strippingAccessTokens))
    case .object(let object):
        var result = JSONObject()
        for member in object.members { result[member.key] = strippingAccessTokens(member.value) }
        return .object(result)
    default:
        return value
    }
}

/// Whether a string anywhere in `value` names an access token (`namesAccessToken`).
func carriesAccessTokenName(_ value: JSON) -> Bool {
    switch value {
    case .string(let text): namesAccessToken(text)
    case .array(let elements): elements.contains(where: carriesAccessTokenName)
    case .object(let object): object.members.contains { carriesAccessTokenName($0.value) }
    default: false
    }
}

private let accessTokenNames: [[UInt8]] = [Array("access_token".utf8), Array("access%5ftoken".utf8)]

/// `text.lowercased()` contains `access_token` or `access%5ftoken`. An ASCII string is searched in
/// place, case-folding its bytes (the same answer: its lower case is its bytes folded, and neither name
/// holds a byte that joins a neighbour in one Character); any other goes through `lowercased()`, whose
/// Unicode mappings reach ASCII too (KELVIN SIGN is a `k`).
func namesAccessToken(_ text: String) -> Bool {
    let answer = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
        if bytes.contains(where: { $0 >= 0x80 }) { return nil }
        var index = 0
        while index < bytes.count {
            if bytes[index] | 0x20 == UInt8(ascii: "a") {
                for name in accessTokenNames where index + name.count <= bytes.count {
                    var matched = true
                    for offset in 1..<name.count {
                        let folded = bytes[index + offset] >= UInt8(ascii: "A") && bytes[index + offset] <= UInt8(ascii: "Z")
                            ? bytes[index + offset] | 0x20 : bytes[index + offset]
                        if folded != name[offset] { matched = false; break }
                    }
                    if matched { return true }
                }
            }
            index += 1
        }
        return false
    }
    if let answer, let known = answer { return known }
    return text.lowercased().contains("access_token") || text.lowercased().contains("access%5ftoken")
}
