/// What a JWT-grant app needs to log in. `description` never shows the secrets, so a stray
/// `print(credentials)` or string interpolation cannot leak them.
public struct RingCentralCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var serverURL: String
    public var clientId: String
    public var clientSecret: String
    public var jwt: String
    /// Where these credentials came from, for messages an admin can act on: "secrets file /path/t.json",
    /// or `environmentSource`. Never a secret itself.
    public var source: String?

    /// The `source` of credentials read by `fromEnvironment`.
    public static let environmentSource = "environment variables RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT"

    public init(serverURL: String, clientId: String, clientSecret: String, jwt: String, source: String? = nil) {
        var server = serverURL
        while server.hasSuffix("/") { server.removeLast() }
        self.serverURL = server
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.jwt = jwt
        self.source = source
    }

    /// RingCentral's conventional variables: RC_SERVER_URL, RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT.
    /// Returns the names of the missing ones when incomplete.
    public static func fromEnvironment(_ environment: [String: String]) -> Result<RingCentralCredentials, MissingCredentials> {
        let names = ["RC_SERVER_URL", "RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT"]
        let missing = names.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else { return .failure(MissingCredentials(variables: missing)) }
        return .success(RingCentralCredentials(serverURL: environment["RC_SERVER_URL"]!, clientId: environment["RC_APP_CLIENT_ID"]!,
                                               clientSecret: environment["RC_APP_CLIENT_SECRET"]!, jwt: environment["RC_USER_JWT"]!,
                                               source: environmentSource))
    }

    public var description: String {
        "RingCentralCredentials(server: \(serverURL), clientId: \(clientId), clientSecret: <redacted>, jwt: <redacted>"
            + (source.map { ", source: \($0)" } ?? "") + ")"
    }
    public var debugDescription: String { description }

    /// Every string that must never appear in output.
    public var secrets: [String] { [clientSecret, jwt] }
}

public struct MissingCredentials: Error, CustomStringConvertible {
    public let variables: [String]
    public var description: String { "missing environment variable(s): \(variables.joined(separator: ", "))" }
}
