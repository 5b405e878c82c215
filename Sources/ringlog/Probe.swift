import ArgumentParser
import Logging
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check credentials and permissions: log in, read the account and its extensions, log out.",
        discussion: """
            Makes four requests (token, account, extension list, revoke) and prints what
            a sync would be bound to: the account id and the extensions whose recordings
            and voicemails it would archive.

            Example:
              RC_SERVER_URL=https://platform.ringcentral.com RC_APP_CLIENT_ID=... \\
              RC_APP_CLIENT_SECRET=... RC_USER_JWT=... ringlog probe
            """)

    @Option(help: "RingCentral server URL; overrides RC_SERVER_URL.") var server: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "Log each request (never headers, tokens or secrets).") var verbose = false

    func run() throws {
        bootstrapLogging(verbose: verbose)
        var environment = environment()
        if let server { environment["RC_SERVER_URL"] = server }
        let credentials: RingCentralCredentials
        switch RingCentralCredentials.fromEnvironment(environment) {
        case .success(let value): credentials = value
        case .failure(let missing):
            printError("ringlog probe: \(missing); see `ringlog --help`")
            throw ExitStatus.configuration
        }
        let client = RingCentralClient(credentials: credentials)
        defer { client.revoke() }
        do {
            let account = try client.accountInfo()
            let extensions = try client.extensions()
            let numbered = extensions.filter { $0.extensionNumber != nil }
            if json {
                let output: JSON = [
                    "server": .string(credentials.serverURL), "accountId": .string(account.id),
                    "extensions": .int(extensions.count), "extensionsWithoutNumber": .int(extensions.count - numbered.count),
                ]
                print(output.serialized())
            } else {
                print("server:     \(credentials.serverURL)")
                print("account id: \(account.id)")
                print("extensions: \(extensions.count) (\(extensions.count - numbered.count) without an extension number)")
                for ext in extensions.prefix(20) {
                    print("  \(ext.extensionNumber ?? "-")\t\(ext.type ?? "?")\t\(ext.status ?? "?")\tid \(ext.id)")
                }
                if extensions.count > 20 { print("  … \(extensions.count - 20) more") }
            }
        } catch {
            printError("ringlog probe: \(error)")
            if case .authenticationFailed = error { throw ExitStatus.authentication }
            throw ExitStatus.failure
        }
    }
}
