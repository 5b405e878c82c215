/// Where the simulator tells clients to go. RingCentral serves the API on `platform.ringcentral.com`
/// and media on the sibling host `media.ringcentral.com`, and its payloads write the default port out
/// (`https://media.ringcentral.com:443/restapi/…`, [EX:call-log-record-detailed-with-legs.json] and the
/// current guide). The simulator mirrors that on loopback: `platform.<domain>:PORT` for the API and
/// record `uri`s, `media.<domain>:PORT` for every `contentUri` and attachment `uri`, always with the port.
/// Both names are `*.localhost`, which libcurl resolves to 127.0.0.1 itself (no DNS, no /etc/hosts), and
/// both reach the one listening socket: the server answers every path on every Host header, so the
/// loopback URL works too, for tools that cannot resolve `*.localhost` (python's urllib).
public struct SimulatorURLs: Sendable, Equatable {
    /// The API host (`url` on the startup line): token endpoint, call log, message store, `/__sim/*`.
    public let platform: String
    /// The media host: recording `contentUri`, attachment `uri`, and the target of content redirects.
    public let media: String
    /// `http://127.0.0.1:PORT`: the same server for clients that cannot resolve `*.localhost`.
    public let loopback: String

    public init(port: UInt16, domain: String, singleHost: Bool) {
        loopback = "http://127.0.0.1:\(port)"
        if singleHost {
            platform = loopback
            media = loopback
        } else {
            platform = "http://platform.\(domain):\(port)"
            media = "http://media.\(domain):\(port)"
        }
    }
}
