import ArchiveStore
import RinglogSupport

/// Which calls reference a recording stored with another call's sidecar (`archive.recordings`
/// entries with `storedWith`, layout-spec §6.6). A file name ties a recording only to the call it
/// sits beside, so without this a hold on call B would not keep the audio stored with call A.
/// Built only while the tenant has an active hold (it reads every call sidecar); without holds
/// nothing can keep a recording, and the planning walk stays names-only (§14.10).
struct RecordingReferences {
    /// A call that references a recording stored elsewhere: what a hold's scope is matched against.
    struct Referrer: Sendable {
        let extensionFolder: String
        let start: Timestamp
        let callId: String?
    }

    /// Key: `<day folder of the holding sidecar>|<recordingId>` (a recording is stored once, §6.6,
    /// so the folder and the id name one file, in the tree or under a trash run alike).
    private var referrers: [String: [Referrer]] = [:]
    /// Call sidecars that could not be read: what they reference is unknown (reported by the passes).
    private(set) var unreadable: [String] = []

    /// No index: with no active hold nothing needs one.
    static let none = RecordingReferences()

    /// Every call sidecar of the tree and of every trash run (a trashed call a hold keeps still needs
    /// its audio) when `holds` has an active hold; otherwise `.none`, without reading anything.
    static func load(store: TenantStore, holds: Holds) throws -> RecordingReferences {
        guard !holds.active.isEmpty else { return .none }
        var index = RecordingReferences()
        try index.add(ArchiveReader(tenantDirectory: store.directory), base: store.directory)
        for runId in store.trashRuns() {
            let base = DurableFiles.join(store.trashDirectory, runId)
            try index.add(ArchiveReader(tenantDirectory: base), base: base)
        }
        return index
    }

    private mutating func add(_ reader: ArchiveReader, base: String) throws {
        try reader.forEachDayFolder { day in
            for name in day.names {
                guard let parsed = ItemFileName(name), case .callSidecar = parsed.kind else { continue }
                let relative = day.relativePath + "/" + name
                guard let bytes = try? DurableFiles.read(DurableFiles.join(base, relative)),
                    let sidecar = try? Sidecar.parse(bytes, path: relative)
                else {
                    unreadable.append(relative)
                    continue
                }
                for reference in sidecar.recordings {
                    guard let storedWith = reference.storedWith else { continue }
                    referrers[DurableFiles.parentDirectory(of: storedWith) + "|" + reference.id, default: []]
                        .append(Referrer(extensionFolder: day.extensionFolder, start: parsed.start, callId: parsed.callId))
                }
            }
        }
    }

    /// The active hold that keeps recording `recordingId` stored in day folder `folder` because a
    /// call it covers references it from elsewhere; nil when none does.
    func holding(folder: String, recordingId: String, holds: Holds) -> LegalHold? {
        guard let referrers = referrers[folder + "|" + recordingId] else { return nil }
        for referrer in referrers {
            if let hold = holds.holding(extensionFolder: referrer.extensionFolder, start: referrer.start,
                                        latestStart: referrer.start.adding(milliseconds: 999), item: .call(referrer.callId)) {
                return hold
            }
        }
        return nil
    }

    /// The first hold that keeps any of `recordings` (of day folder `folder`) for a call elsewhere.
    func holding(folder: String, recordings: [ItemFileName], holds: Holds) -> LegalHold? {
        guard !referrers.isEmpty else { return nil }
        for recording in recordings {
            guard case .recording(let id) = recording.kind else { continue }
            if let hold = holding(folder: folder, recordingId: id, holds: holds) { return hold }
        }
        return nil
    }
}
