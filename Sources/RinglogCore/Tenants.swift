import RingCentral
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// Configuration and usage errors: the CLI maps them to exit status 2.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The archive root: a marker file, an append-only tenant registry, one directory per tenant.
public struct ArchiveRoot: Sendable {
    public static let markerName = "ringlog-archive.json"
    public static let registryName = "tenants.jsonl"
    public let path: String

    public var markerPath: String { DurableFiles.join(path, Self.markerName) }
    public var registryPath: String { DurableFiles.join(path, Self.registryName) }

    /// `ringlog init`: creates the marker and an empty registry. Idempotent on an existing archive.
    public static func initialize(_ path: String) throws -> ArchiveRoot {
        let root = ArchiveRoot(path: path)
        try DurableFiles.createDirectories(path)
        if !DurableFiles.exists(root.markerPath) {
            let marker: JSON = ["format": "ringlog-archive", "layoutVersion": .int(ArchiveNames.layoutVersion),
                                "createdAt": .string(Timestamp.now().iso8601)]
            try DurableFiles.writeAtomically(root.markerPath, marker.serializedBytes(.pretty) + [0x0A])
        }
        if !DurableFiles.exists(root.registryPath) { try DurableFiles.writeAtomically(root.registryPath, []) }
        return root
    }

    /// Opens an existing archive. A missing root or marker is refused: an unmounted share must not
    /// silently fill the local disk.
    public static func open(_ path: String) throws(ConfigurationError) -> ArchiveRoot {
        guard DurableFiles.isDirectory(path) else {
            throw ConfigurationError("archive root \(path) does not exist (is the share mounted?); create one with `ringlog init \(path)`")
        }
        let root = ArchiveRoot(path: path)
        guard let marker = try? JSON.parse(DurableFiles.read(root.markerPath)), marker["format"] == "ringlog-archive" else {
            throw ConfigurationError("\(path) is not a ringlog archive (no \(markerName)); create one with `ringlog init \(path)`")
        }
        guard let version = marker["layoutVersion"]?.int64Value, version == Int64(ArchiveNames.layoutVersion) else {
            throw ConfigurationError("\(root.markerPath): layout version \(marker["layoutVersion"]?.serialized() ?? "missing") is not supported (this ringlog writes v\(ArchiveNames.layoutVersion))")
        }
        return root
    }

    public struct RegistryEntry: Sendable {
        public let tenantId: String
        public let name: String
        public var removed: Bool
    }

    /// The registry replayed: every tenant id ever issued, removed ones included.
    public func registry() throws -> [RegistryEntry] {
        var entries: [RegistryEntry] = []
        let text = String(decoding: try DurableFiles.read(registryPath), as: UTF8.self)
        for (number, line) in text.split(separator: "\n").enumerated() {
            guard let event = try? JSON.parse(String(line)), let id = event["tenantId"]?.stringValue else {
                throw ConfigurationError("\(registryPath) line \(number + 1) is not a registry event")
            }
            switch event["event"]?.stringValue {
            case "added": entries.append(RegistryEntry(tenantId: id, name: event["name"]?.stringValue ?? "", removed: false))
            case "removed":
                if let index = entries.firstIndex(where: { $0.tenantId == id }) { entries[index].removed = true }
            default: throw ConfigurationError("\(registryPath) line \(number + 1): unknown event")
            }
        }
        return entries
    }

    /// `ringlog tenant add`: a fresh random 64-bit id, checked against every id ever issued
    /// (removed tenants included), so an id is never reused.
    public func addTenant(name: String, server: String, since: Timestamp?) throws -> TenantMarker {
        let known = Set(try registry().map(\.tenantId))
        var id: String
        repeat {
            id = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            id = String(repeating: "0", count: 16 - id.count) + id
        } while known.contains(id) || DurableFiles.exists(DurableFiles.join(path, id))
        let marker = TenantMarker(tenantId: id, name: name, server: server, since: since, accountId: nil,
                                  createdAt: Timestamp.now(), extra: JSONObject())
        let directory = DurableFiles.join(path, id)
        try DurableFiles.createDirectories(directory)
        try marker.write(to: directory)
        // The registry line comes last: a crash before it leaves an unregistered directory, never a
        // registered tenant without a marker.
        try DurableFiles.appendLine(registryPath, (["event": "added", "tenantId": .string(id), "name": .string(name),
                                                    "at": .string(Timestamp.now().iso8601)] as JSON).serialized())
        return marker
    }

    /// `ringlog tenant remove`: a tombstone in the registry. The tenant's archived data stays.
    public func removeTenant(_ id: String) throws {
        guard try registry().contains(where: { $0.tenantId == id && !$0.removed }) else {
            throw ConfigurationError("no active tenant \(id) in \(registryPath)")
        }
        try DurableFiles.appendLine(registryPath, (["event": "removed", "tenantId": .string(id),
                                                    "at": .string(Timestamp.now().iso8601)] as JSON).serialized())
    }

    public func tenantDirectory(_ id: String) -> String { DurableFiles.join(path, id) }

    /// The active tenants, or the one named (which must be active).
    public func tenants(selecting id: String?) throws -> [TenantMarker] {
        let active = try registry().filter { !$0.removed }
        let chosen: [RegistryEntry]
        if let id {
            guard let entry = active.first(where: { $0.tenantId == id }) else {
                throw ConfigurationError("no active tenant \(id); `ringlog tenant list --root \(path)` shows them")
            }
            chosen = [entry]
        } else {
            chosen = active
        }
        return try chosen.map { try TenantMarker.read(from: tenantDirectory($0.tenantId)) }
    }
}

/// `<tenant>/tenant.json`: the tenant's non-secret settings and the RingCentral account it is bound to.
public struct TenantMarker: Sendable {
    public static let fileName = "tenant.json"
    public let tenantId: String
    public var name: String
    public var server: String
    public var since: Timestamp?
    /// Bound by the first sync; afterwards a sync refuses any other account.
    public var accountId: String?
    public var createdAt: Timestamp
    /// Keys ringlog does not own, kept as they are.
    public var extra: JSONObject

    public static func read(from directory: String) throws -> TenantMarker {
        let path = DurableFiles.join(directory, fileName)
        guard DurableFiles.exists(path) else { throw ConfigurationError("\(path) is missing: not a ringlog tenant directory") }
        let json = try JSON.parse(try DurableFiles.read(path))
        guard var object = json.objectValue, json["format"] == "ringlog-tenant", let id = json["tenantId"]?.stringValue,
            ArchiveNames.isTenantId(id), let server = json["server"]?.stringValue,
            let created = json["createdAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { throw ConfigurationError("\(path) is not a valid tenant marker") }
        let since = json["since"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        let marker = TenantMarker(tenantId: id, name: json["name"]?.stringValue ?? "", server: server, since: since,
                                  accountId: json["accountId"]?.stringValue, createdAt: created, extra: JSONObject())
        for key in ["format", "layoutVersion", "tenantId", "name", "server", "since", "accountId", "createdAt"] { object[key] = nil }
        var result = marker
        result.extra = object
        return result
    }

    public var json: JSON {
        var object = JSONObject()
        object["format"] = "ringlog-tenant"
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["tenantId"] = .string(tenantId)
        object["name"] = .string(name)
        object["server"] = .string(server)
        if let since { object["since"] = .string(since.iso8601) }
        if let accountId { object["accountId"] = .string(accountId) }
        object["createdAt"] = .string(createdAt.iso8601)
        for member in extra.members { object[member.key] = member.value }
        return .object(object)
    }

    public func write(to directory: String) throws {
        try DurableFiles.writeAtomically(DurableFiles.join(directory, Self.fileName), json.serializedBytes(.pretty) + [0x0A])
    }
}

/// Where a tenant's credentials come from: a per-tenant secrets file (mode 0600, like ssh keys),
/// else RingCentral's conventional environment variables. Never from the archive tree, which is
/// copied to shares, backups and auditors.
public enum TenantSecrets {
    public static func defaultDirectory(environment: [String: String]) -> String {
        if let configured = environment["RINGLOG_SECRETS_DIR"], !configured.isEmpty { return configured }
        let home = environment["HOME"] ?? "/root"
        return DurableFiles.join(environment["XDG_CONFIG_HOME"] ?? DurableFiles.join(home, ".config"), "ringlog", "secrets")
    }

    public static func credentials(for tenant: TenantMarker, secretsDirectory: String,
                                   environment: [String: String]) throws(ConfigurationError) -> RingCentralCredentials {
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
                                                     clientSecret: field("clientSecret"), jwt: field("jwt"))
            guard missing.isEmpty else { throw ConfigurationError("\(path) lacks \(missing.joined(separator: ", "))") }
            return credentials
        }
        var variables = environment
        variables["RC_SERVER_URL"] = tenant.server
        switch RingCentralCredentials.fromEnvironment(variables) {
        case .success(let credentials): return credentials
        case .failure(let missing):
            throw ConfigurationError("tenant \(tenant.tenantId): no secrets file at \(path) and \(missing)")
        }
    }
}
