import RinglogSupport
import Testing
@testable import RingSimulator

@Suite struct SimulatorDataTests {
    @Test func dataIsAPureFunctionOfTheSeed() throws {
        let first = try EngineDriver { $0.seed = 42 }.truth()
        let second = try EngineDriver { $0.seed = 42 }.truth()
        let other = try EngineDriver { $0.seed = 43 }.truth()
        #expect(first == second)
        #expect(first != other)
        #expect(EngineDriver { $0.seed = 42 }.credentials.jwt == EngineDriver { $0.seed = 42 }.credentials.jwt)
    }

    @Test func worldHasTheAwkwardCasesAnArchiverMustHandle() throws {
        let driver = EngineDriver { $0.days = 30; $0.callsPerDay = 60 }
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let ids = account.calls.map(\.id)
        #expect(Set(ids).count == ids.count, "call ids are unique (case-sensitively)")
        let folded = Dictionary(grouping: ids, by: { $0.lowercased() })
        #expect(folded.values.contains { $0.count > 1 }, "some call ids differ only in case")
        #expect(ids.contains { $0.contains("-") } && ids.contains { $0.contains("_") })
        #expect(account.messages.allSatisfy { Int64($0.id)! > 1 << 53 }, "message ids beyond 2^53")
        #expect(!account.messages.isEmpty)
        let numbers = account.calls.flatMap { [$0.from.phoneNumber, $0.to.phoneNumber] }
        #expect(numbers.contains { $0?.hasPrefix("+1") == true })
        #expect(numbers.contains { $0?.hasPrefix("1") == true })
        #expect(numbers.contains { $0?.hasPrefix("(") == true })
        #expect(numbers.contains { $0?.hasSuffix("XXXX") == true })
        #expect(account.calls.contains { $0.from.phoneNumber == nil || $0.to.phoneNumber == nil })
        #expect(account.extensions.contains { $0.number == nil })
        #expect(account.extensions.contains { $0.type == "Department" })
        #expect(account.calls.contains { $0.extensionId == nil }, "calls that belong to no extension")
        let recorded = Double(account.calls.filter { $0.recording != nil }.count) / Double(account.calls.count)
        #expect((0.2...0.4).contains(recorded), "about 30 % recorded, got \(recorded)")
        let recordings = account.calls.compactMap(\.recording)
        #expect(Set(recordings.map(\.type)) == ["Automatic", "OnDemand"])
        #expect(Set(recordings.map(\.contentType)) == ["audio/mpeg", "audio/wav"])
        #expect(Set(account.calls.map(\.direction)) == ["Inbound", "Outbound"])
        #expect(Set(account.calls.map(\.result)).isSuperset(of: ["Accepted", "Missed", "Voicemail", "Call connected"]))
        let hours = account.calls.map { $0.start.utc.hour }
        let business = hours.filter { (14..<22).contains($0) }.count
        #expect(Double(business) / Double(hours.count) > 0.8, "business-hours arrivals")
    }

    @Test func mediaIsValidAudio() throws {
        let mp3 = MediaBytes.mp3(id: "1662272004", seconds: 30)
        #expect(Array(mp3.prefix(3)) == Array("ID3".utf8))
        let tagSize = mp3[6..<10].reduce(0) { $0 << 7 | Int($1) }
        #expect(mp3[10 + tagSize] == 0xFF && mp3[11 + tagSize] & 0xE0 == 0xE0, "an MPEG frame sync follows the tag")
        let wav = MediaBytes.wav(id: "1662272004", seconds: 30)
        #expect(Array(wav.prefix(4)) == Array("RIFF".utf8) && Array(wav[8..<12]) == Array("WAVE".utf8))
        let riffSize = Int(wav[4]) | Int(wav[5]) << 8 | Int(wav[6]) << 16 | Int(wav[7]) << 24
        #expect(riffSize == wav.count - 8)
        #expect(MediaBytes.mp3(id: "a", seconds: 5) != MediaBytes.mp3(id: "b", seconds: 5))
        // Every RIFF chunk after "WAVE" is well-formed and word-aligned, ending exactly at the file's end,
        // and the PCM data is 8-bit samples around the midpoint (a quiet tone).
        for id in ["1662272004", "1662272005", "9007199254740993"] {
            let wav = MediaBytes.wav(id: id, seconds: 7)
            func le32(_ at: Int) -> Int { Int(wav[at]) | Int(wav[at + 1]) << 8 | Int(wav[at + 2]) << 16 | Int(wav[at + 3]) << 24 }
            #expect(le32(4) == wav.count - 8)
            var offset = 12, chunks: [String] = []
            while offset + 8 <= wav.count {
                let name = String(decoding: wav[offset..<offset + 4], as: UTF8.self), size = le32(offset + 4)
                chunks.append(name)
                if name == "fmt " {
                    #expect(size == 16 && wav[offset + 8] == 1 && wav[offset + 10] == 1 && le32(offset + 12) == 8000 && wav[offset + 22] == 8)
                }
                if name == "data" { #expect(wav[(offset + 8)..<(offset + 8 + size)].allSatisfy { (110...150).contains($0) }) }
                offset += 8 + size + size % 2
            }
            #expect(offset == wav.count, "chunks end at the end of the file")
            #expect(chunks.first == "fmt " && chunks.contains("data"), "\(chunks)")
        }
    }

    /// Two different media ids never share bytes: a file stored under another item's name (or a
    /// recording swapped with another) cannot pass a sha256 check by accident. With 24 tones, WAVs
    /// of the same length used to repeat.
    @Test func everyMediaFileOfTheWorldHasBytesOfItsOwn() throws {
        let driver = EngineDriver { $0.days = 14; $0.callsPerDay = 60; $0.accounts = 2 }
        let accounts = driver.engine.state.withLock { $0.world.accounts }
        var owners: [String: String] = [:]  // sha256 -> which media
        var counts: [String: Int] = [:]
        for account in accounts {
            // An internal call's two records share one recording: each distinct recording once.
            var seen = Set<String>()
            var media: [(String, [UInt8])] = account.calls.compactMap { call in
                guard let recording = call.recording, seen.insert(recording.id).inserted else { return nil }
                return ("recording \(account.index)/\(recording.id) \(recording.contentType)", recording.bytes)
            }
            for message in account.messages {
                // Two texts saying "OK" are the same bytes on RingCentral too: text bodies are left out.
                for attachment in message.attachments where !(message.type == .sms || message.type == .pager) || attachment.contentType != "text/plain" {
                    media.append(("\(message.type.rawValue) \(account.index)/\(attachment.id) \(attachment.contentType)", attachment.bytes))
                }
            }
            for (name, bytes) in media {
                counts[String(name.split(separator: " ")[0]), default: 0] += 1
                let digest = SHA256Hasher.hex(of: bytes)
                #expect(owners[digest] == nil, "\(name) has the same bytes as \(owners[digest] ?? "")")
                owners[digest] = owners[digest] ?? name
            }
        }
        #expect((counts["recording"] ?? 0) > 200 && (counts["VoiceMail"] ?? 0) > 20 && (counts["Fax"] ?? 0) > 20, "\(counts)")
        #expect(Set(accounts.flatMap { $0.calls.compactMap(\.recording?.contentType) }).contains("audio/wav"), "WAVs are among them")
        // And the bytes are a pure function of the id: the same id gives the same file.
        #expect(MediaBytes.wav(id: "1662272004", seconds: 30) == MediaBytes.wav(id: "1662272004", seconds: 30))
    }
}

@Suite struct SimulatorBehaviourTests {
    @Test func callLogPagesFollowNextPageWithoutTotals() throws {
        var driver = EngineDriver()
        try driver.login()
        var query: [(name: String, value: String)] = [("dateFrom", "2026-11-10T00:00:00Z"), ("perPage", "7")]
        var seen: [String] = []
        var pages = 0
        while true {
            let (status, page) = try driver.getJSON(driver.accountPath + "/call-log", query)
            #expect(status == 200)
            #expect(page["paging"]?["totalPages"] == nil && page["paging"]?["totalElements"] == nil)
            seen += page["records"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            pages += 1
            guard let next = page["navigation"]?["nextPage"]?["uri"]?.stringValue else { break }
            let rawQuery = String(next.split(separator: "?", maxSplits: 1)[1])
            query = rawQuery.split(separator: "&").map {
                let parts = $0.split(separator: "=", maxSplits: 1).map(String.init)
                return (percentDecode(parts[0]), percentDecode(parts[1]))
            }
        }
        let expected = try driver.truth().filter {
            $0["kind"] == "call" && Timestamp(iso8601: $0["startTime"]?.stringValue ?? "")! >= Timestamp(iso8601: "2026-11-10T00:00:00Z")!
        }
        #expect(pages > 1)
        #expect(seen.count == expected.count && Set(seen).count == seen.count)
    }

    @Test func callLogWithoutDateFromCoversOnlyTheLastDay() throws {
        var driver = EngineDriver { $0.days = 5 }
        try driver.login()
        let (_, page) = try driver.getJSON(driver.accountPath + "/call-log", [("perPage", "1000")])
        let starts = page["records"]?.arrayValue?.compactMap { Timestamp(iso8601: $0["startTime"]?.stringValue ?? "") } ?? []
        let cutoff = Timestamp(iso8601: "2026-11-19T23:00:00Z")!
        #expect(!starts.isEmpty && starts.allSatisfy { $0 >= cutoff })
    }

    @Test func fullSyncIsNewestFirstAndCappedAt250() throws {
        var driver = EngineDriver { $0.days = 20 }
        try driver.login()
        let (status, sync) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "250")])
        #expect(status == 200)
        let starts = sync["records"]?.arrayValue?.compactMap { Timestamp(iso8601: $0["startTime"]?.stringValue ?? "") } ?? []
        #expect(starts.count == 250)
        #expect(starts == starts.sorted(by: >))
        let tooMany = driver.get(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "251")])
        #expect(tooMany.status == 400)
        let missing = driver.get(driver.accountPath + "/call-log-sync", [("syncType", "FSync")])
        #expect(missing.status == 400)
        #expect(try JSON.parse(missing.body)["errors"]?[0]?["errorCode"] == "CMN-100")
    }

    @Test func incrementalSyncReturnsNewAndChangedCallsThenRejectsAfterExpiry() throws {
        var driver = EngineDriver()
        try driver.login()
        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "50")])
        let token = try #require(full["syncInfo"]?["syncToken"]?.stringValue)
        let (_, nothing) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        #expect(nothing["records"]?.arrayValue?.isEmpty == true, "a frozen clock changes nothing")
        _ = driver.post("/__sim/advance", [("seconds", "43200")])
        let (_, changes) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        let changed = changes["records"]?.arrayValue ?? []
        #expect(!changed.isEmpty)
        #expect(changed.contains { Timestamp(iso8601: $0["startTime"]?.stringValue ?? "")! > Timestamp(iso8601: "2026-11-20T23:00:00Z")! },
                "new calls arrive as the clock runs")
        _ = driver.post("/__sim/expire-sync-tokens")
        let expired = driver.get(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        #expect(expired.status == 400)
        #expect(try JSON.parse(expired.body)["errors"]?[0]?["errorCode"] == "CLG-101")
    }

    @Test func incrementalSyncOverTheLimitIsRefused() throws {
        var driver = EngineDriver { $0.futureDays = 10; $0.callsPerDay = 80 }
        try driver.login()
        let (_, full) = try driver.getJSON(driver.accountPath + "/call-log-sync", [("syncType", "FSync"), ("recordCount", "10")])
        let token = try #require(full["syncInfo"]?["syncToken"]?.stringValue)
        _ = driver.post("/__sim/advance", [("seconds", String(6 * 86_400))])
        let refused = driver.get(driver.accountPath + "/call-log-sync", [("syncType", "ISync"), ("syncToken", token)])
        #expect(refused.status == 400)
        let error = try JSON.parse(refused.body)["errors"]?[0]
        #expect(error?["parameterName"] == "syncToken")
        #expect(error?["message"]?.stringValue?.contains("max sync record number limit is exceeded") == true)
    }

    @Test func recordsChangeAfterTheCallAndContentIs404UntilReady() throws {
        var driver = EngineDriver()
        try driver.login()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        // A recorded call still ahead of the clock, with a delay between appearing and being ready.
        let call = try #require(account.calls.first { call in
            guard let recording = call.recording else { return false }
            return call.start > now && recording.readyAt > recording.appearsAt
        })
        let recording = try #require(call.recording)
        func advance(to instant: Timestamp) {
            let current = Timestamp(iso8601: try! JSON.parse(driver.get("/__sim/clock").body)["now"]!.stringValue!)!
            _ = driver.post("/__sim/advance", [("seconds", String(Double(instant.millisecondsSinceEpoch - current.millisecondsSinceEpoch) / 1000))])
        }
        advance(to: call.visibleAt)
        let (_, first) = try driver.getJSON(driver.accountPath + "/call-log/\(call.id)")
        #expect(first["recording"] == nil, "the recording appears minutes after the call")
        advance(to: recording.appearsAt)
        let (_, second) = try driver.getJSON(driver.accountPath + "/call-log/\(call.id)")
        #expect(second["recording"]?["id"]?.stringValue == recording.id)
        #expect(second["lastModifiedTime"] != first["lastModifiedTime"])
        #expect(driver.get(driver.accountPath + "/recording/\(recording.id)/content").status == 404)
        advance(to: recording.readyAt)
        let ready = driver.get(driver.accountPath + "/recording/\(recording.id)/content")
        #expect(ready.status == 302)
    }

    @Test func lateResultsAreFinalisedLater() throws {
        var driver = EngineDriver { $0.days = 10 }
        try driver.login()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        let call = try #require(account.calls.first { $0.finalizedAt.map { $0 > now } == true && $0.visibleAt <= now && $0.start < now }
            ?? account.calls.first { $0.finalizedAt != nil && $0.start > now })
        if call.visibleAt > now {
            _ = driver.post("/__sim/advance", [("seconds", String(Double(call.visibleAt.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 1000))])
        }
        let (_, before) = try driver.getJSON(driver.accountPath + "/call-log/\(call.id)")
        #expect(before["result"] == "In Progress")
        _ = driver.post("/__sim/advance", [("seconds", "86400")])
        let (_, after) = try driver.getJSON(driver.accountPath + "/call-log/\(call.id)")
        #expect(after["result"]?.stringValue == call.result)
    }

    @Test func rateLimitPenaltyIsRestartedByRequestsInsideIt() {
        var limiter = RateLimiter(timeScale: 60)  // window and penalty 1 s
        for index in 0..<10 { #expect(limiter.admit(principal: "a", group: .heavy, now: 0.01 * Double(index)).allowed) }
        let over = limiter.admit(principal: "a", group: .heavy, now: 0.2)
        #expect(!over.allowed && !over.inPenalty && over.retryAfter == 1)
        #expect(limiter.admit(principal: "a", group: .light, now: 0.2).allowed, "groups are independent")
        let inside = limiter.admit(principal: "a", group: .heavy, now: 1.1)
        #expect(!inside.allowed && inside.inPenalty, "1.1 s is inside the penalty that began at 0.2 s")
        #expect(limiter.admit(principal: "a", group: .heavy, now: 2.0).inPenalty, "and that request restarted it until 2.1 s")
        #expect(limiter.admit(principal: "a", group: .heavy, now: 3.1).allowed)
        #expect(limiter.admit(principal: "b", group: .heavy, now: 3.1).allowed, "principals are independent")
    }

    @Test func everyResponseCarriesRateLimitHeaders() throws {
        var driver = EngineDriver { $0.timeScale = 60 }
        try driver.login()
        let response = driver.get(driver.accountPath + "/call-log")
        let headers = Dictionary(uniqueKeysWithValues: response.headers.map { ($0.name, $0.value) })
        #expect(headers["X-Rate-Limit-Group"] == "heavy")
        #expect(headers["X-Rate-Limit-Limit"] == "10")
        #expect(headers["X-Rate-Limit-Remaining"] == "9")
        #expect(headers["X-Rate-Limit-Window"] == "1")
        let notFound = driver.get(driver.accountPath + "/extension/1/message-store")
        #expect(Dictionary(uniqueKeysWithValues: notFound.headers.map { ($0.name, $0.value) })["X-Rate-Limit-Group"] == "light")
    }

    @Test func oauthRefusesWrongClientAndUnauthenticatedRequests() throws {
        let driver = EngineDriver()
        let wrongSecret = driver.tokenRequest(clientSecret: "nope")
        #expect(wrongSecret.status == 400)
        let body = try JSON.parse(wrongSecret.body)
        // RingCentral's captured shape: OAU-153 naming the client id in errors[].parameters[].
        #expect(body["error"] == "invalid_client" && body["errors"]?[0]?["errorCode"] == "OAU-153")
        #expect(body["errors"]?[0]?["parameters"]?[0]?["parameterValue"]?.stringValue == driver.credentials.clientId)
        #expect(body["error_description"]?.stringValue == "Invalid client: \(driver.credentials.clientId)")
        let anonymous = driver.get(driver.accountPath)
        #expect(anonymous.status == 401)
        #expect(try JSON.parse(anonymous.body)["errors"]?[0]?["errorCode"] != nil)
    }

    @Test func faultsCanBeSwitchedAtRunTimeAndTypoesAreRefused() throws {
        var driver = EngineDriver()
        try driver.login()
        #expect(driver.post("/__sim/faults", body: #"{"serverErrorShare": 1}"#).status == 200)
        let failing = driver.get(driver.accountPath)
        #expect([500, 503].contains(failing.status))
        #expect(driver.post("/__sim/faults", body: #"{"serverErrorShar": 1}"#).status == 400)
        #expect(driver.post("/__sim/faults", body: "{}").status == 200)
        #expect(driver.get(driver.accountPath).status == 200)
    }
}
