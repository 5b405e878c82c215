import ArchiveStore
import RinglogSupport
import RinglogTestSupport
import Testing

let futureSidecar = """
    {"format": "ringlog-call", "layoutVersion": 1, "zNote": {"by": "auditor", "n": 1.50},
     "record": {"id": "Abc", "startTime": "2026-11-20T10:00:00.000Z", "result": "Accepted"},
     "archive": {"item": {"tenantId": "0123456789abcdef", "callId": "Abc", "extensionFolder": "101", "startTime": "2026-11-20T10:00:00.000Z",
                          "futureItemKey": [1, 2]},
                 "revision": 1, "archivedAt": "2026-11-20T11:00:00.000Z", "updatedAt": "2026-11-20T11:00:00.000Z",
                 "legalHold": {"case": "C-17"},
                 "media": [{"kind": "recording", "id": "1662272004", "file": "20261120T100000Z_1662272004.mp3", "sha256": "ab",
                            "size": 3, "contentType": "audio/mpeg", "archivedAt": "2026-11-20T11:00:00.000Z", "checkedAt": "2026-12-01"}],
                 "revisions": [{"revision": 1, "archivedAt": "2026-11-20T11:00:00.000Z", "lastModifiedTime": null, "reviewer": "kim"}],
                 "zzLast": true},
     "aTopLevelNote": "kept"}
    """

@Suite struct ForwardCompatibilityTests {
    @Test func everyUnknownKeyOfASidecarSurvivesARevisionWithItsValueAndOrder() throws {
        var sidecar = try Sidecar.parse(Array(futureSidecar.utf8), path: "101/2026-11-20/x.json")
        let newer = try JSON.parse(#"{"id": "Abc", "startTime": "2026-11-20T10:00:00.000Z", "result": "Missed"}"#)
        let changed = sidecar.update(record: newer, at: Timestamp.now())
        #expect(changed)
        let written = try JSON.parse(sidecar.bytes)
        #expect(written["zNote"] == (try JSON.parse(#"{"by": "auditor", "n": 1.50}"#)), "number literal 1.50 kept verbatim")
        #expect(written["aTopLevelNote"] == "kept")
        #expect(written.objectValue?.keys == ["format", "layoutVersion", "record", "archive", "zNote", "aTopLevelNote"])
        let archive = try #require(written["archive"]?.objectValue)
        #expect(archive["legalHold"] == (try JSON.parse(#"{"case": "C-17"}"#)) && archive["zzLast"] == .bool(true))
        #expect(Array(archive.keys.suffix(2)) == ["legalHold", "zzLast"])
        #expect(archive["item"]?["futureItemKey"] == (try JSON.parse("[1, 2]")))
        #expect(archive["media"]?[0]?["checkedAt"] == "2026-12-01")
        #expect(archive["revisions"]?[0]?["reviewer"] == "kim")
        #expect(archive["revisions"]?[0]?["record"]?["result"] == "Accepted")
        #expect(archive["revisions"]?[1]?["reviewer"] == nil)
        // And through a second parse and rewrite, nothing moves.
        #expect(try Sidecar.parse(sidecar.bytes, path: "x").bytes == sidecar.bytes)
    }

    @Test(arguments: ["2", "\"1\"", "null", "0"])
    func aSidecarOfAnotherLayoutVersionIsRefusedNamingTheFile(version: String) throws {
        let text = futureSidecar.replacingFirst(#""layoutVersion": 1"#, with: #""layoutVersion": "# + version)
        #expect { _ = try Sidecar.parse(Array(text.utf8), path: "101/2026-11-20/x.json") } throws: { error in
            "\(error)".contains("101/2026-11-20/x.json") && "\(error)".contains("layout version")
        }
    }

    @Test func controlFilesKeepUnknownKeysAndRefuseUnknownVersions() throws {
        let scratch = ScratchDirectory()
        let statePath = scratch.path + "/state.json"
        try DurableFiles.writeAtomically(statePath, Array("""
            {"format": "ringlog-state", "layoutVersion": 1, "note": {"x": 1},
             "callLog": {"syncToken": "t", "syncTime": "2026-11-20T10:00:00.000Z", "backfill": null, "highWaterMark": null, "shard": 7},
             "voicemail": {"101": {"syncToken": "v", "syncTime": null, "backfill": null, "highWaterMark": null, "extra": "y"},
                           "zzMeta": "not-a-stream", "aNote": {"by": "ops"}}}
            """.utf8))
        var state = try SyncState.load(statePath)
        state.callLog.syncToken = "t2"
        let written = try JSON.parse(state.bytes)
        #expect(written["note"] == (try JSON.parse(#"{"x": 1}"#)) && written["callLog"]?["shard"] == .int(7))
        #expect(written["voicemail"]?["101"]?["extra"] == "y" && written["callLog"]?["syncToken"] == "t2")
        let note = try JSON.parse(#"{"by": "ops"}"#)
        #expect(written["voicemail"]?["zzMeta"] == "not-a-stream" && written["voicemail"]?["aNote"] == note,
                "members of voicemail that are not extension streams are kept as they are")
        #expect(try SyncState.load(statePath).voicemail.keys.sorted() == ["101"])

        let pendingPath = scratch.path + "/pending.json"
        try DurableFiles.writeAtomically(pendingPath, Array("""
            {"format": "ringlog-pending", "layoutVersion": 1, "pending": [{"kind": "recording", "mediaId": "1", "sidecar": "a/b/c.json",
             "uri": "https://media.example/1", "startTime": "2026-11-20T10:00:00.000Z", "attempts": 1, "firstSeenAt": "2026-11-20T10:00:00.000Z",
             "nextAttemptAt": "2026-11-20T10:05:00.000Z", "lastError": "x", "ticket": "OPS-1"}], "quarantined": [], "owner": "ops"}
            """.utf8))
        let queue = try PendingQueue.load(pendingPath)
        let pendingJSON = try JSON.parse(queue.bytes)
        #expect(pendingJSON["owner"] == "ops" && pendingJSON["pending"]?[0]?["ticket"] == "OPS-1")

        for (path, format) in [(statePath, "ringlog-state"), (pendingPath, "ringlog-pending")] {
            let future = #"{"format": "\#(format)", "layoutVersion": 2}"#
            try DurableFiles.writeAtomically(path, Array(future.utf8))
            #expect { _ = try format == "ringlog-state" ? SyncState.load(path) as Any : PendingQueue.load(path) as Any } throws: { error in
                error is ControlFileError && "\(error)".contains(path) && "\(error)".contains("layout version 2")
            }
        }
    }

    @Test func theTenantMarkerKeepsUnknownKeysAndRefusesAFutureVersion() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let directory = root.tenantDirectory(tenant.tenantId)
        var json = try JSON.parse(DurableFiles.read(directory + "/tenant.json")).objectValue!
        json["retention"] = try JSON.parse(#"{"calls": "7y"}"#)
        try DurableFiles.writeAtomically(directory + "/tenant.json", JSON.object(json).serializedBytes(.pretty))
        var marker = try TenantMarker.read(from: directory)
        marker.accountId = "400000000008"
        #expect(try JSON.parse(marker.bytes)["retention"]?["calls"] == "7y")
        json["layoutVersion"] = 2
        try DurableFiles.writeAtomically(directory + "/tenant.json", JSON.object(json).serializedBytes(.pretty))
        #expect(throws: ControlFileError.self) { _ = try TenantMarker.read(from: directory) }
        #expect(throws: ControlFileError.self) { _ = try root.tenants(selecting: nil) }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
