import ArchiveStore
import RinglogSupport

/// Finishing a removal run that was killed (its `.ringlog/removal.json` is still there). Every item
/// the run had begun (it has a tombstone of that run) is finished now, under the same run id and
/// into the same trash folder, through the same idempotent steps, and decided the same way: an
/// item whose sidecar has a tombstone goes whole (a sidecar's tombstone is written before its
/// media's), one whose media alone have tombstones loses its media and keeps its record. Files of
/// the item not yet tombstoned are found by name, as the planner found them. What a hold placed
/// since keeps is not removed: its tombstones are withdrawn instead. After this, the tree and the
/// tombstones are those the run would have left had it never been interrupted.
struct Recovery {
    struct Outcome {
        var journal: RemovalJournal?
        var files = 0
        var withdrawn = 0
        var errors: [String] = []
    }

    static func finish(store: TenantStore, writer: TenantWriter, holds: [LegalHold], now: Timestamp) throws -> Outcome {
        var outcome = Outcome()
        guard let journal = try store.loadRemovalJournal() else { return outcome }
        outcome.journal = journal
        let disposal: Disposal = (journal.trashDays ?? 0) > 0 ? .trash(runId: journal.runId) : .delete
        let activeHolds = Holds(active: holds.filter(\.isActive))
        let references = try RecordingReferences.load(store: store, holds: activeHolds)
        for month in store.tombstoneMonths() {
            // The run's tombstones, by item: day folder and call start (calls) or message id (voicemails).
            var groups: [String: [Tombstone]] = [:]
            for tombstone in try store.tombstoneState(month: month).values where tombstone.isRemoval && tombstone.runId == journal.runId {
                guard let name = ItemFileName(DurableFiles.fileName(of: tombstone.path)) else { continue }
                let folder = DurableFiles.parentDirectory(of: tombstone.path)
                let item: String = switch name.kind {
                case .callSidecar, .recording, .insights: "call|" + String(name.start.millisecondsSinceEpoch)
                case .voicemailSidecar(let id), .voicemailAudio(let id), .transcription(let id): "message|" + id
                }
                groups[folder + "|" + item, default: []].append(tombstone)
            }
            for key in groups.keys.sorted() {
                let tombstones = groups[key]!
                let first = tombstones[0]
                let folder = DurableFiles.parentDirectory(of: first.path)
                let extensionFolder = String(folder.split(separator: "/").first ?? "")
                let present = DayItems(names: DurableFiles.list(store.path(folder)).filter { !$0.hasPrefix(".") })
                guard let parsed = ItemFileName(DurableFiles.fileName(of: first.path)) else { continue }
                let tombstoned = tombstones.compactMap { ItemFileName(DurableFiles.fileName(of: $0.path)) }
                var plan: PlannedRemoval
                let identity: HoldScope.Identity
                switch parsed.kind {
                case .callSidecar, .recording, .insights:
                    let group = present.calls[parsed.start.millisecondsSinceEpoch]
                    let whole = tombstones.contains { $0.kind == .call }
                    let sidecars = group?.sidecars ?? []
                    // The sidecars that go are those with a tombstone (written before any of their media's).
                    let going = whole ? tombstones.filter { $0.kind == .call }.map { DurableFiles.fileName(of: $0.path) } : []
                    let recordings = whole ? (group?.recordings(goingWith: going.filter { name in sidecars.contains { $0.name == name } }, folder: folder, store: store) ?? [])
                        : (group?.recordings ?? [])
                    var files: [String: PlannedRemoval.File] = [:]
                    for name in tombstoned + recordings { files[name.name] = PlannedRemoval.File(name: name.name, kind: name.manifestKind, ids: name.ids) }
                    let kept = sidecars.filter { !going.contains($0.name) }
                    let soleCallId = Set((whole ? sidecars.filter { going.contains($0.name) } : sidecars).map(\.callId)
                                         + tombstones.compactMap { $0.ids["callId"]?.stringValue })
                    var list = files.values.sorted { $0.name < $1.name }
                    if soleCallId.count == 1, let callId = soleCallId.first {
                        list = list.map { file in
                            var ids = file.ids
                            ids["callId"] = .string(callId)
                            return PlannedRemoval.File(name: file.name, kind: file.kind, ids: ids)
                        }
                    }
                    plan = PlannedRemoval(folder: folder, files: list, keptSidecars: whole ? [] : kept.map(\.name), rule: first.rule, reason: first.reason)
                    identity = .call(soleCallId.count == 1 ? soleCallId.first : nil)
                case .voicemailSidecar(let id), .voicemailAudio(let id), .transcription(let id):
                    let group = present.voicemails[id]
                    var files: [String: PlannedRemoval.File] = [:]
                    for name in tombstoned + (group?.media ?? []) { files[name.name] = PlannedRemoval.File(name: name.name, kind: name.manifestKind, ids: name.ids) }
                    if let sidecar = group?.sidecar { files[sidecar] = PlannedRemoval.File(name: sidecar, kind: .message, ids: ["messageId": .string(id)]) }
                    plan = PlannedRemoval(folder: folder, files: files.values.sorted { $0.name < $1.name }, rule: first.rule, reason: first.reason)
                    identity = .message(id)
                }
                plan.files.sort { ($0.kind == .call || $0.kind == .message ? 1 : 0, $0.name) < ($1.kind == .call || $1.kind == .message ? 1 : 0, $1.name) }
                let recordings = plan.files.compactMap { $0.kind == .recording ? ItemFileName($0.name) : nil }
                if activeHolds.holding(extensionFolder: extensionFolder, start: parsed.start, latestStart: parsed.latestStart, item: identity) != nil
                    || references.holding(folder: folder, recordings: recordings, holds: activeHolds) != nil
                {
                    for tombstone in tombstones where DurableFiles.exists(store.path(tombstone.path)) {
                        try writer.withdrawTombstone(tombstone, at: now, runId: journal.runId)
                        outcome.withdrawn += 1
                    }
                    continue
                }
                do {
                    outcome.files += try writer.remove(try removal(for: plan, store: store), runId: journal.runId, disposal: disposal, at: now)
                } catch let error as SidecarError {
                    outcome.errors.append("\(error)")
                } catch let error as RemovalRefused {
                    outcome.errors.append("\(error)")
                }
            }
        }
        return outcome
    }
}
