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

/// The per-tenant key of exclusion rules: `<secrets dir>/<tenantId>.exclusion-key`, 32 random bytes
/// as hex, mode 0600, beside the tenant's credentials and, like them, never in the tree. A rule
/// stores HMAC-SHA256(key, number), so the tree (copied to backups and auditors) never holds an
/// excluded number in clear, and without the key nobody can test numbers against it.
public enum ExclusionKeyFile {
    public static func path(tenantId: String, secretsDirectory: String) -> String {
        DurableFiles.join(secretsDirectory, "\(tenantId).exclusion-key")
    }

    /// The key, or nil when there is none yet. A key readable by others, or malformed, is refused.
    public static func load(_ path: String) throws(ConfigurationError) -> [UInt8]? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw ConfigurationError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ConfigurationError("\(path) is not a regular file") }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError("\(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard info.st_uid == getuid() else { throw ConfigurationError("\(path) is not owned by the user running ringlog") }
        guard let bytes = try? DurableFiles.read(path) else { throw ConfigurationError("cannot read \(path)") }
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        guard let key = RinglogSupport.bytes(fromHex: text), key.count == 32 else {
            throw ConfigurationError("\(path) is not an exclusion key (64 hex digits); restore it from the backup of your secrets")
        }
        return key
    }

    /// The key, created on first use (exclusive create, mode 0600, fsynced with its directory).
    public static func loadOrCreate(_ path: String) throws(ConfigurationError) -> [UInt8] {
        if let key = try load(path) { return key }
        let directory = DurableFiles.parentDirectory(of: path)
        if !DurableFiles.isDirectory(directory) {
            do { try DurableFiles.createDirectories(directory) } catch { throw ConfigurationError("cannot create \(directory): \(error)") }
            _ = chmod(directory, 0o700)
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST, let raced = try load(path) { return raced }  // another command made it first
            throw ConfigurationError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let text = Array((hexString(key) + "\n").utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw ConfigurationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        _ = try? DurableFiles.syncDirectory(directory)
        return key
    }
}
