import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// One tenant's directory, read-only: where everything is, and the readers of its files. Writing
/// goes through `TenantWriter`, which only a lease holder can have.
public struct TenantStore: Sendable {
    public static let controlDirectoryName = ".ringlog"
    public static let logDirectoryName = "logs"
    public static let runLogName = "runs.jsonl"
    public static let errorLogName = "errors.jsonl"

    public let root: ArchiveRoot
    public let tenantId: String

    public init(root: ArchiveRoot, tenantId: String) {
        self.root = root
        self.tenantId = tenantId
    }

    public var directory: String { root.tenantDirectory(tenantId) }
    public var controlDirectory: String { DurableFiles.join(directory, Self.controlDirectoryName) }
    public var logDirectory: String { DurableFiles.join(directory, Self.logDirectoryName) }
    public var statePath: String { DurableFiles.join(controlDirectory, SyncState.fileName) }
    public var pendingPath: String { DurableFiles.join(controlDirectory, PendingQueue.fileName) }

    public func path(_ relative: String) -> String { DurableFiles.join(directory, relative) }

    public var exists: Bool { DurableFiles.isDirectory(directory) }

    public func marker() throws -> TenantMarker { try TenantMarker.read(from: directory) }
    public func loadState() throws -> SyncState { try SyncState.load(statePath) }
    public func loadPending() throws -> PendingQueue { try PendingQueue.load(pendingPath) }

    /// The sidecar at `relative`, or nil when there is none. Anything else that keeps it from being
    /// used (unreadable, corrupt, a future version) is a `SidecarError` naming the file; the file is
    /// never replaced because of it. The process or the system out of descriptors or memory is no
    /// fault of the file: that is an `ArchiveIOError`, which stops a sync rather than failing the item.
    public func loadSidecar(_ relative: String) throws -> Sidecar? {
        let bytes: [UInt8]?
        do { bytes = try DurableFiles.readIfPresent(path(relative)) } catch {
            if Self.outOfResources(error.code) { throw error }
            throw SidecarError(relative, "cannot be read (\(ArchiveIOError.plainReason(error.code)))")
        }
        guard let bytes else { return nil }
        return try Sidecar.parse(bytes, path: relative)
    }

    /// Too many open files (the process's or the system's), or no memory: a condition of the run, not of a file.
    static func outOfResources(_ code: Int32) -> Bool { code == EMFILE || code == ENFILE || code == ENOMEM }

    public var reader: ArchiveReader { ArchiveReader(tenantDirectory: directory) }

    /// Takes the tenant's lease and returns the only object that may write to the tree.
    public func openWriter(leaseSeconds: Double = 600, cancellation: CancellationFlag? = nil, runId: String? = nil) throws -> TenantWriter {
        guard exists else { throw ConfigurationError("tenant directory \(directory) is missing") }
        let lease = try Lease.acquire(in: controlDirectory, leaseSeconds: leaseSeconds, cancellation: cancellation, runId: runId)
        return TenantWriter(store: self, lease: lease)
    }
}

/// Walks a tenant's tree by month and day, in order, holding at most one month's day-folder names
/// and one folder's file names at a time (constant memory in the number of archived items).
public struct ArchiveReader: Sendable {
    public let tenantDirectory: String

    public init(tenantDirectory: String) { self.tenantDirectory = tenantDirectory }

    public struct Entry: Sendable {
        public enum Kind: Sendable {
            case callSidecar, voicemailSidecar, media, other
            /// A fax, SMS/MMS or pager sidecar (`<T>_fax|sms|pager.<messageId>.json`, revision 4).
            case messageSidecar
            public var isSidecar: Bool { self == .callSidecar || self == .voicemailSidecar || self == .messageSidecar }
        }
        /// Relative to the tenant directory, `/`-separated.
        public let relativePath: String
        public let extensionFolder: String
        public let day: String
        public let fileName: String
        public let kind: Kind
    }

    /// Extension folders: a number, `id-<digits>` or `_account` (§4.2).
    public static func isExtensionFolder(_ name: String) -> Bool {
        if name == "_account" { return true }
        let digits = name.hasPrefix("id-") ? Substring(name.dropFirst(3)) : Substring(name)
        return !digits.isEmpty && digits.utf8.count <= 20 && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `YYYY-MM-DD`.
    public static func isDayFolder(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return false }
        return bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || ($0.element >= 0x30 && $0.element <= 0x39) }
    }

    public var extensionFolders: [String] {
        DurableFiles.list(tenantDirectory).filter {
            Self.isExtensionFolder($0) && DurableFiles.isDirectory(DurableFiles.join(tenantDirectory, $0))
        }
    }

    /// Every month (`YYYY-MM`) that has a day folder, ascending.
    public func months() -> [String] {
        var months = Set<String>()
        for folder in extensionFolders {
            for day in DurableFiles.list(DurableFiles.join(tenantDirectory, folder)) where Self.isDayFolder(day) { months.insert(String(day.prefix(7))) }
        }
        return months.sorted()
    }

    /// One item folder (`<extension>/<YYYY-MM-DD>`) with every name in it, hidden ones included
    /// (temporary files are `.ringlog-tmp.*`): for passes that must see what a reader skips.
    public struct DayFolder: Sendable {
        public let extensionFolder: String
        public let day: String
        /// Sorted; no `.` or `..`.
        public let names: [String]
        public var relativePath: String { DurableFiles.join(extensionFolder, day) }

        public init(extensionFolder: String, day: String, names: [String]) {
            self.extensionFolder = extensionFolder
            self.day = day
            self.names = names
        }
    }

    /// The item folders of `month`, day by day, then extension folder (one listing per directory).
    public func forEachDayFolder(inMonth month: String, extensionFolders selected: Set<String>? = nil,
                                 _ body: (DayFolder) throws -> Void) throws {
        var folders: [(day: String, folder: String)] = []
        for folder in extensionFolders where selected?.contains(folder) ?? true {
            for day in DurableFiles.list(DurableFiles.join(tenantDirectory, folder)) where Self.isDayFolder(day) && day.hasPrefix(month + "-") {
                folders.append((day, folder))
            }
        }
        folders.sort { ($0.day, $0.folder) < ($1.day, $1.folder) }
        for (day, folder) in folders {
            let dayPath = DurableFiles.join(tenantDirectory, folder, day)
            guard DurableFiles.isDirectory(dayPath) else { continue }
            // An unreadable folder throws rather than reading as empty (reindex would drop its lines).
            try body(DayFolder(extensionFolder: folder, day: day, names: try DurableFiles.listing(dayPath) ?? []))
        }
    }

    /// The day folders of one extension folder from `first` through `last` (`YYYY-MM-DD`, inclusive),
    /// ascending: for passes that walk folder by folder (export writes in path order).
    public func forEachDayFolder(inExtension folder: String, from first: String, through last: String,
                                 _ body: (DayFolder) throws -> Void) throws {
        let folderPath = DurableFiles.join(tenantDirectory, folder)
        for day in try DurableFiles.listing(folderPath) ?? [] where Self.isDayFolder(day) && day >= first && day <= last {
            let dayPath = DurableFiles.join(folderPath, day)
            guard DurableFiles.isDirectory(dayPath) else { continue }
            try body(DayFolder(extensionFolder: folder, day: day, names: try DurableFiles.listing(dayPath) ?? []))
        }
    }

    /// Every item file of the day folders `first` through `last` (`YYYY-MM-DD`, inclusive), of the
    /// extension folders `folders` (nil: all), day by day, month by month: a report over a period
    /// lists only that period's months.
    public func forEachFile(fromDay first: String, throughDay last: String, folders: Set<String>? = nil,
                            _ body: (Entry) throws -> Void) throws {
        guard first <= last else { return }
        for month in months() where month >= String(first.prefix(7)) && month <= String(last.prefix(7)) {
            try forEachDayFolder(inMonth: month, extensionFolders: folders) { folder in
                guard folder.day >= first && folder.day <= last else { return }
                for name in folder.names where !name.hasPrefix(".") {
                    try body(Entry(relativePath: DurableFiles.join(folder.extensionFolder, folder.day, name), extensionFolder: folder.extensionFolder,
                                   day: folder.day, fileName: name, kind: Self.kind(of: name)))
                }
            }
        }
    }

    /// Every item file of `month`, day by day (then extension folder, then name).
    public func forEachFile(inMonth month: String, _ body: (Entry) throws -> Void) throws {
        try forEachDayFolder(inMonth: month) { folder in
            for name in folder.names where !name.hasPrefix(".") {
                try body(Entry(relativePath: DurableFiles.join(folder.extensionFolder, folder.day, name), extensionFolder: folder.extensionFolder,
                               day: folder.day, fileName: name, kind: Self.kind(of: name)))
            }
        }
    }

    /// Every file of the tenant, month by month.
    public func forEachFile(_ body: (Entry) throws -> Void) throws {
        for month in months() { try forEachFile(inMonth: month, body) }
    }

    /// One day folder of one extension folder and the names in it (dot-names left out): what the
    /// retention and exclusion passes walk (export and verify use `DayFolder`, which keeps dot-names).
    public struct ItemDayFolder: Sendable {
        public let extensionFolder: String
        public let day: String
        /// `<extension>/<day>`, relative to the walked directory.
        public let relativePath: String
        public let names: [String]
    }

    /// Every day folder, by day then extension folder, each directory listed exactly once (the
    /// tenant directory, each extension folder, each day folder): what `find` would read, no more.
    /// Memory: the day-folder names, and one folder's file names at a time.
    public func forEachDayFolder(_ body: (ItemDayFolder) throws -> Void) throws {
        var folders: [(day: String, folder: String)] = []
        let base = tenantDirectory.hasSuffix("/") ? tenantDirectory : tenantDirectory + "/"
        for folder in DurableFiles.list(tenantDirectory) where Self.isExtensionFolder(folder) {
            for day in DurableFiles.list(base + folder) where Self.isDayFolder(day) { folders.append((day, folder)) }
        }
        folders.sort { ($0.day, $0.folder) < ($1.day, $1.folder) }
        for (day, folder) in folders {
            let relative = folder + "/" + day
            let names = DurableFiles.list(base + relative).filter { $0.utf8.first != 0x2E }
            try body(ItemDayFolder(extensionFolder: folder, day: day, relativePath: relative, names: names))
        }
    }

    static func kind(of name: String) -> Entry.Kind {
        guard let underscore = name.firstIndex(of: "_") else { return .other }
        let rest = name[name.index(after: underscore)...]
        if rest.hasPrefix("call.") && name.hasSuffix(".json") { return .callSidecar }
        if rest.hasPrefix("vm.") && name.hasSuffix(".json") { return .voicemailSidecar }
        if case .messageSidecar = ItemFileName(name) { return .messageSidecar }
        return .media
    }
}
