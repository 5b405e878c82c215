import ArchiveStore
import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// Where a tenant's credentials come from: a per-tenant secrets file (mode 0600, like ssh keys),
/// else RingCentral's conventional environment variables. Never from the archive tree, which is
/// copied to shares, backups and auditors.
public enum TenantSecrets {
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let configured = environment["RINGLOG_SECRETS_DIR"], !configured.isEmpty { return configured }
        let home = environment["HOME"] ?? "/root"
        return DurableFiles.join(environment["XDG_CONFIG_HOME"] ?? DurableFiles.join(home, ".config"), "ringlog", "secrets")
    }

    /// `allowEnvironment`: RingCentral's `RC_*` variables name one account, so they may stand in for a
    /// secrets file only when the run selects exactly one tenant; with several, a tenant without its
    /// own file is refused rather than bound to whatever account the variables belong to.
    public static func credentials(for tenant: TenantMarker, secretsDirectory: String, environment: [String: String],
                                   allowEnvironment: Bool = true) throws(ConfigurationError) -> RingCentralCredentials {
        let path = DurableFiles.join(secretsDirectory, "\(tenant.tenantId).json")
        if DurableFiles.exists(path) {
            var info = stat()
            guard stat(path, &info) == 0 else { throw ConfigurationError("cannot read \(path)") }
            guard info.st_mode & 0o077 == 0 else {
                throw ConfigurationError("\(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
            }
            guard info.st_uid == getuid() else { throw ConfigurationError("\(path) is not owned by the user running ringlog") }
            guard let json = try? JSON.parse(DurableFiles.read(path)) else { throw ConfigurationError("\(path) is not valid JSON") }
            var missing: [String] = []
            func field(_ name: String) -> String {
                guard let value = json[name]?.stringValue, !value.isEmpty else { missing.append(name); return "" }
                return value
            }
            let credentials = RingCentralCredentials(serverURL: tenant.server, clientId: field("clientId"),
                                                     clientSecret: field("clientSecret"), jwt: field("jwt"), source: "secrets file \(path)")
            guard missing.isEmpty else { throw ConfigurationError("\(path) lacks \(missing.joined(separator: ", "))") }
            _ = try mailboxes(json["mailboxes"], path: path, main: credentials)  // a bad entry is refused before anything runs
            return credentials
        }
        guard allowEnvironment else {
            throw ConfigurationError("tenant \(tenant.tenantId): no secrets file at \(path); the RC_* environment variables are used only "
                                     + "when one tenant is synced (--tenant \(tenant.tenantId)), never for several, so no tenant is bound to "
                                     + "another's account")
        }
        var variables = environment
        variables["RC_SERVER_URL"] = tenant.server
        switch RingCentralCredentials.fromEnvironment(variables) {
        case .success(let credentials): return credentials
        case .failure(let missing):
            throw ConfigurationError("tenant \(tenant.tenantId): no secrets file at \(path) and \(missing)")
        }
    }

    /// Per-mailbox logins from the tenant's secrets file: `"mailboxes": {"<extensionId>": {"jwt": "…"}}`.
    /// RingCentral answers `403 CMN-404` when the JWT user reads another extension's messages; such a
    /// mailbox can be read with its own user's JWT (the app's client id and secret are shared), which also
    /// brings that user's own rate-limit budget. None without a secrets file (the environment names one user).
    public static func mailboxCredentials(for tenant: TenantMarker, secretsDirectory: String,
                                          main: RingCentralCredentials) throws(ConfigurationError) -> [String: RingCentralCredentials] {
        let path = DurableFiles.join(secretsDirectory, "\(tenant.tenantId).json")
        guard DurableFiles.exists(path), let json = try? JSON.parse(DurableFiles.read(path)) else { return [:] }
        return try mailboxes(json["mailboxes"], path: path, main: main)
    }

    static func mailboxes(_ value: JSON?, path: String, main: RingCentralCredentials) throws(ConfigurationError) -> [String: RingCentralCredentials] {
        guard let value, value != .null else { return [:] }
        guard let object = value.objectValue else {
            throw ConfigurationError("\(path): \"mailboxes\" must be an object {\"<extensionId>\": {\"jwt\": \"…\"}}")
        }
        var result: [String: RingCentralCredentials] = [:]
        for key in object.keys {
            guard (1...20).contains(key.count), key.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ConfigurationError("\(path): mailboxes key \(String(key.prefix(40)).debugDescription) is not an extension id (digits)")
            }
            guard let jwt = object[key]?["jwt"]?.stringValue, !jwt.isEmpty else {
                throw ConfigurationError("\(path): mailboxes.\(key) lacks \"jwt\" (a non-empty string)")
            }
            result[key] = RingCentralCredentials(serverURL: main.serverURL, clientId: main.clientId, clientSecret: main.clientSecret,
                                                 jwt: jwt, source: "secrets file \(path), mailboxes.\(key)")
        }
        return result
    }
}
