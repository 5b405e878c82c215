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
    switch value {
    case .string(let text) where text.lowercased().contains("access_token") || text.lowercased().contains("access%5ftoken"):
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
