import ArchiveStore
import RinglogSupport

/// One item's planned removal, decided from names alone: the files of a day folder that go
/// together (a call's sidecar and recordings, or a voicemail's sidecar, audio and transcription),
/// and the sidecars that stay while their media go.
struct PlannedRemoval: Sendable {
    struct File: Sendable {
        let name: String
        let kind: ManifestLine.Kind
        /// The call a recording belongs to, when one sidecar beside it says so (case-safe form,
        /// decoded only when the tombstone is written).
        private let callCaseSafeId: String?
        private let explicitIds: JSONObject?

        init(name: String, kind: ManifestLine.Kind, callCaseSafeId: String? = nil) {
            self.name = name
            self.kind = kind
            self.callCaseSafeId = callCaseSafeId
            self.explicitIds = nil
        }

        init(name: String, kind: ManifestLine.Kind, ids: JSONObject) {
            self.name = name
            self.kind = kind
            self.callCaseSafeId = nil
            self.explicitIds = ids
        }

        var callId: String? { explicitIds?["callId"]?.stringValue ?? callCaseSafeId.flatMap(ArchiveNames.callId(fromCaseSafe:)) }

        /// The ids its tombstone records (built when it is written, not while planning).
        var ids: JSONObject {
            if let explicitIds { return explicitIds }
            var ids = ItemFileName(name)?.ids ?? JSONObject()
            if let callId { ids["callId"] = .string(callId) }
            return ids
        }
    }

    /// `<extension>/<YYYY-MM-DD>`.
    let folder: String
    var files: [File]
    var keptSidecars: [String] = []
    /// Media of the item that a purge already moved to the trash (exclusion apply deletes them there too).
    var trashedMedia: [String] = []
    let rule: String
    let reason: Tombstone.Reason

    func path(_ name: String) -> String { folder + "/" + name }
}

/// The active holds, asked about one item at a time.
struct Holds {
    let active: [LegalHold]

    func holding(extensionFolder: String, start: Timestamp, latestStart: Timestamp, item: HoldScope.Identity) -> LegalHold? {
        active.first { $0.scope.covers(extensionFolder: extensionFolder, earliestStart: start, latestStart: latestStart, item: item) }
    }
}

/// What the policy expires in one day folder, and what a hold keeps. Only names are read: a name
/// holds the start to the second (the item is taken to have started at the last millisecond of it,
/// so nothing is removed early) and the ids; the folder is the extension.
struct RetentionPlanner {
    let policy: RetentionPolicy
    let holds: Holds
    /// Who references the recordings stored with each call (only read while a hold is active).
    let references: RecordingReferences
    let now: Timestamp
    /// Files the policy expires that a hold keeps, and media files no sidecar names (left for sync to adopt).
    var heldFiles = 0
    var holdsThatKept = Set<String>()
    var orphanFiles = 0

    /// Reads every call sidecar's `archive.recordings` first when a hold is active (`RecordingReferences`).
    init(policy: RetentionPolicy, holds: [LegalHold], now: Timestamp, store: TenantStore) throws {
        self.policy = policy
        self.holds = Holds(active: holds.filter(\.isActive))
        self.references = try RecordingReferences.load(store: store, holds: self.holds)
        self.now = now
    }

    mutating func plan(_ day: ArchiveReader.ItemDayFolder) -> [PlannedRemoval] {
        let items = DayItems(names: day.names)
        var planned: [PlannedRemoval] = []
        for group in items.sortedCalls {
            guard !group.sidecars.isEmpty else {
                orphanFiles += group.recordings.count
                continue
            }
            let latest = group.start.adding(milliseconds: 999)
            let callExpired = policy.calls.hasExpired(start: latest, now: now)
            let recordingsExpired = policy.recordings.hasExpired(start: latest, now: now)
            guard callExpired || (recordingsExpired && !group.recordings.isEmpty) else { continue }
            // Two calls of one extension starting in the same second share a name prefix, so their
            // recordings cannot be told apart: a hold on either keeps the group.
            let holds = self.holds
            // A recording stored here that a held call elsewhere references (§6.6) keeps the group too:
            // its audio, and the sidecar whose `archive.media` the other call's `storedWith` resolves to.
            let hold = holds.active.isEmpty ? nil : group.sidecars.lazy.compactMap {
                holds.holding(extensionFolder: day.extensionFolder, start: group.start, latestStart: latest, item: .call($0.callId))
            }.first ?? references.holding(folder: day.relativePath, recordings: group.recordings, holds: holds)
            let count = group.recordings.count + (callExpired ? group.sidecars.count : 0)
            if let hold {
                heldFiles += count
                holdsThatKept.insert(hold.id)
                continue
            }
            let soleCall = group.sidecars.count == 1 ? group.sidecars[0].caseSafeId : nil
            var files = group.recordings.map { PlannedRemoval.File(name: $0.name, kind: $0.manifestKind, callCaseSafeId: soleCall) }
            if callExpired {
                files += group.sidecars.map { PlannedRemoval.File(name: $0.name, kind: .call) }
                planned.append(PlannedRemoval(folder: day.relativePath, files: files, rule: "calls \(policy.calls)", reason: .retention))
            } else {
                planned.append(PlannedRemoval(folder: day.relativePath, files: files, keptSidecars: group.sidecars.map(\.name),
                                              rule: "recordings \(policy.recordings)", reason: .retention))
            }
        }
        for group in items.sortedVoicemails {
            guard let sidecar = group.sidecar else {
                orphanFiles += group.media.count
                continue
            }
            let latest = group.start.adding(milliseconds: 999)
            guard policy.voicemails.hasExpired(start: latest, now: now) else { continue }
            if !holds.active.isEmpty, let hold = holds.holding(extensionFolder: day.extensionFolder, start: group.start, latestStart: latest,
                                                               item: .message(group.messageId)) {
                heldFiles += group.media.count + 1
                holdsThatKept.insert(hold.id)
                continue
            }
            let files = group.media.map { PlannedRemoval.File(name: $0.name, kind: $0.manifestKind) } + [PlannedRemoval.File(name: sidecar, kind: .message)]
            planned.append(PlannedRemoval(folder: day.relativePath, files: files, rule: "voicemails \(policy.voicemails)", reason: .retention))
        }
        return planned
    }
}

/// Turns a planned removal into what the writer needs: each file's tombstone facts (sha256 and size
/// from the sidecar's media entries, or hashed; the extension id from the sidecar).
func removal(for plan: PlannedRemoval, store: TenantStore) throws -> ItemRemoval {
    var entries: [String: (sha256: String, size: Int64, id: String)] = [:]
    var extensionId: JSON?
    var sidecarDigests: [String: (sha256: String, size: Int64)] = [:]
    for name in plan.files.filter({ $0.kind == .call || $0.kind == .message }).map(\.name) + plan.keptSidecars {
        guard let bytes = try DurableFiles.readIfPresent(store.path(plan.path(name))) else { continue }
        if plan.files.contains(where: { $0.name == name }) { sidecarDigests[name] = (SHA256Hasher.hex(of: bytes), Int64(bytes.count)) }
        // A sidecar that cannot be parsed still goes if the policy says so; its tombstone lacks what it would have told.
        guard let sidecar = try? Sidecar.parse(bytes, path: plan.path(name)) else { continue }
        if extensionId == nil { extensionId = sidecar.item["extensionId"] }
        for entry in sidecar.media + sidecar.removedMedia.map(\.entry) { entries[entry.file] = (entry.sha256, entry.size, entry.id) }
    }
    let files = try plan.files.map { file -> RemovalFile in
        var ids = file.ids
        if let extensionId, extensionId != .null { ids["extensionId"] = extensionId }
        let relative = plan.path(file.name)
        if let digest = sidecarDigests[file.name] {
            return RemovalFile(relativePath: relative, kind: file.kind, ids: ids, sha256: digest.sha256, size: digest.size)
        }
        if let entry = entries[file.name] {
            if file.kind == .voicemail || file.kind == .transcription { ids["attachmentId"] = .string(entry.id) }
            return RemovalFile(relativePath: relative, kind: file.kind, ids: ids, sha256: entry.sha256, size: entry.size)
        }
        // Not listed (or the sidecar is unreadable): hash what is there, if it is still there.
        let digest = DurableFiles.exists(store.path(relative)) ? try? DurableFiles.hashFile(store.path(relative)) : nil
        return RemovalFile(relativePath: relative, kind: file.kind, ids: ids, sha256: digest?.sha256, size: digest?.size)
    }
    return ItemRemoval(files: files, keptSidecars: plan.keptSidecars.map(plan.path), reason: plan.reason, rule: plan.rule)
}
