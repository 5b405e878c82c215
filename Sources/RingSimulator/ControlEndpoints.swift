import RinglogSupport

/// Simulator-only endpoints under `/__sim/` (ground truth, statistics, clock and fault control) and
/// the media host behind content redirects under `/__media/`.
extension EngineState {
    mutating func control(_ request: SimRequest) -> SimResponse {
        switch (request.method, request.path) {
        case ("GET", "/__sim/truth"): return .json(200, truth(accountId: request.parameter("account")))
        case ("GET", "/__sim/stats"): return .json(200, stats())
        case ("GET", "/__sim/clock"): return .json(200, ["now": .string(now.iso8601)])
        case ("GET", "/__sim/recordings"): return .json(200, recordingSchedule())
        case ("POST", "/__sim/advance"):
            guard let text = request.parameter("seconds"), let seconds = Double(text), seconds >= 0 else {
                return .apiError(400, code: "SIM-1", message: "advance needs seconds=N (N >= 0)")
            }
            offsetMilliseconds += Int64(seconds * 1000)
            return .json(200, ["now": .string(now.iso8601)])
        case ("POST", "/__sim/expire-sync-tokens"):
            // Every sync token issued so far becomes invalid: CLG-101 for call log, MSG-333 for messages.
            syncGeneration = syncGeneration.map { $0 + 1 }
            return .json(200, ["expired": true])
        case ("POST", "/__sim/next-error"): return queueInjectedError(request)
        case ("POST", "/__sim/faults"):
            let parsed: JSON
            do { parsed = try JSON.parse(request.body) } catch {
                return .apiError(400, code: "SIM-2", message: "faults body: \(error)")
            }
            do { faults = try FaultSettings(json: parsed) } catch {
                return .apiError(400, code: "SIM-3", message: error.description)
            }
            return .json(200, faults.json)
        default:
            return .apiError(404, code: "CMN-120", message: "Resource for parameter [uri] is not found")
        }
    }

    /// `/__media/{recording|attachment}/{accountIndex}/{id}`: needs the same bearer token as the API,
    /// and is not counted again (the API request that redirected here was).
    func media(_ request: SimRequest) -> SimResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 4, let accountIndex = Int(parts[2]), world.accounts.indices.contains(accountIndex) else {
            return .apiError(404, code: "CMN-102", message: "Resource for parameter [uri] is not found")
        }
        guard let (_, token) = authenticate(request), token.accountIndex == accountIndex else {
            return unauthenticated(request)
        }
        let account = world.accounts[accountIndex]
        switch parts[1] {
        case "recording":
            guard let recording = visibleRecording(account, parts[3]), recording.readyAt <= now else { return notFound("recordingId", parts[3]) }
            return SimResponse(status: 200, headers: [("Content-Type", recording.contentType)], body: recording.bytes)
        case "attachment":
            let ids = parts[3].split(separator: ".").map(String.init)
            guard ids.count == 2, let position = account.messagesById[ids[0]], account.messages[position].created <= now else {
                return notFound("messageId", parts[3])
            }
            let message = account.messages[position]
            guard mayReadMailbox(message.extensionId, token: token) else { return .anotherExtension() }
            guard let attachment = message.attachments(at: now).first(where: { $0.id == ids[1] }) else { return notFound("attachmentId", ids[1]) }
            return SimResponse(status: 200, headers: [("Content-Type", attachment.contentType)], body: attachment.bytes)
        default:
            return notFound("uri", request.path)
        }
    }

    /// Every item an archiver should hold at the current simulated instant.
    mutating func truth(accountId: String?) -> JSON {
        let now = self.now
        var items: [JSON] = []
        for account in world.accounts where accountId == nil || accountId == account.id {
            let numbers = Dictionary(uniqueKeysWithValues: account.extensions.map { ($0.id, $0.number) })
            func base(_ kind: String, callId: String, extensionId: String?, start: Timestamp) -> JSONObject {
                var object = JSONObject()
                object["kind"] = .string(kind)
                object["accountId"] = .string(account.id)
                object["callId"] = .string(callId)
                object["extensionId"] = extensionId.map { .string($0) } ?? .null
                object["extensionNumber"] = extensionId.flatMap { numbers[$0] ?? nil }.map { .string($0) } ?? .null
                object["startTime"] = .string(start.iso8601)
                return object
            }
            for (position, call) in account.calls.enumerated() where call.visibleAt <= now {
                var record = base("call", callId: call.id, extensionId: call.extensionId, start: call.start)
                record["telephonySessionId"] = .string(call.telephonySessionId)
                // The recordings this record references that an archiver should hold now.
                let ready = call.recording.map { $0.readyAt <= now ? [$0.id] : [] } ?? []
                record["recordingIds"] = .array(ready.map { .string($0) })
                items.append(.object(record))
                // Each distinct recording once, after the first record that references it, naming every
                // record that does (`callId` is the first of `callIds`).
                guard let recording = call.recording, recording.readyAt <= now,
                    let referencing = account.callsByRecordingId[recording.id], referencing.first == position
                else { continue }
                var object = base("recording", callId: call.id, extensionId: call.extensionId, start: call.start)
                let digest = self.digest("recording/\(account.index)/\(recording.id)") { recording.bytes }
                object["recordingId"] = .string(recording.id)
                object["callIds"] = .array(referencing.map { .string(account.calls[$0].id) })
                object["contentType"] = .string(recording.contentType)
                object["sha256"] = .string(digest.sha256)
                object["size"] = .int(digest.size)
                items.append(.object(object))
            }
            for message in account.messages where message.type == .voiceMail {
                // The voicemail kinds as before (audio and transcription, also in their older shape
                // without `type`), while RingCentral still serves them: not once purged.
                guard let state = message.state(at: now), state.availability != "Purged" else { continue }
                let start = message.callId.flatMap { account.callsById[$0] }.map { account.calls[$0].start } ?? message.created
                for attachment in message.attachments(at: now) {
                    guard let kind = MessageTruth.voicemailKind(attachment) else { continue }
                    var object = base(kind, callId: message.callId ?? "", extensionId: message.extensionId, start: start)
                    object["messageId"] = .string(message.id)
                    object["attachmentId"] = .string(attachment.id)
                    object["contentType"] = .string(attachment.contentType)
                    let digest = self.digest("attachment/\(account.index)/\(attachment.id)") { attachment.bytes }
                    object["sha256"] = .string(digest.sha256)
                    object["size"] = .int(digest.size)
                    items.append(.object(object))
                }
            }
            items += messageTruth(account, numbers: numbers)
            items += insightTruth(account)
        }
        // Which accounts hold the RingSense licence: an archive of an unlicensed one has no insights.
        let accounts: [JSON] = world.accounts.filter { accountId == nil || accountId == $0.id }.map {
            ["accountId": .string($0.id), "ringSenseLicensed": .bool(configuration.ringSense.licensed($0.index))]
        }
        return ["now": .string(now.iso8601), "items": .array(items), "accounts": .array(accounts)]
    }

    /// Every recording of every call, including those not visible yet: when the `recording` object
    /// appears on the call and when its content stops answering 404. Lets tests aim at those moments.
    func recordingSchedule() -> JSON {
        var items: [JSON] = []
        for account in world.accounts {
            for recordingId in account.recordingIds {
                guard let referencing = account.callsByRecordingId[recordingId], let first = referencing.first,
                    let recording = account.calls[first].recording
                else { continue }
                let call = account.calls[first]
                items.append([
                    "accountId": .string(account.id), "callId": .string(call.id),
                    "callIds": .array(referencing.map { .string(account.calls[$0].id) }), "recordingId": .string(recording.id),
                    "startTime": .string(call.start.iso8601), "appearsAt": .string(recording.appearsAt.iso8601),
                    "readyAt": .string(recording.readyAt.iso8601),
                    "contentUri": .string("\(mediaURL)/restapi/v1.0/account/\(account.id)/recording/\(recording.id)/content"),
                ])
            }
        }
        return ["now": .string(now.iso8601), "items": .array(items)]
    }

    /// Media bytes are a pure function of the id, so their digests are computed once and kept.
    mutating func digest(_ key: String, _ bytes: () -> [UInt8]) -> (sha256: String, size: Int) {
        if let known = digestCache[key] { return known }
        let content = bytes()
        let digest = (SHA256Hasher.hex(of: content), content.count)
        digestCache[key] = digest
        return digest
    }

    func stats() -> JSON {
        var groups = JSONObject()
        var total = 0, throttled = 0, inPenalty = 0
        for group in RateGroup.allCases {
            let stats = groupStats[group] ?? GroupStats()
            total += stats.requests
            throttled += stats.throttled
            inPenalty += stats.inPenalty
            groups[group.rawValue] = ["requests": .int(stats.requests), "429s": .int(stats.throttled), "inPenalty": .int(stats.inPenalty)]
        }
        var faultsInjected = JSONObject()
        for key in faultCounts.keys.sorted() { faultsInjected[key] = .int(faultCounts[key] ?? 0) }
        return [
            "requests": .int(total),
            "429s": .int(throttled),
            "requestsInPenalty": .int(inPenalty),
            "groups": .object(groups),
            "logins": .int(authLogins),
            "revocations": .int(revocations),
            "unauthorized": .int(unauthorized),
            "faultsInjected": .object(faultsInjected),
            "window": .number(formatSeconds(rateLimiter.window(.heavy))),
        ]
    }
}
