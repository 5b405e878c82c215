import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The client against the simulator over loopback, through libcurl, for every endpoint.
@Suite struct ClientEndpointTests {
    @Test func accountAndExtensionsFollowNextPage() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        let account = try await blocking { try client.accountInfo() }
        #expect(account.id == sim.accountId)
        let extensions = try await blocking { try client.extensions(perPage: 2) }
        #expect(extensions.count == 9)  // 6 users, 2 departments, 1 without a number
        #expect(Set(extensions.map(\.id)).count == 9)
        #expect(extensions.contains { $0.extensionNumber == nil })
        #expect(sim.stats["groups"]?["Medium"]?["requests"]?.int == 5, "9 extensions at 2 per page: 5 pages")
        #expect(extensions[0].raw["contact"] != nil, "unknown-to-ringlog fields are kept verbatim")
    }

    @Test func callLogListReturnsEveryCallOnceAcrossPages() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        let from = Timestamp(iso8601: "2026-11-13T00:00:00Z")!, to = Timestamp(iso8601: "2026-11-21T00:00:00Z")!
        let records = try await blocking { try client.callLog(dateFrom: from, dateTo: to, perPage: 37) }
        let expected = sim.truth.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue }
        #expect(records.count == expected.count)
        #expect(Set(records.map(\.id)) == Set(expected))
        #expect(records.contains { $0.recording != nil } && records.contains { $0.extensionId == nil })
        let heavy = sim.stats["groups"]?["Heavy"]?["requests"]?.int ?? 0
        #expect(heavy == (expected.count + 36) / 37, "one request per page, no totalPages needed")
    }

    @Test func callLogSyncFullThenIncrementalThenTypedRejection() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        let full = try await blocking { try client.callLogSync(.full(recordCount: 250, dateFrom: nil)) }
        #expect(full.syncType == "FSync" && full.records.count <= 250 && !full.records.isEmpty)
        sim.advance(seconds: 6 * 3600)
        let incremental = try await blocking { try client.callLogSync(.incremental(syncToken: full.syncToken)) }
        #expect(incremental.syncType == "ISync" && !incremental.records.isEmpty)
        #expect(incremental.syncTime > full.syncTime)
        sim.expireSyncTokens()
        await #expect {
            _ = try await blocking { try client.callLogSync(.incremental(syncToken: incremental.syncToken)) }
        } throws: { error in
            guard case RingCentralError.syncTokenRejected(let body, _) = error else { return false }
            return body?.codes.contains("CLG-101") == true
        }
    }

    @Test func tooManyChangesRejectTheTokenAsRecoverable() async throws {
        let sim = try await LiveSimulator.start { $0.callsPerDay = 80; $0.futureDays = 8 }
        let client = sim.client()
        let full = try await blocking { try client.callLogSync(.full(recordCount: 10, dateFrom: nil)) }
        sim.advance(seconds: 6 * 86_400)
        await #expect {
            _ = try await blocking { try client.callLogSync(.incremental(syncToken: full.syncToken)) }
        } throws: { error in
            if case RingCentralError.syncTokenRejected = error { return true }
            return false
        }
    }

    @Test func voicemailsThroughSyncAndListWithAttachments() async throws {
        let sim = try await LiveSimulator.start { $0.days = 14 }
        let client = sim.client()
        let truthItems = sim.truth
        let voicemail = try #require(truthItems.first { $0["kind"] == "voicemail" })
        let extensionId = try #require(voicemail["extensionId"]?.stringValue)
        let expected = Set(truthItems.filter { $0["kind"] == "voicemail" && $0["extensionId"] == voicemail["extensionId"] }
            .compactMap { $0["messageId"]?.stringValue })
        let listed = try await blocking {
            try client.voicemails(extensionId: extensionId, dateFrom: Timestamp(iso8601: "2026-11-01T00:00:00Z")!,
                                  dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!, perPage: 2)
        }
        #expect(Set(listed.map(\.id)) == expected)
        #expect(listed.allSatisfy { Int64($0.id)! > 1 << 53 }, "ids beyond 2^53 kept exactly")
        let synced = try await blocking {
            try client.voicemailSync(extensionId: extensionId, .full(recordCount: 500, dateFrom: Timestamp(iso8601: "2026-11-01T00:00:00Z")!))
        }
        #expect(Set(synced.records.map(\.id)) == expected)
        sim.expireSyncTokens()
        await #expect {
            _ = try await blocking { try client.voicemailSync(extensionId: extensionId, .incremental(syncToken: synced.syncToken)) }
        } throws: { error in
            guard case RingCentralError.syncTokenRejected(let body, _) = error else { return false }
            return body?.codes.contains("MSG-333") == true
        }
        // Audio and transcription stream to disk with the sha256 the simulator expects.
        let message = try #require(listed.first { $0.id == voicemail["messageId"]?.stringValue })
        for attachment in message.attachments {
            let truth = try #require(truthItems.first { $0["attachmentId"]?.stringValue == attachment.id })
            let file = temporaryFile()
            defer { close(file.descriptor); unlink(file.path) }
            let download = try await blocking { try client.downloadAttachment(uri: attachment.uri, to: file.descriptor) }
            #expect(download.sha256 == truth["sha256"]?.stringValue)
            #expect(download.bytes == truth["size"]?.int64Value)
            #expect(download.contentType == truth["contentType"]?.stringValue)
        }
    }

    @Test func recordingsStreamToDiskFollowingTheMediaRedirect() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        let records = try await blocking {
            try client.callLog(dateFrom: Timestamp(iso8601: "2026-11-13T00:00:00Z")!, dateTo: Timestamp(iso8601: "2026-11-21T00:00:00Z")!)
        }
        let recorded = records.compactMap(\.recording)
        #expect(recorded.count >= 5)
        var contentTypes = Set<String>()
        let truthItems = sim.truth
        for recording in recorded.prefix(12) {
            let truth = try #require(truthItems.first { $0["recordingId"]?.stringValue == recording.id })
            let file = temporaryFile()
            defer { close(file.descriptor); unlink(file.path) }
            let download = try await blocking { try client.downloadRecording(contentURI: recording.contentURI, to: file.descriptor) }
            #expect(download.sha256 == truth["sha256"]?.stringValue)
            #expect(download.bytes == truth["size"]?.int64Value)
            #expect(Int64(lseek(file.descriptor, 0, SEEK_END)) == download.bytes)
            #expect(download.effectiveURL.contains("/__media/recording/"), "the 302 to the media URL was followed")
            contentTypes.insert(download.contentType ?? "")
        }
        #expect(contentTypes == ["audio/mpeg", "audio/wav"])
    }

    @Test func contentThatIsNotReadyIsA404AndLeavesTheFileEmpty() async throws {
        let sim = try await LiveSimulator.start()
        let client = sim.client()
        let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        func instant(_ item: JSON, _ key: String) -> Timestamp { Timestamp(iso8601: item[key]?.stringValue ?? "")! }
        let recording = try #require(sim.recordingSchedule.first { instant($0, "appearsAt") > start && instant($0, "readyAt") > instant($0, "appearsAt") })
        let appearsAt = instant(recording, "appearsAt"), readyAt = instant(recording, "readyAt")
        sim.advance(seconds: Double(appearsAt.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 1000)
        let contentURI = try #require(recording["contentUri"]?.stringValue)
        let file = temporaryFile()
        defer { close(file.descriptor); unlink(file.path) }
        await #expect {
            _ = try await blocking { try client.downloadRecording(contentURI: contentURI, to: file.descriptor) }
        } throws: { error in
            guard case RingCentralError.http(404, let body, _) = error else { return false }
            return body?.codes.contains("CMN-102") == true
        }
        #expect(lseek(file.descriptor, 0, SEEK_END) == 0, "an error body never lands in the media file")
        sim.advance(seconds: Double(readyAt.millisecondsSinceEpoch - appearsAt.millisecondsSinceEpoch) / 1000)
        let download = try await blocking { try client.downloadRecording(contentURI: contentURI, to: file.descriptor) }
        let truth = try #require(sim.truth.first { $0["recordingId"] == recording["recordingId"] })
        #expect(download.sha256 == truth["sha256"]?.stringValue)
    }
}
