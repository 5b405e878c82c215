import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// The archive root: a marker file, an append-only tenant registry, one directory per tenant.
public struct ArchiveRoot: Sendable {
    public static let markerName = "ringlog-archive.json"
    public static let registryName = "tenants.jsonl"
    /// Root-level control directory: holds the lease that serialises registry changes.
    public static let controlDirectoryName = ".ringlog"
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
            try DurableFiles.writeAtomically(root.markerPath, marker.serializedBytes(.pretty) + [0x0A], owner: "init")
        } else {
            _ = try open(path)  // refuses a marker of another version rather than calling it ready
        }
        if !DurableFiles.exists(root.registryPath) { try DurableFiles.writeAtomically(root.registryPath, [], owner: "init") }
        return root
    }

    /// Opens an existing archive. A missing root or marker is refused: an unmounted share must not
    /// silently fill the local disk.
    public static func open(_ path: String) throws -> ArchiveRoot {
        guard DurableFiles.isDirectory(path) else {
            throw ConfigurationError("archive root \(path) does not exist (is the share mounted?); create one with `ringlog init \(path)`")
        }
        let root = ArchiveRoot(path: path)
        guard let bytes = try DurableFiles.readIfPresent(root.markerPath) else {
            throw ConfigurationError("\(path) is not a ringlog archive (no \(markerName)); create one with `ringlog init \(path)`")
        }
        _ = try checkControlFile(try parseControlFile(bytes, path: root.markerPath), format: "ringlog-archive", path: root.markerPath)
        return root
    }

    public struct RegistryEntry: Sendable {
        public let tenantId: String
        public let name: String
        public var removed: Bool
    }

    /// The registry replayed: every tenant id ever issued, removed ones included. A final line an
    /// interrupted append cut short is not an event (the next append repairs it).
    public func registry() throws -> [RegistryEntry] {
        var entries: [RegistryEntry] = []
        var number = 0
        let path = registryPath
        let found = try DurableFiles.forEachLine(path) { line in
            number += 1
            guard let event = try? JSON.parse(line), let id = event["tenantId"]?.stringValue, ArchiveNames.isTenantId(id) else {
                throw ControlFileError(path, "line \(number) is not a registry event")
            }
            switch event["event"]?.stringValue {
            case "added": entries.append(RegistryEntry(tenantId: id, name: event["name"]?.stringValue ?? "", removed: false))
            case "removed":
                if let index = entries.firstIndex(where: { $0.tenantId == id }) { entries[index].removed = true }
            default: throw ControlFileError(path, "line \(number): unknown event \(event["event"]?.serialized() ?? "missing")")
            }
        }
        guard found else { throw ControlFileError(path, "missing; `ringlog init \(self.path)` recreates an empty one") }
        return entries
    }

    /// Registry changes are serialised by a short root-level lease, so two `tenant add`s can neither
    /// issue the same id nor interleave their appends.
    private func withRegistryLease<T>(_ body: (String) throws -> T) throws -> T {
        let lease = try Lease.acquire(in: DurableFiles.join(path, Self.controlDirectoryName), leaseSeconds: 60, renewing: false)
        defer { lease.release() }
        let result = try body(lease.token)
        try lease.check()
        return result
    }

    /// Repairs made to the registry by the last append (a torn line removed), for the caller to report.
    public typealias RegistryRepair = DurableFiles.TailRepair

    /// `ringlog tenant add`: a fresh random 64-bit id, checked against every id ever issued
    /// (removed tenants included), so an id is never reused.
    /// `randomBits` draws the 64 random bits of a candidate id (a seam for tests: an id already in the
    /// registry or on disk must be skipped, which a real random draw almost never exercises).
    public func addTenant(name: String, server: String, since: Timestamp?, messages: MessageKinds? = nil, insights: InsightsSetting? = nil,
                          onRepair: (RegistryRepair) -> Void = { _ in },
                          randomBits: () -> UInt64 = { UInt64.random(in: 0...UInt64.max) }) throws -> TenantMarker {
        try withRegistryLease { owner in
            let known = Set(try registry().map(\.tenantId))
            var id: String
            repeat {
                id = String(randomBits(), radix: 16)
                id = String(repeating: "0", count: 16 - id.count) + id
            } while known.contains(id) || DurableFiles.exists(DurableFiles.join(path, id))
            var marker = TenantMarker(tenantId: id, name: name, server: server, since: since, accountId: nil, createdAt: Timestamp.now())
            marker.messages = messages
            marker.insights = insights
            let directory = DurableFiles.join(path, id)
            try DurableFiles.createDirectories(directory)
            try DurableFiles.writeAtomically(DurableFiles.join(directory, TenantMarker.fileName), marker.bytes, owner: owner)
            // The registry line comes last: a crash before it leaves an unregistered directory, never a
            // registered tenant without a marker.
            let repair = try DurableFiles.appendLine(registryPath, (["event": "added", "tenantId": .string(id), "name": .string(name),
                                                                     "at": .string(Timestamp.now().iso8601)] as JSON).serialized())
            if let repair { onRepair(repair) }
            return marker
        }
    }

    /// `ringlog tenant remove`: a tombstone in the registry. The tenant's archived data stays.
    public func removeTenant(_ id: String, onRepair: (RegistryRepair) -> Void = { _ in }) throws {
        try withRegistryLease { _ in
            guard try registry().contains(where: { $0.tenantId == id && !$0.removed }) else {
                throw ConfigurationError("no active tenant \(id) in \(registryPath)")
            }
            if let repair = try DurableFiles.appendLine(registryPath, (["event": "removed", "tenantId": .string(id),
                                                                        "at": .string(Timestamp.now().iso8601)] as JSON).serialized()) {
                onRepair(repair)
            }
        }
    }

    public func tenantDirectory(_ id: String) -> String { DurableFiles.join(path, id) }

    public func store(for tenantId: String) -> TenantStore { TenantStore(root: self, tenantId: tenantId) }

    /// The active tenants (or the one named), each with its marker or the error reading it: one
    /// damaged tenant.json must not stop the commands for every other tenant.
    public func tenantMarkers(selecting id: String?) throws -> [(tenantId: String, marker: Result<TenantMarker, any Error>)] {
        let active = try registry().filter { !$0.removed }
        if let id, !active.contains(where: { $0.tenantId == id }) {
            throw ConfigurationError("no active tenant \(id); `ringlog tenant list --root \(path)` shows them")
        }
        return active.filter { id == nil || $0.tenantId == id }.map { entry in
            (entry.tenantId, Result { try TenantMarker.read(from: tenantDirectory(entry.tenantId)) })
        }
    }

    /// The active tenants, or the one named (which must be active); the first damaged marker throws.
    public func tenants(selecting id: String?) throws -> [TenantMarker] {
        try tenantMarkers(selecting: id).map { try $0.marker.get() }
    }
}

/// `<tenant>/tenant.json`: the tenant's non-secret settings and the RingCentral account it is bound to.
public struct TenantMarker: Sendable {
    public static let fileName = "tenant.json"
    static let ownedKeys: Set<String> = ["format", "layoutVersion", "tenantId", "name", "server", "since", "accountId", "createdAt",
                                         "country", "accountCountry", "messages", "insights"]
    public let tenantId: String
    public var name: String
    public var server: String
    public var since: Timestamp?
    /// Bound by the first sync; afterwards a sync refuses any other account.
    public var accountId: String?
    public var createdAt: Timestamp
    /// ISO 3166 country for phone numbers written in national form (`ringlog tenant set --country`).
    public var country: String?
    /// The country of the bound account's main number, recorded by sync: the default when `country` is not set.
    public var accountCountry: String?
    /// The message kinds set with `--messages` (`messages`); nil: the key is absent (every tenant
    /// before layout revision 4), which means all four (`messageKinds`).
    public var messages: MessageKinds?
    /// The message kinds this tenant archives.
    public var messageKinds: MessageKinds { messages ?? .all }
    /// Whether sync asks RingSense for recordings' insights (`ringlog tenant set --insights`); nil (absent): `auto`.
    public var insights: InsightsSetting?
    /// Keys ringlog does not own, kept as they are.
    public var extra = JSONObject()

    public init(tenantId: String, name: String, server: String, since: Timestamp?, accountId: String?, createdAt: Timestamp) {
        self.tenantId = tenantId
        self.name = name
        self.server = server
        self.since = since
        self.accountId = accountId
        self.createdAt = createdAt
    }

    public static func read(from directory: String) throws -> TenantMarker {
        let path = DurableFiles.join(directory, fileName)
        guard let bytes = try DurableFiles.readIfPresent(path) else {
            throw ConfigurationError("\(path) is missing: not a ringlog tenant directory")
        }
        let json = try parseControlFile(bytes, path: path)
        let object = try checkControlFile(json, format: "ringlog-tenant", path: path)
        guard let id = json["tenantId"]?.stringValue, ArchiveNames.isTenantId(id) else { throw ControlFileError(path, "tenantId is missing or malformed") }
        guard let server = json["server"]?.stringValue else { throw ControlFileError(path, "server is missing") }
        guard let created = json["createdAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) else {
            throw ControlFileError(path, "createdAt is missing or not a time")
        }
        var since: Timestamp?
        if let value = json["since"], value != .null {
            guard let parsed = value.stringValue.flatMap({ Timestamp(iso8601: $0) }) else { throw ControlFileError(path, "since is not a time") }
            since = parsed
        }
        var marker = TenantMarker(tenantId: id, name: json["name"]?.stringValue ?? "", server: server, since: since,
                                  accountId: json["accountId"]?.stringValue, createdAt: created)
        marker.country = json["country"]?.stringValue
        marker.accountCountry = json["accountCountry"]?.stringValue
        if let value = json["messages"] {
            guard let kinds = MessageKinds(json: value) else {
                throw ControlFileError(path, "messages is not an array of message kinds (voicemail, fax, sms, pager)")
            }
            marker.messages = kinds
        }
        if let value = json["insights"], value != .null {
            guard let setting = value.stringValue.flatMap(InsightsSetting.init(rawValue:)) else {
                throw ControlFileError(path, "insights is \(String(value.serialized().prefix(40))), not one of on, off, auto")
            }
            marker.insights = setting
        }
        marker.extra = object.removing(ownedKeys)
        return marker
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
        if let country { object["country"] = .string(country) }
        if let accountCountry { object["accountCountry"] = .string(accountCountry) }
        if let messages { object["messages"] = messages.json }
        if let insights { object["insights"] = .string(insights.rawValue) }
        object.appendUnowned(extra)
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }

    /// The country national-form phone numbers are read in: `country`, else the account's, else US.
    public var numberingCountry: CallingCountry {
        if let country, let known = PhoneNumbers.country(country) { return known }
        if let accountCountry, let known = PhoneNumbers.country(accountCountry) { return known }
        return PhoneNumbers.defaultCountry
    }
}

/// A tenant's RingSense insights setting (tenant.json `insights`, layout-spec §3.3).
public enum InsightsSetting: String, Sendable, CaseIterable {
    /// Ask; an account without RingSense (the app's permission, the licence) turns them off for the run with one warning.
    case auto
    /// Ask; an account without RingSense is an item error once per run (the admin asked for them).
    case on
    /// Never ask.
    case off
}
