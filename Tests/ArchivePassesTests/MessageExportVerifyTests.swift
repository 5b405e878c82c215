import ArchiveExport
import ArchivePasses
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// Export and verify know every message kind and a recording's insights (issue 14 point 7; §15, §16).
@Suite struct MessageExportVerifyTests {
    /// One of each: a call with a recording and two revisions of insights, a voicemail linked to it,
    /// an SMS with text and MMS picture, a received fax, a pager message, all in November 2026.
    struct Fixture {
        let tenant: TestTenant
        var paths: [String: String] = [:]

        init() throws {
            tenant = try TestTenant()
            var paths: [String: String] = [:]
            let tenant = self.tenant
            try tenant.write { writer in
                let start = Timestamp(iso8601: "2026-11-05T10:00:00.250Z")!
                paths["call"] = try tenant.addCall("LinkedCall", start: start, recordings: ["1001"], writer: writer)
                let insights = try tenant.addInsights(toCall: paths["call"]!, recordingId: "1001", revisions: 2, writer: writer)
                paths["insights"] = insights[0]
                paths["insights2"] = insights[1]
                paths["voicemail"] = try tenant.addVoicemail("2001", start: start.adding(seconds: 40), writer: writer)
                try tenant.link(call: paths["call"]!, message: paths["voicemail"]!, writer: writer)
                paths["sms"] = try tenant.addMessage(kind: .sms, "3001", start: Timestamp(iso8601: "2026-11-06T09:00:00Z")!,
                                                     attachments: [.text("30011", "lunch?"), .picture("30012")], writer: writer)
                paths["fax"] = try tenant.addMessage(kind: .fax, "4001", folder: "102", start: Timestamp(iso8601: "2026-11-07T15:30:00Z")!, writer: writer)
                paths["pager"] = try tenant.addMessage(kind: .pager, "5001", folder: "_account", start: Timestamp(iso8601: "2026-11-08T07:00:00Z")!,
                                                       writer: writer)
            }
            self.paths = paths
        }

        /// The file of `sidecar`'s media entry of `kind`.
        func media(_ sidecar: String, _ kind: MediaEntry.Kind) throws -> String {
            let entry = try #require(try tenant.sidecar(sidecar).media.first { $0.kind == kind })
            return DurableFiles.join(DurableFiles.parentDirectory(of: sidecar), entry.file)
        }

        func verify() -> VerifyReport { Verifier.verify(store: tenant.store, options: VerifyOptions()) }

        func request(_ kinds: Set<ExportKind> = Set(ExportKind.allCases)) throws -> ExportRequest {
            ExportRequest(tenantId: tenant.store.tenantId, period: try ExportPeriod.parse(period: "2026-11"), kinds: kinds, format: .tar, ringlogVersion: "test")
        }

        func export(_ request: ExportRequest, to name: String) throws -> ExportSummary {
            try Exporter.export(root: tenant.root, request: request, to: .file(path: tenant.scratch.path + "/" + name, replacing: false))
        }
    }

    @Test func theTreeWithEveryKindVerifiesCleanAndReindexAgrees() throws {
        let fixture = try Fixture()
        let report = fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.sidecars == 5 && report.mediaFiles == 9, "sidecars \(report.sidecars), media \(report.mediaFiles)")
        var rebuilt: [String] = []
        try Manifest.rebuild(tenantDirectory: fixture.tenant.directory, write: nil) { rebuilt += $0.lines }
        #expect(Set(rebuilt) == (try Manifest.currentLines(tenantDirectory: fixture.tenant.directory, month: "2026-11")))
        #expect(rebuilt.contains { $0.contains(#""kind":"insights""#) && $0.contains(#""recordingId":"1001""#) })
    }

    /// A damage of each new file kind is found, named by its path and code.
    @Test(arguments: ["sms text flipped", "fax pdf truncated", "mms image deleted", "sidecar edited to another id", "insights flipped",
                      "sidecar moved", "orphan attachment", "manifest line dropped"])
    func verifyFindsDamageToEachNewFileKind(damage: String) throws {
        let fixture = try Fixture()
        let store = fixture.tenant.store
        func flip(_ relative: String) throws {
            var bytes = try DurableFiles.read(store.path(relative))
            bytes[bytes.count / 2] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: store.path(relative)))
        }
        let expected: (path: String, kind: VerifyProblem.Kind)
        switch damage {
        case "sms text flipped":
            let text = try fixture.media(fixture.paths["sms"]!, .text)
            try flip(text)
            expected = (text, .sha256Mismatch)
        case "fax pdf truncated":
            let pdf = try fixture.media(fixture.paths["fax"]!, .document)
            #expect(truncate(store.path(pdf), 10) == 0)
            expected = (pdf, .sizeMismatch)
        case "mms image deleted":
            let image = try fixture.media(fixture.paths["sms"]!, .mms)
            #expect(unlink(store.path(image)) == 0)
            expected = (image, .missing)
        case "sidecar edited to another id":
            let path = store.path(fixture.paths["pager"]!)
            let text = String(decoding: try DurableFiles.read(path), as: UTF8.self)
            #expect(text.contains(#""messageId": "5001""#), "\(text)")
            try Data(text.replacingOccurrences(of: #""messageId": "5001""#, with: #""messageId": "5002""#).utf8).write(to: URL(fileURLWithPath: path))
            expected = (fixture.paths["pager"]!, .sidecarMisplaced)
        case "insights flipped":
            try flip(fixture.paths["insights2"]!)
            expected = (fixture.paths["insights2"]!, .sha256Mismatch)
        case "sidecar moved":
            // The fax's sidecar copied into another extension's day folder (a hand "fix").
            let fax = fixture.paths["fax"]!
            let moved = "101/" + fax.split(separator: "/").dropFirst().joined(separator: "/")
            try DurableFiles.createDirectories(store.path(DurableFiles.parentDirectory(of: moved)))
            #expect(rename(store.path(fax), store.path(moved)) == 0)
            expected = (moved, .sidecarMisplaced)
        case "orphan attachment":
            let stray = DurableFiles.parentDirectory(of: fixture.paths["sms"]!) + "/20261106T090000Z_sms.3001.30019.png"
            try Data("png".utf8).write(to: URL(fileURLWithPath: store.path(stray)))
            expected = (stray, .orphan)
        default:  // "manifest line dropped": the fax document's line removed from the shard
            let pdf = try fixture.media(fixture.paths["fax"]!, .document)
            let shard = store.path("manifest/2026-11.jsonl")
            let lines = String(decoding: try DurableFiles.read(shard), as: UTF8.self).split(separator: "\n").filter { !$0.contains(#""path":"\#(pdf)""#) }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: shard))
            expected = (pdf, .manifestLineMissing)
        }
        let report = fixture.verify()
        #expect(report.problems.contains { $0.path == expected.path && $0.kind == expected.kind },
                "\(damage): expected \(expected.kind.rawValue) at \(expected.path); found \(report.problems.map { "\($0.kind.rawValue) \($0.path): \($0.detail)" })")
    }

    /// §14: a voicemail purged while the call that links it stays leaves the call's `archive.message`
    /// naming a tombstoned sidecar; verify does not call that damage, and export leaves the voicemail out.
    @Test func aLinkToAPurgedMessageIsNotDamage() throws {
        let fixture = try Fixture()
        let tenant = fixture.tenant
        _ = try Policy.set(store: tenant.store, changes: .init(voicemails: "7d"), reason: "p", context: tenant.context())
        _ = try Purge.run(store: tenant.store, dryRun: false, maxDelete: nil, context: tenant.context())
        #expect(!tenant.exists(fixture.paths["voicemail"]!) && tenant.exists(fixture.paths["call"]!))
        #expect(try tenant.sidecar(fixture.paths["call"]!).messageLink?.sidecar == fixture.paths["voicemail"]!)
        let report = fixture.verify()
        #expect(report.problems.isEmpty, "\(report.problems)")
        let summary = try fixture.export(try fixture.request(), to: "after-purge.tar")
        #expect(summary.counts["voicemails"] == 0 && summary.counts["calls"] == 1 && summary.omittedTombstoned == 0)
    }

    @Test func exportSelectsEachKindAndCountsIt() throws {
        let fixture = try Fixture()
        let all = try fixture.export(try fixture.request(), to: "all.tar")
        #expect(all.counts["calls"] == 1 && all.counts["recordings"] == 1 && all.counts["insights"] == 2 && all.counts["voicemails"] == 1
                && all.counts["voicemailAudio"] == 1 && all.counts["transcriptions"] == 1 && all.counts["sms"] == 1 && all.counts["faxes"] == 1
                && all.counts["pager"] == 1 && all.counts["attachments"] == 4, "\(all.counts)")
        #expect(all.files == 14)
        for (kinds, files) in [([ExportKind.sms], 3), ([.faxes], 2), ([.pager], 2), ([.insights], 2), ([.voicemails], 3), ([.calls, .recordings], 2),
                               ([.sms, .faxes, .pager], 7)] {
            let summary = try fixture.export(try fixture.request(Set(kinds)), to: kinds.map(\.rawValue).joined(separator: "-") + ".tar")
            #expect(summary.files == files, "\(kinds): \(summary.files) files, \(summary.counts)")
        }
        // The old words and the tenant's message words both work.
        #expect(try ExportKind.parse(["voicemail,fax,sms,pager"]) == [.voicemails, .faxes, .sms, .pager])
        #expect(try ExportKind.parse(["calls,recordings,voicemails"]) == [.calls, .recordings, .voicemails])
        #expect(try ExportKind.parse([]) == Set(ExportKind.allCases))
        #expect { try ExportKind.parse(["texts"]) } throws: { "\($0)".contains("\"texts\" is not one of calls, recordings, insights, voicemails, faxes, sms, pager") }
    }

    /// The tarball holds each message and attachment under its tree path, SHA256SUMS covers them,
    /// MANIFEST.jsonl holds their lines, EXPORT.json counts them and conforms to its schema.
    @Test func theTarballHoldsEveryMessageFileAndChecksItself() async throws {
        let fixture = try Fixture()
        let file = fixture.tenant.scratch.path + "/x.tar"
        _ = try fixture.export(try fixture.request(), to: "x.tar")
        let extract = fixture.tenant.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        guard let untar = try await blocking({ try tool("tar", ["-xf", file, "-C", extract]) }) else {
            print("SKIPPED theTarballHoldsEveryMessageFileAndChecksItself: tar is not installed")
            return
        }
        #expect(untar.status == 0)
        let top = extract + "/\(fixture.tenant.store.tenantId)-2026-11/"
        for path in fixture.paths.values {
            #expect(try DurableFiles.read(top + path) == DurableFiles.read(fixture.tenant.store.path(path)), "\(path)")
        }
        for (sidecar, kind) in [("sms", MediaEntry.Kind.mms), ("sms", .text), ("fax", .document), ("pager", .text)] {
            let media = try fixture.media(fixture.paths[sidecar]!, kind)
            #expect(try DurableFiles.read(top + media) == DurableFiles.read(fixture.tenant.store.path(media)), "\(media)")
        }
        let checked = try #require(try await blocking { try tool("sha256sum", ["-c", "--strict", "SHA256SUMS"], directory: top) })
        #expect(checked.status == 0, "\(checked.output)\(checked.error)")
        #expect(checked.output.split(separator: "\n").count == 14 + 2)
        let manifest = String(decoding: try DurableFiles.read(top + "MANIFEST.jsonl"), as: UTF8.self)
        #expect(manifest.contains(#""kind":"document""#) && manifest.contains(#""kind":"mms""#) && manifest.contains(#""kind":"insights""#)
                && manifest.contains(#""kind":"messageLink""#))
        let info = try JSON.parse(try DurableFiles.read(top + "EXPORT.json"))
        #expect(try Schemas.errors(info, "export.schema.json").isEmpty)
        #expect(info["selection"]?["kinds"] == .array(["calls", "faxes", "insights", "pager", "recordings", "sms", "voicemails"]))
        #expect(info["counts"]?["sms"]?.int64Value == 1 && info["counts"]?["attachments"]?.int64Value == 4)
    }

    /// A damaged attachment stops the export as a damaged recording does (exit 6): the media is hashed as it goes in.
    @Test func aDamagedAttachmentStopsTheExport() throws {
        let fixture = try Fixture()
        let image = try fixture.media(fixture.paths["sms"]!, .mms)
        var bytes = try DurableFiles.read(fixture.tenant.store.path(image))
        bytes[0] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: fixture.tenant.store.path(image)))
        #expect { try fixture.export(try fixture.request([.sms]), to: "bad.tar") } throws: { error in
            guard case ExportError.damaged(let path, let reason) = error else { return false }
            return path == image && reason.contains("sha256")
        }
        #expect(!DurableFiles.exists(fixture.tenant.scratch.path + "/bad.tar"))
        // Not asked for, it is not read: the faxes alone still export.
        #expect(try fixture.export(try fixture.request([.faxes]), to: "faxes.tar").files == 2)
    }
}

/// Runs a command line tool (on a thread of its own: `blocking`); nil when it is not installed.
private func tool(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> (status: Int32, output: String, error: String)? {
    guard let path = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map({ $0 + executable }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
