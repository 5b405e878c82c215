import CCurl

/// An absolute http(s) URL as libcurl itself reads it (`curl_url`), so that the origin ringlog checks
/// is the origin curl connects to: no second, hand-written parser that could disagree with curl's
/// about where a URL points (userinfo, IPv6 literals, odd ports, percent signs in the host).
public struct URLParts: Sendable, Equatable {
    /// `http` or `https`, lowercased.
    public let scheme: String
    /// Lowercased; IPv6 literals keep their brackets, as curl returns them.
    public let host: String
    /// The explicit port, or the scheme's default (80, 443): `:443` on https is the same origin as none.
    public let port: Int

    /// Parses `url`; nil for anything that is not an absolute http(s) URL with a plain host, or that
    /// carries userinfo (`https://user@host/` is a classic way to disguise where a URL points).
    public init?(_ url: String) {
        Curl.initialize()
        guard let handle = curl_url() else { return nil }
        defer { curl_url_cleanup(handle) }
        guard curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ what: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, what, &value, flags) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }
        guard let scheme = part(CURLUPART_SCHEME)?.lowercased(), scheme == "http" || scheme == "https" else { return nil }
        guard part(CURLUPART_USER) == nil, part(CURLUPART_PASSWORD) == nil, part(CURLUPART_OPTIONS) == nil else { return nil }
        guard let host = part(CURLUPART_HOST)?.lowercased(), !host.isEmpty,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.[]:_".contains($0)) })
        else { return nil }
        guard let portText = part(CURLUPART_PORT, UInt32(CURLU_DEFAULT_PORT)), let port = Int(portText), (1...65_535).contains(port) else {
            return nil
        }
        self.scheme = scheme
        self.host = host
        self.port = port
    }
}
