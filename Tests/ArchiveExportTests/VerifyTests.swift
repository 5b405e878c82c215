import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

@Suite struct VerifyTests {
    /// The problems of a run as (kind, path) pairs.
    func found(_ report: VerifyReport) -> Set<String> { Set(report.problems.map { "\($0.kind.rawValue) \($0.path)" }) }

    func expectOnly(_ report: VerifyReport, _ expected: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.status == .damaged, "\(report.problems)", sourceLocation: sourceLocation)
        #expect(found(report) == expected, "\(report.problems.map { "\($0.kind.rawValue) \($0.path): \($0.detail)" })",
                sourceLocation: sourceLocation)
    }

    func media(_ tree: TreeFixture, _ suffix: String, containing part: String = "") throws -> String {
        try #require(tree.files.first { $0.hasSuffix(suffix) && (part.isEmpty || $0.contains(part)) })
    }

    @Test func aCleanTreeIsClean() throws {
        let tree = try TreeFixture.standard()
        let report = tree.verify()
        #expect(report.status == .clean, "\(report.problems)")
        #expect(report.sidecars == 8 && report.mediaFiles == 9 && report.hashedFiles == 9)
        #expect(report.manifestLines > 0 && report.passComplete)
        // One log line per run, and the cursor records a completed pass.
        let log = String(decoding: try DurableFiles.read(tree.path("logs/verify.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 1)
        #expect(try JSON.parse(String(log[0]))["status"] == "clean")
        let cursor = try JSON.parse(try DurableFiles.read(tree.path(".ringlog/verify/cursor.json")))
        #expect(cursor["pass"] == .null && cursor["lastCompletedPass"]?["runs"]?.int64Value == 1)
    }

    @Test func fourFlippedBytesInARecording() throws {
        let tree = try TreeFixture.standard()
        let recording = try media(tree, ".mp3", containing: "20261103T091500Z")
        try tree.flipBytes(recording)
        expectOnly(tree.verify(), ["sha256-mismatch \(recording)"])
    }

    @Test func aTruncatedRecording() throws {
        let tree = try TreeFixture.standard()
        let recording = try media(tree, ".mp3", containing: "_account")
        truncate(tree.path(recording), 10)
        expectOnly(tree.verify(), ["size-mismatch \(recording)"])
    }

    @Test func aDeletedVoicemailAudio() throws {
        let tree = try TreeFixture.standard()
        let audio = try media(tree, ".wav")
        unlink(tree.path(audio))
        expectOnly(tree.verify(), ["missing \(audio)"])
    }

    @Test func aWhollyDeletedVoicemailIsFoundThroughTheManifest() throws {
        let tree = try TreeFixture.standard()
        let sidecar = try media(tree, ".json", containing: "_vm.")
        let audio = try media(tree, ".wav"), text = try media(tree, ".txt")
        for file in [sidecar, audio, text] { unlink(tree.path(file)) }
        expectOnly(tree.verify(), ["missing \(sidecar)", "missing \(audio)", "missing \(text)"])
    }

    @Test func aTruncatedSidecar() throws {
        let tree = try TreeFixture.standard()
        let sidecar = try media(tree, ".json", containing: "2026-11-06")
        truncate(tree.path(sidecar), 200)
        let report = tree.verify()
        #expect(found(report).contains("sidecar-invalid \(sidecar)"))
        // Its recording is then listed by nothing but the manifest, and its manifest line by no sidecar.
        #expect(report.problems.allSatisfy { $0.path.hasPrefix("id-400131034629/2026-11-06/") }, "\(report.problems)")
    }

    @Test func aSidecarMovedToAnotherDay() throws {
        let tree = try TreeFixture.standard()
        let sidecar = try media(tree, ".json", containing: "noRecording1".lowercased())
        let moved = "101/2026-11-05/" + DurableFiles.fileName(of: sidecar)
        try FileManager.default.createDirectory(atPath: tree.path("101/2026-11-05"), withIntermediateDirectories: true)
        rename(tree.path(sidecar), tree.path(moved))
        let report = tree.verify()
        #expect(found(report).contains("sidecar-misplaced \(moved)"))
        #expect(found(report).contains("missing \(sidecar)"))
    }

    @Test func manifestLinesLostOrInvented() throws {
        let tree = try TreeFixture.standard()
        let shard = tree.path("manifest/2026-11.jsonl")
        var lines = String(decoding: try DurableFiles.read(shard), as: UTF8.self).split(separator: "\n").map(String.init)
        let dropped = try #require(lines.firstIndex { $0.contains("\"kind\":\"transcription\"") })
        let droppedPath = try #require(try JSON.parse(lines[dropped])["path"]?.stringValue)
        lines.remove(at: dropped)
        let invented = lines[0].replacingOccurrences(of: "\"revision\":1", with: "\"revision\":7")
        let inventedPath = try #require(try JSON.parse(invented)["path"]?.stringValue)
        lines.append(invented)
        lines.append("{not json")
        try DurableFiles.writeAtomically(shard, Array((lines.joined(separator: "\n") + "\n").utf8))
        expectOnly(tree.verify(), ["manifest-line-missing \(droppedPath)", "manifest-line-unexplained \(inventedPath)",
                                   "shard-line-invalid manifest/2026-11.jsonl"])
    }

    @Test func orphansAndLeftoverTemporaryFiles() throws {
        let tree = try TreeFixture.standard()
        let orphan = "101/2026-11-03/20261103T120000Z_1662279999.mp3"
        try DurableFiles.writeAtomically(tree.path(orphan), Array("orphan".utf8))
        let temporary = "101/2026-11-03/.ringlog-tmp.0123456789abcdef.1a2b.20261103T120000Z_1662279998.part"
        try DurableFiles.writeAtomically(tree.path(temporary), Array("half".utf8))
        let controlTemporary = ".ringlog/.ringlog-tmp.0123456789abcdef.77.state.json"
        try DurableFiles.writeAtomically(tree.path(controlTemporary), Array("{".utf8))
        var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        utimes(tree.path(temporary), &old)
        utimes(tree.path(controlTemporary), &old)
        let stray = "101/notes.txt"
        try DurableFiles.writeAtomically(tree.path(stray), Array("x".utf8))
        expectOnly(tree.verify(), ["orphan \(orphan)", "temporary-file \(temporary)", "temporary-file \(controlTemporary)", "orphan \(stray)"])
    }

    @Test func aFreshTemporaryFileOfALiveWriterIsNotReported() throws {
        let tree = try TreeFixture.standard()
        let writer = try tree.store.openWriter(leaseSeconds: 30)
        defer { writer.close() }
        let temporary = "101/2026-11-03/.ringlog-tmp.\(writer.owner).1.20261103T120000Z_1662279998.part"
        try DurableFiles.writeAtomically(tree.path(temporary), Array("downloading".utf8))
        // A transfer that has stalled for an hour is still the live writer's (its token names it).
        var old = [timeval(tv_sec: time(nil) - 3600, tv_usec: 0), timeval(tv_sec: time(nil) - 3600, tv_usec: 0)]
        utimes(tree.path(temporary), &old)
        // And a media file renamed into place whose sidecar the sync has not written yet.
        let inFlight = "101/2026-11-03/20261103T120000Z_1662279997.mp3"
        try DurableFiles.writeAtomically(tree.path(inFlight), Array("just downloaded".utf8))
        let report = tree.verify()
        #expect(report.status == .clean, "\(report.problems)")
        #expect(report.skippedConcurrent == 1)
        writer.close()
        // Once that writer is gone, the same files are findings.
        #expect(found(tree.verify()) == ["temporary-file \(temporary)", "orphan \(inFlight)"])
    }

    @Test func aTombstonedFileThatIsStillThere() throws {
        let tree = try TreeFixture.standard()
        let recording = try media(tree, ".mp3", containing: "idfolder1".prefix(0) + "2026-11-06")
        try tree.appendTombstone(path: recording, kind: .recording)
        expectOnly(tree.verify(), ["tombstoned-present \(recording)"])
        unlink(tree.path(recording))
        #expect(tree.verify().status == .clean, "a removed, tombstoned file is not missing")
    }

    @Test func aSymlinkWhereARecordingBelongs() throws {
        let tree = try TreeFixture.standard()
        let recording = try media(tree, ".mp3", containing: "2026-11-05")
        unlink(tree.path(recording))
        symlink("/dev/zero", tree.path(recording))
        expectOnly(tree.verify(), ["not-regular-file \(recording)"])
    }

    @Test func damagedControlFilesAndUnfiledRecords() throws {
        let tree = try TreeFixture.standard()
        try DurableFiles.writeAtomically(tree.path(".ringlog/state.json"), Array("{\"format\": \"ringlog-state\", \"layoutVersion\": 9}".utf8))
        let writer = try tree.store.openWriter(leaseSeconds: 30)
        let unfiled = try writer.saveUnfiled(kind: "call", record: ["id": "x", "note": "no startTime"], reason: "startTime missing")
        writer.close()
        #expect(tree.verify().problems.map(\.kind) == [.controlFileInvalid])
        let text = String(decoding: try DurableFiles.read(tree.path(unfiled)), as: UTF8.self).replacingOccurrences(of: "no startTime", with: "edited")
        try DurableFiles.writeAtomically(tree.path(unfiled), Array(text.utf8))
        #expect(found(tree.verify()).contains("unfiled-invalid \(unfiled)"))
    }

    @Test func aDeletedDayFolderManifestShardOrTenantMarker() throws {
        let tree = try TreeFixture.standard()
        let day = tree.files.filter { $0.hasPrefix("101/2026-11-03/") }
        try FileManager.default.removeItem(atPath: tree.path("101/2026-11-03"))
        #expect(found(tree.verify()) == Set(day.map { "missing \($0)" }))
        let other = try TreeFixture.standard()
        unlink(other.path("manifest/2026-11.jsonl"))
        unlink(other.path("tenant.json"))
        let report = other.verify()
        #expect(found(report).contains("control-file-invalid tenant.json"))
        #expect(report.problems.filter { $0.kind == .manifestLineMissing }.count == other.files.filter { $0.contains("2026-11-") }.count)
    }

    @Test func hostileNamesAreReportedEscapedNotFollowed() throws {
        let tree = try TreeFixture.standard()
        let day = "101/2026-11-03/"
        try DurableFiles.writeAtomically(tree.path(day + "evil\nname"), Array("x".utf8))
        symlink("/etc", tree.path(day + "20261103T091500Z_5.mp3"))
        // A name that is not UTF-8 at all.
        let raw = Array(tree.path(day).utf8) + [0xFF, 0xFE, 0x2E, 0x6D, 0x70, 0x33, 0]
        let descriptor = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o640) }
        #expect(descriptor >= 0)
        close(descriptor)
        let report = tree.verify()
        #expect(found(report) == ["orphan \(day)evil\nname", "orphan \(day)20261103T091500Z_5.mp3", "orphan \(day)\u{FFFD}\u{FFFD}.mp3"],
                "\(report.problems)")
    }

    @Test func symlinkedFoldersAreReportedNotFollowed() throws {
        let tree = try TreeFixture.standard()
        let elsewhere = try TreeFixture.standard()
        symlink(elsewhere.path("101"), tree.path("103"))
        symlink(elsewhere.path("101/2026-11-03"), tree.path("102/2026-11-03"))
        let report = tree.verify()
        #expect(found(report) == ["not-regular-file 103", "not-regular-file 102/2026-11-03"], "\(report.problems)")
        #expect { try tree.export(try tree.request(), to: tree.scratch.path + "/s.tar") } throws: { error in
            guard case ExportError.damaged(let path, _) = error else { return false }
            return path == "102/2026-11-03" || path == "103"
        }
    }

    @Test func aTimeBoxedPassCoversEverythingOverSeveralRuns() throws {
        let tree = try TreeFixture()
        for day in 1...9 {
            try tree.addCall("call\(day)", start: "2026-11-0\(day)T10:00:00Z", folder: "101", recordings: 2)
            try tree.addCall("other\(day)", start: "2026-11-0\(day)T11:00:00Z", folder: "_account", extensionId: nil)
        }
        let last = try #require(tree.files.filter { $0.hasSuffix(".mp3") }.max())
        try tree.flipBytes(last)
        // A clock that advances one second per look: each run stops after `budget` looks.
        let ticks = Mutex<Double>(0)
        var runs: [VerifyReport] = []
        var hashed = 0
        repeat {
            let budget = 6.0
            let start = ticks.withLock { $0 }
            let report = tree.verify { options in
                options.deadline = start + budget
                options.clock = { ticks.withLock { $0 += 1; return $0 } }
            }
            #expect(report.failure == nil, "\(report.failure ?? "")")
            hashed += report.hashedFiles
            runs.append(report)
        } while !runs.last!.passComplete && runs.count < 40
        #expect(runs.count > 2, "the budget should have split the pass")
        #expect(runs.last!.passComplete)
        #expect(runs.dropLast().allSatisfy { $0.stoppedAt != nil && !$0.passComplete })
        #expect(hashed == 27, "every media file was hashed in exactly one run of the pass (\(hashed))")
        #expect(runs.flatMap(\.problems).contains { $0.kind == .sha256Mismatch && $0.path == last })
        for (earlier, later) in zip(runs, runs.dropFirst()) {
            #expect(later.resumedFrom == earlier.stoppedAt, "each run continues where the previous stopped")
        }
        let cursor = try JSON.parse(try DurableFiles.read(tree.path(".ringlog/verify/cursor.json")))
        #expect(cursor["lastCompletedPass"]?["runs"]?.int64Value == Int64(runs.count))
        // A full run (no deadline) checks everything at once.
        #expect(tree.verify().hashedFiles == 27)
    }

    @Test func aSampleHashesAShareChosenBySeed() throws {
        let tree = try TreeFixture()
        for day in 1...9 { try tree.addCall("call\(day)", start: "2026-11-0\(day)T10:00:00Z", folder: "101", recordings: 3) }
        let first = tree.verify { $0.samplePercent = 40; $0.sampleSeed = 7 }
        let second = tree.verify { $0.samplePercent = 40; $0.sampleSeed = 7 }
        #expect(first.hashedFiles == second.hashedFiles)
        #expect(first.hashedFiles > 3 && first.hashedFiles < 24, "\(first.hashedFiles) of 27 hashed at 40%")
        #expect(first.hashedFiles + first.notSampled == 27)
        // Damage outside the hash still shows: sizes and existence are checked for every file.
        let recording = try #require(tree.files.first { $0.hasSuffix(".mp3") })
        unlink(tree.path(recording))
        #expect(found(tree.verify { $0.samplePercent = 1 }).contains("missing \(recording)"))
    }

    @Test func twoVerifiesOfOneTenantDoNotRunAtOnce() throws {
        let tree = try TreeFixture.standard()
        let held = try Lease.acquire(in: tree.path(".ringlog/verify"), leaseSeconds: 30, renewing: false)
        defer { held.release() }
        let report = tree.verify()
        #expect(report.status == .failed && (report.failure ?? "").contains("another verify"))
        // The sync's lease is another matter: verify never needs it.
        held.release()
        let writer = try tree.store.openWriter(leaseSeconds: 30)
        defer { writer.close() }
        #expect(tree.verify().status == .clean)
    }
}
