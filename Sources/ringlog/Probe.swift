import ArchiveStore
import ArchiveSync
import ArgumentParser
import Logging
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check credentials and every permission the archive needs, and say what to fix.",
        discussion: """
            Logs in and tries, once each: the account, the extension list, the call log,
            call-log sync, a recording's metadata and the message store, then logs out.
            Each check prints ok, or what failed and what to change (an app permission
            in the Developer Console, a role of the JWT's user, the server URL).

            With --tenant, the tenant's own credentials and server are used (its secrets
            file, or RC_* variables); otherwise RC_SERVER_URL, RC_APP_CLIENT_ID,
            RC_APP_CLIENT_SECRET and RC_USER_JWT.

            Exit status: 0 every check passed, 3 the credentials were refused, 1 some
            permission is missing or the server failed, 2 configuration.

            Examples:
              ringlog probe --root /srv/archive --tenant 3f9c2a71d04e8b16
              RC_SERVER_URL=https://platform.ringcentral.com RC_APP_CLIENT_ID=... \\
              RC_APP_CLIENT_SECRET=... RC_USER_JWT=... ringlog probe
            """)

    @OptionGroup var root: RootOption
    @Option(help: "Probe with this tenant's credentials and server.") var tenant: String?
    @Option(help: "Directory of per-tenant secrets files (default: $RINGLOG_SECRETS_DIR or ~/.config/ringlog/secrets).")
    var secretsDir: String?
    @Option(help: "RingCentral server URL; overrides RC_SERVER_URL (without --tenant).") var server: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "Log each request (never headers, tokens or secrets).") var verbose = false

    func run() throws {
        bootstrapLogging(verbose: verbose)
        var variables = environment()
        let credentials: RingCentralCredentials
        if let tenant {
            let marker = try withConfigurationErrors("probe") { try ArchiveRoot.open(root.path).tenants(selecting: tenant)[0] }
            credentials = try withConfigurationErrors("probe") {
                try TenantSecrets.credentials(for: marker, secretsDirectory: secretsDir ?? TenantSecrets.defaultDirectory(environment: variables),
                                              environment: variables)
            }
        } else {
            if let server { variables["RC_SERVER_URL"] = server }
            switch RingCentralCredentials.fromEnvironment(variables) {
            case .success(let value): credentials = value
            case .failure(let missing):
                printError("ringlog probe: \(missing); see `ringlog probe --help`")
                throw ExitStatus.configuration
            }
        }
        let client = RingCentralClient(credentials: credentials)
        defer { client.revoke() }
        let outcome = ProbeRun(client: client).run()
        if json {
            var object = JSONObject()
            object["server"] = .string(credentials.serverURL)
            object["accountId"] = outcome.accountId.map { .string($0) } ?? .null
            object["checks"] = .array(outcome.checks.map { ["name": .string($0.name), "ok": .bool($0.ok), "detail": .string($0.detail)] })
            print(JSON.object(object).serialized())
        } else {
            print("server:     \(credentials.serverURL)")
            if let account = outcome.accountId { print("account id: \(account)") }
            for check in outcome.checks { print("  \(check.ok ? "ok  " : "FAIL") \(check.name): \(check.detail)") }
        }
        if outcome.authenticationFailed { throw ExitStatus.authentication }
        if outcome.checks.contains(where: { !$0.ok }) { throw ExitStatus.failure }
    }
}

/// The probe's checks, apart from parsing: each a request the archive will make, with its advice.
final class ProbeRun {
    struct Check {
        let name: String
        let ok: Bool
        let detail: String
    }

    let client: RingCentralClient
    var checks: [Check] = []
    var accountId: String?
    var authenticationFailed = false

    init(client: RingCentralClient) { self.client = client }

    func run() -> ProbeRun {
        perform()
        return self
    }

    private func perform() {
        guard check("account (GET /account/~)", permission: "ReadAccounts", { () throws(RingCentralError) -> String in
            let account = try client.accountInfo()
            accountId = account.id
            return "account \(account.id)"
        }) else { return }
        _ = check("extension list", permission: "ReadAccounts") { () throws(RingCentralError) -> String in
            let extensions = try client.extensions(perPage: 1000)
            return "\(extensions.count) extensions, \(extensions.filter { $0.extensionNumber == nil }.count) without a number"
        }
        let now = Timestamp.now()
        var recordingId: String?
        _ = check("call log (company)", permission: "ReadCallLog, and a user role with Company Call Log access") { () throws(RingCentralError) -> String in
            let page = try client.callLogPage(dateFrom: now.adding(seconds: -30 * 86_400), dateTo: now, perPage: 100, view: .simple)
            recordingId = page.records.lazy.compactMap(\.recording?.id).first
            return "\(page.records.count) calls in the last 30 days on the first page"
        }
        _ = check("call-log sync", permission: "ReadCallLog") { () throws(RingCentralError) -> String in
            let result = try client.callLogSync(.full(recordCount: 1, dateFrom: nil), view: .simple)
            return "sync token received (\(result.records.count) record)"
        }
        if let recordingId {
            _ = check("a recording's metadata", permission: "ReadCallRecording, and a user role that may read company recordings") {
                () throws(RingCentralError) -> String in
                _ = try client.recordingMetadata(id: recordingId)
                return "recording \(recordingId) readable"
            }
        } else {
            checks.append(Check(name: "a recording's metadata", ok: true, detail: "skipped: no recorded call in the last 30 days to try"))
        }
        _ = check("message store (the JWT user's mailbox)", permission: "ReadMessages") { () throws(RingCentralError) -> String in
            let page = try client.voicemailPage(extensionId: "~", dateFrom: now.adding(seconds: -30 * 86_400), dateTo: now, perPage: 1)
            return "readable (\(page.records.count) voicemail on the first page)"
        }
    }

    /// Runs one check; a failure says what to fix.
    private func check(_ name: String, permission: String, _ body: () throws(RingCentralError) -> String) -> Bool {
        do {
            checks.append(Check(name: name, ok: true, detail: try body()))
            return true
        } catch {
            checks.append(Check(name: name, ok: false, detail: "\(error) — \(advice(for: error, permission: permission))"))
            if case .authenticationFailed = error { authenticationFailed = true }
            return false
        }
    }

    private func advice(for error: RingCentralError, permission: String) -> String {
        switch error {
        case .authenticationFailed:
            return "check the client id, client secret and JWT (and that the app allows the JWT grant)"
        case .http(403, let body, _):
            let code = body?.errors.first?.errorCode ?? ""
            switch code {
            case "CMN-401": return "give the app the permission \(permission) (Developer Console → the app → Settings)"
            case "CMN-402", "CMN-408", "CMN-404": return "give the JWT's user the role for this (\(permission)); an admin or a dedicated service user"
            default: return "the app or the JWT's user lacks access: needs \(permission)"
            }
        case .http(404, _, _):
            return "the server answered 404: check the server URL (https://platform.ringcentral.com)"
        case .notRingCentral:
            return "check the server URL: it should be RingCentral's API, e.g. https://platform.ringcentral.com"
        case .untrustedURL:
            return "the server sent a URL off its own domain; check the server URL"
        case .transport:
            return "could not reach the server: check the URL, DNS, proxy and firewall"
        default:
            return "needs \(permission)"
        }
    }
}
