import RinglogSupport

/// RingSense insights of one recording (the spec's RecordingInsights, getRecordingInsights), as they
/// are at an instant: absent until `createdAt`, then a first version, revised at `revisedAt` if any.
/// RingSense's event guide: "If the AI Notes was turned on for a call, there will be 2 events. The 1st
/// event is triggered by AI Notes, and the 2nd event is triggered by RingSense"
/// (developers.ringcentral.com/guide/notifications/event-filters/ringsense-event-filter): a revised
/// insight here first holds the AI Notes part (Transcript, CallNotes), then the full set.
struct SimInsight: Sendable {
    let recordingId: String
    let callId: String
    let ownerExtensionId: String
    let telephonySessionId: String
    let direction: String
    let recordingStart: Timestamp
    let recordingSeconds: Int
    let createdAt: Timestamp
    let revisedAt: Timestamp?
    let speakers: [SimParty]

    /// 1 for the first version, 2 once revised; nil before the insights exist.
    func revision(at now: Timestamp) -> Int? {
        guard createdAt <= now else { return nil }
        return revisedAt.map { $0 <= now ? 2 : 1 } ?? 1
    }

    /// The revisions the insight will have had once every change is past.
    var finalRevision: Int { revisedAt == nil ? 1 : 2 }

    static let allTypes = ["Transcript", "Summary", "Highlights", "NextSteps", "BulletedSummary", "AIScore", "CallNotes", "Sentiment"]
    static let lines = [
        "Thanks for calling, how can I help you today?", "I'm calling about my last invoice.",
        "Sure, let me pull up your account.", "It looks like there was a double charge.",
        "I can refund the second payment right away.", "Great, and can you email me the confirmation?",
        "Of course. Is there anything else?", "Could we also move the delivery to next week?",
        "Yes, I've scheduled it for Tuesday.", "Perfect, thank you so much.",
    ]

    /// The body served for revision `revision`, with only `types` (nil: all) under `insights`. Nothing
    /// in it depends on the simulator's host or port, so its sha256 is stable.
    func body(revision: Int, types: Set<String>?) -> JSON {
        var random = SeededRandom(seed: MediaBytes.fnv1a("insight " + recordingId))
        let speakerIds = speakers.indices.map { "p-\(10_000 + Int(MediaBytes.fnv1a(recordingId + String($0)) % 90_000))" }
        var transcript: [JSON] = []
        var at = 0.4
        let utterances = max(2, min(10, recordingSeconds / 20))
        let slot = Double(recordingSeconds) / Double(utterances)
        for index in 0..<utterances {
            let length = max(1.0, slot * (0.6 + 0.3 * random.unit()))
            transcript.append([
                "speakerId": .string(speakerIds[index % speakerIds.count]), "text": .string(SimInsight.lines[(index + random.int(0...2)) % SimInsight.lines.count]),
                "start": .number(Self.seconds(at)), "end": .number(Self.seconds(at + length)),
            ])
            at += slot
        }
        func span(_ index: Int) -> (JSON, JSON) {
            let item = transcript[min(index, transcript.count - 1)]
            return (item["start"] ?? .number("0"), item["end"] ?? .number("1"))
        }
        var insights = JSONObject()
        let full = revision >= finalRevision
        insights["Transcript"] = .array(transcript)
        if full {
            let (start, end) = span(0), (lastStart, lastEnd) = span(transcript.count - 1)
            insights["Summary"] = [["value": "The caller asked about a double charge on the last invoice; the agent refunded it and rescheduled the delivery.",
                                    "start": start, "end": lastEnd]]
            insights["Highlights"] = [["speakerId": .string(speakerIds[0]), "value": "I can refund the second payment right away.",
                                       "start": start, "end": end]]
            insights["NextSteps"] = [["speakerId": .string(speakerIds[0]), "value": "Email the refund confirmation to the caller.",
                                      "start": lastStart, "end": lastEnd]]
            insights["BulletedSummary"] = [["value": "Double charge refunded", "section": "Billing"],
                                           ["value": "Delivery moved to Tuesday", "section": "Logistics"]]
            insights["AIScore"] = [["value": .string(String(5 + random.int(0...4)))]]
        }
        insights["CallNotes"] = [["value": full ? "Refund issued; confirmation to be emailed; delivery rescheduled."
                                      : "AI Notes: caller reports a double charge; refund discussed."]]
        if full { insights["Sentiment"] = [["value": .string(random.pick(["Positive", "Neutral", "Negative"]))]] }
        if let types { insights = JSONObject(insights.members.filter { types.contains($0.key) }.map { ($0.key, $0.value) }) }

        var speakerInfo: [JSON] = []
        for (index, party) in speakers.enumerated() {
            var object = JSONObject()
            object["speakerId"] = .string(speakerIds[index])
            if let name = party.name { object["name"] = .string(name) }
            if let ext = party.extensionId { object["extensionId"] = .string(ext) }
            if let number = party.phoneNumber { object["phoneNumber"] = .string(number) }
            speakerInfo.append(.object(object))
        }
        let title = "Call from \(speakers.first?.name ?? speakers.first?.phoneNumber ?? "Unknown") to \(speakers.last?.name ?? speakers.last?.phoneNumber ?? "Unknown")"
        let uuid = SimInsight.uuid(recordingId)
        var object = JSONObject()
        object["title"] = .string(title)
        object["rsRecordUri"] = .string("https://ringsense.ringcentral.com/calls/\(uuid)")
        object["domain"] = "pbx"
        object["sourceRecordId"] = .string(recordingId)
        object["sourceSessionId"] = .string(telephonySessionId)
        object["callDirection"] = .string(direction)
        object["ownerExtensionId"] = .string(ownerExtensionId)
        object["recordingDurationMs"] = .int(recordingSeconds * 1000)
        object["recordingStartTime"] = .string(recordingStart.iso8601)
        object["creationTime"] = .string(createdAt.iso8601)
        object["lastModifiedTime"] = .string((revision == 2 ? revisedAt ?? createdAt : createdAt).iso8601)
        object["speakerInfo"] = .array(speakerInfo)
        object["insights"] = .object(insights)
        return .object(object)
    }

    static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func uuid(_ id: String) -> String {
        let hex = String(MediaBytes.fnv1a("a" + id), radix: 16) + String(MediaBytes.fnv1a("b" + id), radix: 16) + String(repeating: "0", count: 32)
        let digits = Array(hex.prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }.joined(separator: "-")
    }
}

extension SimAccount {
    /// Insights for a share of the recordings a user owns, 10 minutes to 6 hours after the recording
    /// is ready; a share of them revised 1 hour to 2 days later. A generator per recording.
    mutating func generateInsights(configuration: SimulatorConfiguration) {
        let settings = configuration.ringSense
        insights = []
        let users = Dictionary(uniqueKeysWithValues: extensions.filter { $0.type == "User" }.map { ($0.id, $0) })
        for recordingId in recordingIds {
            guard let position = callsByRecordingId[recordingId]?.first, let recording = calls[position].recording else { continue }
            let call = calls[position]
            var random = SeededRandom(seed: configuration.seed, 9, UInt64(index), MediaBytes.fnv1a(recordingId))
            let shareDraw = random.unit(), reviseDraw = random.unit()
            guard let owner = call.extensionId.flatMap({ users[$0] }), shareDraw < settings.insightsShare else { continue }
            let created = recording.readyAt.adding(seconds: Double(random.int(600...6 * 3600)))
            let revised = reviseDraw < settings.revisedShare ? created.adding(seconds: Double(random.int(3600...2 * 86_400))) : nil
            let local = SimParty(phoneNumber: nil, extensionNumber: owner.number, extensionId: owner.id, name: owner.name, location: nil)
            let other = call.direction == "Inbound" ? call.from : call.to
            let remote = SimParty(phoneNumber: other.phoneNumber, extensionNumber: nil, extensionId: other.extensionId,
                                  name: other.name, location: nil)
            insights.append(SimInsight(
                recordingId: recordingId, callId: call.id, ownerExtensionId: owner.id, telephonySessionId: call.telephonySessionId,
                direction: call.direction, recordingStart: call.start, recordingSeconds: recording.seconds, createdAt: created,
                revisedAt: revised, speakers: call.direction == "Inbound" ? [remote, local] : [local, remote]))
        }
        insightsByRecordingId = Dictionary(uniqueKeysWithValues: insights.enumerated().map { ($1.recordingId, $0) })
    }
}

extension EngineState {
    /// getRecordingInsights and getSessionInsights ([SPEC]: x-throttling-group Light, x-app-permission
    /// RingSense). RingSense's guide: "A RingSense license must be purchased and assigned to a user
    /// extension" (developers.ringcentral.com/guide/ai/ringsense); its event guide names the user
    /// permission ReadCompanyCallRecording.
    func insightsEndpoint(domain: String, id: String, session: Bool, request: SimRequest, token: AccessToken) -> SimResponse {
        let account = world.accounts[token.accountIndex]
        guard configuration.ringSense.licensed(token.accountIndex) else {
            // What RingCentral answers an account without the licence is not published: the guide's
            // documented 403 for a missing app permission, naming RingSense, is a guess at it.
            return .appPermissionRequired("RingSense")
        }
        guard account.isAdmin(token.extensionId) else { return .userPermissionRequired("ReadCompanyCallRecording") }
        guard ["pbx", "rcv", "rcx", "nice-incontact", "ms-teams"].contains(domain) else { return invalid("domain", domain) }
        var types: Set<String>?
        if request.parameter("insightTypes") != nil {
            let given = request.parameters("insightTypes")
            if let bad = given.first(where: { !SimInsight.allTypes.contains($0) }) { return invalid("insightTypes", bad) }
            types = Set(given)
        }
        let now = self.now
        // RingSense's 404 body is not published either: RingCentral's usual CMN-102 here.
        if session {
            let found = domain == "pbx" ? account.insights.filter { $0.telephonySessionId == id && $0.createdAt <= now } : []
            guard !found.isEmpty else { return notFound("sourceSessionId", id) }
            let records = found.compactMap { insight in insight.revision(at: now).map { insight.body(revision: $0, types: types) } }
            // SessionsInsightsResource: records and RSPagingModel (page, perPage, pageStart, pageEnd,
            // totalElements, sortableFields required).
            return .json(200, [
                "records": .array(records),
                "paging": [
                    "page": .int(1), "perPage": .int(max(1, records.count)), "pageStart": .int(0), "pageEnd": .int(records.count - 1),
                    "totalPages": .int(1), "totalElements": .int(records.count), "sortableFields": ["recordingStartTime"],
                ],
            ])
        }
        guard domain == "pbx", let position = account.insightsByRecordingId[id],
            let revision = account.insights[position].revision(at: now)
        else { return notFound("sourceRecordId", id) }
        return .json(200, account.insights[position].body(revision: revision, types: types))
    }

    /// The truth's `insight` items: each insight that exists now in a licensed account, with the
    /// sha256 and size of the body as served now (without insightTypes).
    mutating func insightTruth(_ account: SimAccount) -> [JSON] {
        guard configuration.ringSense.licensed(account.index) else { return [] }
        let now = self.now
        var items: [JSON] = []
        for insight in account.insights {
            guard let revision = insight.revision(at: now) else { continue }
            let digest = self.digest("insight/\(account.index)/\(insight.recordingId)/\(revision)") {
                insight.body(revision: revision, types: nil).serializedBytes()
            }
            items.append([
                "kind": "insight", "accountId": .string(account.id), "recordingId": .string(insight.recordingId),
                "callId": .string(insight.callId), "extensionId": .string(insight.ownerExtensionId),
                "extensionNumber": account.extensions.first { $0.id == insight.ownerExtensionId }?.number.map { .string($0) } ?? .null,
                "sourceSessionId": .string(insight.telephonySessionId), "revision": .int(revision),
                "finalRevision": .int(insight.finalRevision), "creationTime": .string(insight.createdAt.iso8601),
                "lastModifiedTime": .string((revision == 2 ? insight.revisedAt ?? insight.createdAt : insight.createdAt).iso8601),
                "revisedAt": insight.revisedAt.map { .string($0.iso8601) } ?? .null,
                "sha256": .string(digest.sha256), "size": .int(digest.size),
            ])
        }
        return items
    }
}
