import ArchiveStore
import RinglogSupport

/// One thing verify found wrong, with the path it concerns (relative to the tenant directory).
public struct VerifyProblem: Sendable, Equatable {
    /// Stable codes, for scripts (layout-spec §16.2).
    public enum Kind: String, Sendable, CaseIterable {
        /// A file a sidecar or the manifest lists is not there (and no tombstone says it was removed).
        case missing
        case sizeMismatch = "size-mismatch"
        case sha256Mismatch = "sha256-mismatch"
        /// Not readable, not JSON, not a v1 sidecar, malformed entries.
        case sidecarInvalid = "sidecar-invalid"
        /// Its name, day folder, extension folder or tenant disagree with its content.
        case sidecarMisplaced = "sidecar-misplaced"
        /// A line the sidecar implies is not in the manifest shard (`ringlog reindex` adds it).
        case manifestLineMissing = "manifest-line-missing"
        /// A manifest line no sidecar implies (edited, or its sidecar lost a revision or media entry).
        case manifestLineUnexplained = "manifest-line-unexplained"
        /// A complete line of a manifest or tombstone shard that does not parse.
        case shardLineInvalid = "shard-line-invalid"
        /// A file in an item folder that nothing references.
        case orphan
        /// A `.ringlog-tmp.*` file no live writer owns.
        case temporaryFile = "temporary-file"
        /// A tombstone says the file was removed, yet it is there.
        case tombstonedPresent = "tombstoned-present"
        /// A symlink, a directory or a device where a file belongs.
        case notRegularFile = "not-regular-file"
        /// tenant.json, state.json or pending.json does not parse or is of another version.
        case controlFileInvalid = "control-file-invalid"
        /// An `_unfiled` record that does not parse or whose name is not its record's hash.
        case unfiledInvalid = "unfiled-invalid"
        /// A directory or file verify could not read at all.
        case unreadable
    }

    public let path: String
    public let kind: Kind
    public let detail: String

    public init(path: String, kind: Kind, detail: String) {
        self.path = path
        self.kind = kind
        self.detail = detail
    }

    public var json: JSON { ["path": .string(path), "problem": .string(kind.rawValue), "detail": .string(detail)] }
}

/// How a verify run goes.
public struct VerifyOptions: Sendable {
    /// Hash only this share of the media files (0 < p ≤ 100), each picked by a keyed hash of its path
    /// with `sampleSeed`; nil hashes all. Every other check covers everything.
    public var samplePercent: Double?
    /// Random unless given (`--sample-seed`, to repeat a run's choice).
    public var sampleSeed: UInt64?
    /// Monotonic instant (`monotonicSeconds()`) by which the run stops; it then continues from its
    /// cursor next time. Nil: check everything, from the start.
    public var deadline: Double?
    /// Length of verify's own lease (`.ringlog/verify/`), which only keeps two verifies of one tenant apart.
    public var leaseSeconds: Double = 600
    public var cancellation: CancellationFlag?
    /// Each problem as it is found (the CLI prints them at once).
    public var onProblem: (@Sendable (String, VerifyProblem) -> Void)?
    /// Files and bytes so far, a few times a second.
    public var progress: (@Sendable (VerifyProgress) -> Void)?
    /// The clock `deadline` is read by (a seam: tests stop a run after a fixed number of steps).
    public var clock: @Sendable () -> Double = { monotonicSeconds() }

    public init() {}
}

public struct VerifyProgress: Sendable {
    public var tenantId = ""
    public var month = ""
    public var files = 0
    public var hashedBytes: Int64 = 0
}

/// Where a time-boxed pass stands: everything up to this point is checked.
public struct VerifyPosition: Sendable, Hashable, Comparable {
    public let day: String
    public let extensionFolder: String
    /// The last file of that folder whose check is complete; nil when the whole folder is.
    public let file: String?

    public static func < (a: VerifyPosition, b: VerifyPosition) -> Bool {
        if a.day != b.day { return a.day.utf8.lexicographicallyPrecedes(b.day.utf8) }
        if a.extensionFolder != b.extensionFolder { return a.extensionFolder.utf8.lexicographicallyPrecedes(b.extensionFolder.utf8) }
        switch (a.file, b.file) {
        case (nil, nil): return false
        case (nil, _): return false  // the whole folder is after any file in it
        case (_, nil): return true
        case (let x?, let y?): return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
    }

    var json: JSON {
        ["day": .string(day), "extensionFolder": .string(extensionFolder), "file": file.map { .string($0) } ?? .null]
    }

    init(day: String, extensionFolder: String, file: String?) {
        self.day = day
        self.extensionFolder = extensionFolder
        self.file = file
    }

    init?(json: JSON?) {
        guard let day = json?["day"]?.stringValue, ArchiveReader.isDayFolder(day), let folder = json?["extensionFolder"]?.stringValue else { return nil }
        self.init(day: day, extensionFolder: folder, file: json?["file"]?.stringValue)
    }
}

/// What one verify run of one tenant did and found.
public struct VerifyReport: Sendable {
    public enum Status: String, Sendable { case clean, damaged, failed }

    public let tenantId: String
    public let runId: String
    public var startedAt: Timestamp
    public var endedAt: Timestamp?
    public var problems: [VerifyProblem] = []
    /// Why the run could not verify (another verify holds the tenant, the tree cannot be read).
    public var failure: String?
    public var sidecars = 0
    public var mediaFiles = 0
    public var hashedFiles = 0
    public var hashedBytes: Int64 = 0
    public var manifestLines = 0
    public var tombstones = 0
    /// Findings not reported because a live writer (sync, purge) may be in the middle of them.
    public var skippedConcurrent = 0
    /// Media files whose hash the sample left out.
    public var notSampled = 0
    public var samplePercent: Double?
    public var sampleSeed: UInt64?
    /// Time-boxed runs: where the pass stood when this run began and ended (nil: its start / its end).
    public var timeBoxed = false
    public var resumedFrom: VerifyPosition?
    public var stoppedAt: VerifyPosition?
    public var passStartedAt: Timestamp?
    public var passComplete = false
    /// No cursor or log line could be written (a read-only copy of the archive): said, not fatal.
    public var notes: [String] = []

    public var status: Status { failure != nil ? .failed : problems.isEmpty ? .clean : .damaged }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    public func json(problemLimit: Int? = nil) -> JSON {
        var object = JSONObject()
        object["runId"] = .string(runId)
        object["tenantId"] = .string(tenantId)
        object["status"] = .string(status.rawValue)
        object["startedAt"] = .string(startedAt.iso8601)
        object["endedAt"] = endedAt.map { .string($0.iso8601) } ?? .null
        object["checked"] = ["sidecars": .int(sidecars), "mediaFiles": .int(mediaFiles), "hashedFiles": .int(hashedFiles),
                             "hashedBytes": .int(hashedBytes), "manifestLines": .int(manifestLines), "tombstones": .int(tombstones)]
        object["skipped"] = ["concurrentWriter": .int(skippedConcurrent), "notSampled": .int(notSampled)]
        object["sample"] = samplePercent.map { ["percent": .number(Self.number($0)), "seed": .string(String(sampleSeed ?? 0))] } ?? .null
        object["coverage"] = ["timeBoxed": .bool(timeBoxed), "passStartedAt": passStartedAt.map { .string($0.iso8601) } ?? .null,
                              "resumedFrom": resumedFrom?.json ?? .null, "stoppedAt": stoppedAt?.json ?? .null,
                              "passComplete": .bool(passComplete)]
        object["problemCount"] = .int(problems.count)
        let shown = problemLimit.map { Array(problems.prefix($0)) } ?? problems
        object["problems"] = .array(shown.map(\.json))
        if let failure { object["failure"] = .string(failure) }
        if !notes.isEmpty { object["notes"] = .array(notes.map { .string($0) }) }
        return .object(object)
    }
}
