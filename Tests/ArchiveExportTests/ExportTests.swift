import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

@Suite struct ExportTests {
    func read(_ path: String) throws -> [UInt8] { try DurableFiles.read(path) }

    /// Files in a directory whose names mark them temporary.
    func temporaries(in directory: String) -> [String] { DurableFiles.list(directory).filter { $0.hasPrefix(".ringlog-tmp.") } }

    @Test(arguments: ExportFormat.allCases)
    func twoExportsOfTheSameStateAreByteIdentical(format: ExportFormat) throws {
        let tree = try TreeFixture.standard()
        let out = tree.scratch.path
        let request = try tree.request(format: format)
        _ = try tree.export(request, to: out + "/a.\(format.rawValue)")
        // Nothing the export must not depend on may leak in: the source files' own mtimes and atimes,
        // the clock, the process. Touch every source file, wait a second, export again.
        for file in tree.files { utimes(tree.path(file), nil) }
        sleep(1)
        _ = try tree.export(request, to: out + "/b.\(format.rawValue)")
        let first = try read(out + "/a.\(format.rawValue)"), second = try read(out + "/b.\(format.rawValue)")
        #expect(first.count > 10_000)
        #expect(first == second, "\(format.rawValue): two exports of one state differ")
    }

    @Test func gzipAndZstdHeadersCarryNoTimeOrName() throws {
        let tree = try TreeFixture.standard()
        _ = try tree.export(try tree.request(format: .tarGzip), to: tree.scratch.path + "/x.tar.gz")
        let gzip = try read(tree.scratch.path + "/x.tar.gz")
        #expect(gzip[0] == 0x1F && gzip[1] == 0x8B)
        #expect(gzip[3] & 0x08 == 0, "FNAME flag set: the gzip header names a file")
        #expect(Array(gzip[4..<8]) == [0, 0, 0, 0], "MTIME in the gzip header is not 0")
        _ = try tree.export(try tree.request(format: .tarZstd), to: tree.scratch.path + "/x.tar.zst")
        let zstd = try read(tree.scratch.path + "/x.tar.zst")
        #expect(Array(zstd[0..<4]) == [0x28, 0xB5, 0x2F, 0xFD], "not a zstd frame")
    }

    @Test func gnuTarListsSortedEntriesAndSha256sumChecksEveryFile() throws {
        let tree = try TreeFixture.standard()
        let file = tree.scratch.path + "/export.tar.gz"
        let summary = try tree.export(try tree.request(format: .tarGzip), to: file)
        guard let listing = try runTool("tar", ["-tvzf", file]) else {
            print("SKIPPED gnuTarListsSortedEntriesAndSha256sumChecksEveryFile: GNU tar is not installed (apt-get install tar)")
            return
        }
        #expect(listing.status == 0, "\(listing.error)")
        let top = "\(tree.tenantId)-2026-11/"
        let lines = listing.output.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.contains(" 0/0 ") }, "every entry is owned by 0/0")
        #expect(lines.allSatisfy { $0.hasPrefix("drwxr-x--- ") || $0.hasPrefix("-rw-r----- ") }, "fixed modes 0750/0640")
        let names = try #require(try runTool("tar", ["-tzf", file])).output.split(separator: "\n").map(String.init)
        #expect(names.first == top)
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "entries are not in byte order")
        // The metadata files sit between the numeric extension folders and the others.
        let exportIndex = try #require(names.firstIndex(of: top + "EXPORT.json"))
        #expect(names[exportIndex + 1] == top + "MANIFEST.jsonl" && names[exportIndex + 2] == top + "SHA256SUMS")
        #expect(names[exportIndex - 1].hasPrefix(top + "102/") && names[exportIndex + 3] == top + "_account/")
        #expect(names.contains(top + "id-400131034629/"))
        #expect(!names.contains { $0.contains("2026-12-01") || $0.contains("2026-10-31") }, "an item outside the period was exported")
        #expect(!names.contains { $0.contains(".ringlog") || $0.contains("manifest/") || $0.contains("logs/") || $0.contains("tenant.json") })
        #expect(names.filter { !$0.hasSuffix("/") }.count == summary.files + 3)

        let extract = tree.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        #expect(try #require(try runTool("tar", ["-xzf", file, "-C", extract])).status == 0)
        let checked = try #require(try runTool("sha256sum", ["-c", "--strict", "SHA256SUMS"], directory: extract + "/" + top))
        #expect(checked.status == 0, "\(checked.output)\(checked.error)")
        let okLines = checked.output.split(separator: "\n").filter { $0.hasSuffix(": OK") }
        #expect(okLines.count == summary.files + 2, "SHA256SUMS covers every file but itself")
        // Extracted item files are the tree's, byte for byte, with their item's start as mtime.
        for relative in tree.files where relative.contains("2026-11-") {
            #expect(try read(extract + "/" + top + relative) == read(tree.path(relative)), "\(relative)")
        }
        var info = stat()
        let recording = try #require(tree.files.first { $0.hasSuffix(".mp3") && $0.contains("20261103T091500Z") })
        #expect(stat(extract + "/" + top + recording, &info) == 0 && info.st_mtim.tv_sec == 1_793_697_300, "mtime is the call's start")
    }

    @Test func bsdtarReadsIt() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bsdtar") else {
            print("SKIPPED bsdtarReadsIt: bsdtar is not installed (apt-get install libarchive-tools)")
            return
        }
        let tree = try TreeFixture.standard()
        for format in ExportFormat.allCases {
            let file = tree.scratch.path + "/export.\(format.rawValue)"
            let summary = try tree.export(try tree.request(format: format), to: file)
            let listing = try #require(try runTool("bsdtar", ["-tf", file]))
            #expect(listing.status == 0, "\(format.rawValue): \(listing.error)")
            #expect(listing.output.split(separator: "\n").filter { !$0.hasSuffix("/") }.count == summary.files + 3)
            let extract = tree.scratch.path + "/bsd-\(format.rawValue)"
            try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
            let extracted = try #require(try runTool("bsdtar", ["-xf", file, "-C", extract]))
            #expect(extracted.status == 0, "\(extracted.error)")
            let checked = try #require(try runTool("sha256sum", ["-c", "--strict", "--quiet", "SHA256SUMS"],
                                                   directory: extract + "/\(tree.tenantId)-2026-11"))
            #expect(checked.status == 0, "\(checked.output)")
        }
    }

    @Test func pythonTarfileReadsItWithoutPerRunExtras() throws {
        guard let python = python3Path() else {
            print("SKIPPED pythonTarfileReadsItWithoutPerRunExtras: python3 is not installed")
            return
        }
        let tree = try TreeFixture.standard()
        // A 64-character call id gives a name over 100 bytes: the one field ustar cannot hold.
        let long = try tree.addCall(String(repeating: "aB", count: 32), start: "2026-11-08T08:00:00Z", folder: "id-400131034629",
                                    extensionId: "400131034629")
        let file = tree.scratch.path + "/export.tar.gz"
        _ = try tree.export(try tree.request(format: .tarGzip), to: file)
        let script = """
            import json, sys, tarfile, hashlib
            out = []
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    data = t.extractfile(m).read() if m.isfile() else b""
                    out.append({"name": m.name, "mode": m.mode, "uid": m.uid, "gid": m.gid, "uname": m.uname, "gname": m.gname,
                                "mtime": m.mtime, "pax": m.pax_headers, "sha": hashlib.sha256(data).hexdigest(), "type": m.type.decode()})
            print(json.dumps(out))
            """
        let result = try #require(try runTool(python.replacingOccurrences(of: "/usr/bin/", with: ""), ["-c", script, file]))
        #expect(result.status == 0, "\(result.error)")
        let members = try #require(try JSON.parse(result.output).arrayValue)
        #expect(members.count > 10)
        let top = "\(tree.tenantId)-2026-11/"
        for member in members {
            let name = member["name"]?.stringValue ?? ""
            #expect(member["uid"]?.int64Value == 0 && member["gid"]?.int64Value == 0 && member["uname"] == "" && member["gname"] == "", "\(name)")
            // Only the path may need a pax record; never atime, ctime, a pid or anything per run.
            let pax = member["pax"]?.objectValue?.members.map(\.key) ?? []
            #expect(pax.allSatisfy { $0 == "path" }, "\(name) has pax records \(pax)")
            #expect(!name.contains("PaxHeader"))
        }
        let longMember = try #require(members.first { $0["name"]?.stringValue == (top.dropLast() + "/" + long) })
        #expect(longMember["pax"]?["path"] != nil, "the long name travels in a pax path record")
        let sidecarSHA = SHA256Hasher.hex(of: try DurableFiles.read(tree.path(long)))
        #expect(longMember["sha"]?.stringValue == sidecarSHA)
        #expect(longMember["mtime"]?.int64Value == Timestamp(iso8601: "2026-11-08T08:00:00Z")!.millisecondsSinceEpoch / 1000)
        // The raw tar holds no per-run text.
        let raw = try #require(try runTool("gzip", ["-dc", file])).output
        #expect(!raw.contains("atime=") && !raw.contains("ctime=") && !raw.contains("LIBARCHIVE.") && !raw.contains("SCHILY."))
        // The extended header is named <dir>/PaxHeader/<name>: no process id (POSIX's %p) in it.
        #expect(raw.contains("PaxHeader/") && !raw.contains("PaxHeaders."))
    }

    @Test func periodsFollowTheItemStartInUTC() throws {
        let tree = try TreeFixture.standard()
        let november = try tree.export(try tree.request("2026-11"), to: tree.scratch.path + "/nov.tar")
        #expect(november.counts["calls"] == 5 && november.counts["voicemails"] == 1)
        let october = try tree.export(try tree.request("2026-10"), to: tree.scratch.path + "/oct.tar")
        #expect(october.counts["calls"] == 1, "23:59:59.999Z on Oct 31 is October")
        let year = try tree.export(try tree.request("2026"), to: tree.scratch.path + "/year.tar")
        #expect(year.counts["calls"] == 7)
        var days = try tree.request()
        days.period = try ExportPeriod.parse(from: "2026-11-03", to: "2026-11-05")
        let range = try tree.export(days, to: tree.scratch.path + "/days.tar")
        #expect(range.counts["calls"] == 4, "--to is included")
        #expect(range.topDirectory == "\(tree.tenantId)-2026-11-03_2026-11-05")
        #expect(throws: ConfigurationError.self) { try ExportPeriod.parse(period: "2026-13") }
        #expect(throws: ConfigurationError.self) { try ExportPeriod.parse(from: "2026-11-05", to: "2026-11-03") }
        #expect(throws: ConfigurationError.self) { try ExportPeriod.parse(from: "2026-02-30", to: "2026-03-01") }
    }

    @Test func selectionByKindAndExtension() throws {
        let tree = try TreeFixture.standard()
        var request = try tree.request()
        request.kinds = [.recordings]
        let recordings = try tree.export(request, to: tree.scratch.path + "/r.tar")
        #expect(recordings.counts["calls"] == 0 && recordings.counts["recordings"] == 5 && recordings.files == 5)
        request.kinds = [.voicemails]
        let voicemails = try tree.export(request, to: tree.scratch.path + "/v.tar")
        #expect(voicemails.files == 3)
        request.kinds = Set(ExportKind.allCases)
        request.extensionFolders = ["_account"]
        let account = try tree.export(request, to: tree.scratch.path + "/a.tar")
        #expect(account.files == 2)
        request.extensionFolders = ["999"]
        #expect { try tree.export(request, to: tree.scratch.path + "/none.tar") } throws: { error in
            "\(error)".contains("no extension folder \"999\"")
        }
        #expect(try ExportKind.parse(["calls,recordings"]) == [.calls, .recordings])
        #expect(throws: ConfigurationError.self) { try ExportKind.parse(["call"]) }
    }

    @Test func manifestHoldsExactlyTheExportedFilesLines() throws {
        let tree = try TreeFixture.standard()
        let extract = tree.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        _ = try tree.export(try tree.request(), to: tree.scratch.path + "/e.tar")
        #expect(try #require(try runTool("tar", ["-xf", tree.scratch.path + "/e.tar", "-C", extract])).status == 0)
        let top = extract + "/\(tree.tenantId)-2026-11/"
        let exported = Set(String(decoding: try read(top + "MANIFEST.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init))
        let tenantLines = try Manifest.currentLines(tenantDirectory: tree.tenantDirectory, month: "2026-11")
        #expect(exported == tenantLines, "MANIFEST.jsonl is the tenant's manifest lines of exactly these files")
        let info = try JSON.parse(try read(top + "EXPORT.json"))
        #expect(info["format"] == "ringlog-export" && info["tenantId"]?.stringValue == tree.tenantId)
        #expect(info["accountId"] == "400131000000" && info["policy"] == .null && info["exclusions"]?.int64Value == 0)
        #expect(info["counts"]?["manifestLines"]?.int64Value == Int64(exported.count))
    }

    @Test func revisionLinesKeepTheirOrder() throws {
        let tree = try TreeFixture.standard()
        let relative = try #require(tree.files.first { $0.contains("acct1") })
        let writer = try tree.store.openWriter(leaseSeconds: 30)
        var sidecar = try #require(try tree.store.loadSidecar(relative))
        for revision in 2...4 {
            let changed = sidecar.update(record: ["id": "acct1", "startTime": "2026-11-05T12:00:00Z", "result": .string("r\(revision)")],
                                         at: Timestamp(iso8601: "2026-11-0\(revision + 4)T00:00:00Z")!)
            #expect(changed)
        }
        try writer.saveSidecar(sidecar, at: relative, changed: true)
        writer.close()
        _ = try tree.export(try tree.request(), to: tree.scratch.path + "/r.tar")
        let manifest = try #require(try runTool("tar", ["-xOf", tree.scratch.path + "/r.tar", "\(tree.tenantId)-2026-11/MANIFEST.jsonl"])).output
        let revisions = try manifest.split(separator: "\n").map { try JSON.parse(String($0)) }
            .filter { $0["path"]?.stringValue == relative }.compactMap { $0["revision"]?.int64Value }
        #expect(revisions == [1, 2, 3, 4])
        #expect(tree.verify().status == .clean)
    }

    @Test func tombstonedAndExcludedItemsAreNeverExported() throws {
        let tree = try TreeFixture.standard()
        let recording = try #require(tree.files.first { $0.contains("20261103T100000Z") && $0.hasSuffix(".mp3") })
        try tree.appendTombstone(path: recording, kind: .recording)  // the purge's first step: the file is still there
        var context = ExportContext()
        context.isExcluded = { $0.item["callId"]?.stringValue == "acct1" }
        let summary = try tree.export(try tree.request(), to: tree.scratch.path + "/t.tar", context: context)
        #expect(summary.omittedTombstoned == 1 && summary.omittedExcluded == 1)
        let names = try #require(try runTool("tar", ["-tf", tree.scratch.path + "/t.tar"])).output
        #expect(!names.contains(DurableFiles.fileName(of: recording)))
        #expect(!names.contains("_account/"), "an excluded item left its folder in the tarball")
        // A removed, tombstoned file is not "missing" to the export.
        unlink(tree.path(recording))
        _ = try tree.export(try tree.request(), to: tree.scratch.path + "/t2.tar")
    }

    @Test func policyAndExclusionsAreReportedInExportJSON() throws {
        let tree = try TreeFixture.standard()
        try DurableFiles.writeAtomically(tree.path("policy.json"), Array(#"{"format": "ringlog-policy", "recordings": "7y"}"#.utf8))
        let rules = [#"{"event":"added","ruleId":"r1"}"#, #"{"event":"added","ruleId":"r2"}"#, #"{"event":"removed","ruleId":"r1"}"#]
        try DurableFiles.writeAtomically(tree.path("exclusions.jsonl"), Array((rules.joined(separator: "\n") + "\n").utf8))
        let extract = tree.scratch.path + "/x"
        try FileManager.default.createDirectory(atPath: extract, withIntermediateDirectories: true)
        _ = try tree.export(try tree.request(), to: tree.scratch.path + "/p.tar")
        #expect(try #require(try runTool("tar", ["-xf", tree.scratch.path + "/p.tar", "-C", extract])).status == 0)
        let info = try JSON.parse(try read(extract + "/\(tree.tenantId)-2026-11/EXPORT.json"))
        #expect(info["policy"]?["recordings"] == "7y")
        #expect(info["exclusions"]?.int64Value == 1)
    }

    @Test func damagedMediaStopsTheExportAndLeavesNothing() throws {
        let tree = try TreeFixture.standard()
        let recording = try #require(tree.files.first { $0.hasSuffix(".mp3") && $0.contains("_account") })
        try tree.flipBytes(recording)
        let file = tree.scratch.path + "/d.tar.gz"
        #expect { try tree.export(try tree.request(format: .tarGzip), to: file) } throws: { error in
            guard case ExportError.damaged(let path, let reason) = error else { return false }
            return path == recording && reason.contains("sha256")
        }
        #expect(!DurableFiles.exists(file))
        #expect(temporaries(in: tree.scratch.path).isEmpty, "a failed export left \(temporaries(in: tree.scratch.path))")
    }

    @Test func aMissingVoicemailOrTruncatedSidecarStopsTheExport() throws {
        let tree = try TreeFixture.standard()
        let audio = try #require(tree.files.first { $0.hasSuffix(".wav") })
        unlink(tree.path(audio))
        #expect { try tree.export(try tree.request(), to: tree.scratch.path + "/m.tar") } throws: { error in
            guard case ExportError.damaged(let path, _) = error else { return false }
            return path == audio
        }
        let other = try TreeFixture.standard()
        let sidecar = try #require(other.files.first { $0.contains("_call.") && $0.contains("2026-11-05") })
        truncate(other.path(sidecar), 100)
        #expect { try other.export(try other.request(), to: other.scratch.path + "/s.tar") } throws: { error in
            guard case ExportError.damaged(let path, _) = error else { return false }
            return path == sidecar
        }
        #expect(!DurableFiles.exists(other.scratch.path + "/s.tar"))
        // A voicemail deleted whole (sidecar, audio, transcription): only the manifest still knows it.
        let third = try TreeFixture.standard()
        let voicemail = third.files.filter { $0.contains("_vm.") }
        #expect(voicemail.count == 3)
        for file in voicemail { unlink(third.path(file)) }
        #expect { try third.export(try third.request(), to: third.scratch.path + "/v.tar") } throws: { error in
            guard case ExportError.damaged(let path, let reason) = error else { return false }
            return voicemail.contains(path) && reason.contains("manifest")
        }
    }

    @Test func refusesToReplaceAFileWithoutForce() throws {
        let tree = try TreeFixture.standard()
        let file = tree.scratch.path + "/e.tar"
        try DurableFiles.writeAtomically(file, Array("precious".utf8))
        #expect { try tree.export(try tree.request(), to: file) } throws: { error in
            guard case ExportError.refused(let reason) = error else { return false }
            return reason.contains("--force")
        }
        #expect(try read(file) == Array("precious".utf8))
        _ = try tree.export(try tree.request(), to: file, replacing: true)
        #expect(try read(file).count > 10_000)
        #expect { try tree.export(try tree.request(), to: tree.tenantDirectory + "/inside.tar") } throws: { error in
            "\(error)".contains("inside the tenant directory")
        }
    }

    @Test func hostileNamesInTheTreeAreNotExported() throws {
        let tree = try TreeFixture.standard()
        let day = tree.path("101/2026-11-03")
        for name in ["evil\nname.mp3", "20261103T091500Z_call.x.0.json.bak", "..json", "20261103T091500Z_1.mp3\u{1B}[2J", "café.wav"] {
            try DurableFiles.writeAtomically(day + "/" + name, Array("x".utf8))
        }
        symlink("/etc/passwd", day + "/20261103T091500Z_999.mp3")
        let summary = try tree.export(try tree.request(), to: tree.scratch.path + "/h.tar")
        let names = try #require(try runTool("tar", ["-tf", tree.scratch.path + "/h.tar"])).output
        #expect(!names.contains("evil") && !names.contains(".bak") && !names.contains("café") && !names.contains("_999.") && !names.contains("\u{1B}"))
        #expect(summary.files == 13)
    }
}
