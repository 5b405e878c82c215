import RinglogSupport
@testable import RingSimulator

/// Drives a `SimulatorEngine` directly (no sockets): for tests of the simulator's own behaviour.
struct EngineDriver {
    let engine: SimulatorEngine
    let credentials: SimCredentials
    var token = ""

    init(_ configure: (inout SimulatorConfiguration) -> Void = { _ in }) {
        var configuration = SimulatorConfiguration()
        configuration.startTime = Timestamp(iso8601: "2026-11-20T23:00:00Z")
        configuration.clockSpeed = 0  // frozen unless a test advances it
        configuration.timeScale = 1_000_000  // rate limits out of the way unless a test sets its own
        configure(&configuration)
        engine = SimulatorEngine(configuration: configuration)
        engine.setPort(1)
        credentials = engine.credentials[0]
    }

    func tokenRequest(clientSecret: String? = nil, assertion: String? = nil) -> SimResponse {
        let basic = Base64.encode(Array("\(credentials.clientId):\(clientSecret ?? credentials.clientSecret)".utf8))
        let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion ?? credentials.jwt)"
        return engine.handle(SimRequest(method: "POST", path: "/restapi/oauth/token", query: [],
                                        headers: ["authorization": "Basic \(basic)", "content-type": "application/x-www-form-urlencoded"],
                                        body: Array(body.utf8)))
    }

    /// Logs in with the account's JWT, or `jwt` (one of `credentials.extensionJwts`).
    mutating func login(jwt: String? = nil) throws {
        let response = tokenRequest(assertion: jwt)
        guard response.status == 200, let token = try JSON.parse(response.body)["access_token"]?.stringValue else {
            throw DriverError("login failed: HTTP \(response.status)")
        }
        self.token = token
    }

    func get(_ path: String, _ query: [(name: String, value: String)] = []) -> SimResponse {
        engine.handle(SimRequest(method: "GET", path: path, query: query, headers: ["authorization": "Bearer \(token)"], body: []))
    }

    func getJSON(_ path: String, _ query: [(name: String, value: String)] = []) throws -> (Int, JSON) {
        let response = get(path, query)
        return (response.status, try JSON.parse(response.body))
    }

    func post(_ path: String, _ query: [(name: String, value: String)] = [], body: String = "") -> SimResponse {
        engine.handle(SimRequest(method: "POST", path: path, query: query, headers: [:], body: Array(body.utf8)))
    }

    func truth() throws -> [JSON] {
        try JSON.parse(get("/__sim/truth").body)["items"]?.arrayValue ?? []
    }

    var accountPath: String { "/restapi/v1.0/account/~" }
}

struct DriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
