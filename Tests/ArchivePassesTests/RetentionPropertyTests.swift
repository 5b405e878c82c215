import ArchivePasses
import ArchiveStore
import Foundation
import PropertyBased
import RinglogSupport
import Testing

/// Random trees × random policies × random holds × a crash at a random step, against a model
/// simple enough to be obviously right: an item goes when its category's period has run out from
/// its start and no hold's parts all match it; a call whose record stays loses only its recordings.
@Suite struct RetentionPropertyTests {
    static let folders = ["101", "102", "_account"]
    static var count: Int { ProcessInfo.processInfo.environment["RINGLOG_PROPERTY_COUNT"].flatMap(Int.init) ?? 25 }

    struct Item {
        let isVoicemail: Bool
        let folder: String
        let start: Timestamp
        let id: String
        let recordings: Int
    }

    /// Each number describes one item; indices keep starts distinct (one per second at most).
    static func items(_ codes: [Int], now: Timestamp) -> [Item] {
        codes.enumerated().map { index, code in
            let days = (code / 12) % 60
            let start = now.adding(seconds: -Double(days) * 86_400 - Double(index * 97 + (code % 7) * 3600))
            return Item(isVoicemail: code % 4 == 0, folder: folders[(code / 4) % 3], start: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch / 1000 * 1000),
                        id: code % 4 == 0 ? "\(800_000 + index)" : "Call\(index)", recordings: (code / 720) % 3)
        }
    }

    static func period(_ code: Int) -> RetentionPeriod { code % 70 >= 65 ? .forever : .period(count: code % 70 + 1, unit: .d) }

    static func holdScopes(_ codes: [Int], items: [Item], now: Timestamp) -> [HoldScope] {
        codes.map { code in
            var scope = HoldScope()
            if code % 2 == 0 { scope.extensionFolder = folders[(code / 2) % 3] }
            if code % 3 == 0 { scope.from = now.adding(seconds: -Double((code / 6) % 60) * 86_400) }
            if code % 5 == 0 { scope.to = now.adding(seconds: -Double((code / 30) % 60) * 86_400) }
            if let from = scope.from, let to = scope.to, to < from { (scope.from, scope.to) = (to, from) }
            if code % 7 == 0, !items.isEmpty {
                let item = items[(code / 7) % items.count]
                if item.isVoicemail { scope.messageId = item.id } else { scope.callId = item.id }
            }
            return scope
        }
    }

    /// What must be gone after a purge, by the model.
    static func expectedRemovals(items: [Item], policy: RetentionPolicy, holds: [HoldScope], now: Timestamp, paths: [String: [String]]) -> Set<String> {
        var removed = Set<String>()
        for item in items {
            func expired(_ period: RetentionPeriod) -> Bool {
                guard let days = period.days else { return false }
                return item.start.millisecondsSinceEpoch + 999 + Int64(days) * 86_400_000 <= now.millisecondsSinceEpoch
            }
            let held = holds.contains { scope in
                scope.covers(extensionFolder: item.folder, earliestStart: item.start, latestStart: item.start.adding(milliseconds: 999),
                             item: item.isVoicemail ? .message(item.id) : .call(item.id))
            }
            guard !held, let files = paths[item.id] else { continue }
            if item.isVoicemail {
                if expired(policy.voicemails) { removed.formUnion(files) }
            } else if expired(policy.calls) {
                removed.formUnion(files)
            } else if expired(policy.recordings) {
                removed.formUnion(files.filter { !$0.hasSuffix(".json") })
            }
        }
        return removed
    }

    @Test func purgeRemovesWhatTheModelSaysEvenWhenKilledAtARandomStep() async throws {
        await propertyCheck(count: Self.count, input: Gen.int(in: 0...9999).array(of: 1...10), Gen.int(in: 0...999).array(of: 3),
                            Gen.int(in: 0...9999).array(of: 0...2), Gen.int(in: 0...60), Gen.bool) { codes, periods, holdCodes, crashAt, trash in
            do {
                let tenant = try TestTenant()
                let items = Self.items(codes, now: tenant.now)
                var paths: [String: [String]] = [:]
                try tenant.write { writer in
                    for item in items {
                        if item.isVoicemail {
                            let sidecar = try tenant.addVoicemail(item.id, folder: item.folder, start: item.start, writer: writer)
                            paths[item.id] = [sidecar, String(sidecar.dropLast(5)) + ".wav", String(sidecar.dropLast(5)) + ".txt"]
                        } else {
                            let recordings = (0..<item.recordings).map { "\(codes.count * 10 + Int(item.id.dropFirst(4))! * 3 + $0 + 1)" }
                            let sidecar = try tenant.addCall(item.id, folder: item.folder, start: item.start, recordings: recordings, writer: writer)
                            let prefix = DurableFiles.parentDirectory(of: sidecar) + "/" + ArchiveNames.compactTimestamp(item.start) + "_"
                            paths[item.id] = [sidecar] + recordings.map { prefix + $0 + ".mp3" }
                        }
                    }
                }
                var calls = Self.period(periods[0]), recordings = Self.period(periods[1])
                if calls < recordings { swap(&calls, &recordings) }
                var policy = RetentionPolicy(reason: "p", setAt: tenant.now, setBy: "t")
                policy.calls = calls
                policy.recordings = recordings
                policy.voicemails = Self.period(periods[2])
                policy.trashDays = trash ? 7 : 0
                policy.maxDelete = 10_000
                _ = try Policy.set(store: tenant.store, changes: .init(calls: calls.description, recordings: recordings.description,
                                                                       voicemails: policy.voicemails.description, trashDays: policy.trashDays, maxDelete: 10_000),
                                   reason: "p", context: tenant.context())
                let scopes = Self.holdScopes(holdCodes, items: items, now: tenant.now)
                for scope in scopes { _ = try LegalHolds.add(store: tenant.store, scope: scope, reason: "h", context: tenant.context()) }
                let all = Set(paths.values.joined())
                let expected = Self.expectedRemovals(items: items, policy: policy, holds: scopes, now: tenant.now, paths: paths)

                if crashAt > 0 {
                    var crashing = tenant.context()
                    crashing.beforeRemovalStep = { step, label in if step == crashAt { throw InjectedCrash(step: step, label: label) } }
                    _ = try? Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: crashing)
                }
                _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
                let remaining = tenant.itemFiles()
                #expect(remaining == all.subtracting(expected), "kept \(remaining.subtracting(all.subtracting(expected)).sorted()), lost \(all.subtracting(expected).subtracting(remaining).sorted())")
                let gone = Set(try tenant.tombstones().filter(\.isRemoval).map(\.path))
                #expect(gone == expected, "tombstones differ from the model")
                let trashed = Set(tenant.itemFiles(includingTrash: true).filter { $0.hasPrefix(".trash/") && !$0.hasSuffix("trash.json") }
                                    .map { $0.split(separator: "/").dropFirst(2).joined(separator: "/") })
                #expect(trashed == (trash ? expected : []), "the trash holds what was removed")
                #expect(!DurableFiles.exists(tenant.store.removalJournalPath))
                // Kept calls list exactly the recordings still there; the others under removedMedia.
                for item in items where !item.isVoicemail {
                    guard let sidecarPath = paths[item.id]?.first, remaining.contains(sidecarPath) else { continue }
                    let sidecar = try tenant.sidecar(sidecarPath)
                    let folder = DurableFiles.parentDirectory(of: sidecarPath)
                    #expect(Set(sidecar.media.map { folder + "/" + $0.file }) == Set(paths[item.id]!.dropFirst()).intersection(remaining))
                    #expect(Set(sidecar.removedMedia.map { folder + "/" + $0.entry.file }) == Set(paths[item.id]!.dropFirst()).intersection(expected))
                }
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

