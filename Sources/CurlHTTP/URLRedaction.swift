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
