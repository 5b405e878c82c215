import RinglogSupport

/// The simulated accounts and everything that happens in them, generated once from the seed.
/// Every record carries the instants at which it changes, so the state at any clock reading is a
/// pure function of the world and the time.
struct World: Sendable {
    var accounts: [SimAccount]

    init(configuration: SimulatorConfiguration, start: Timestamp) {
        accounts = (0..<configuration.accounts).map { index in
            SimAccount.generate(index: index, configuration: configuration, start: start)
        }
    }
}

struct SimAccount: Sendable {
    let index: Int
    let id: String
    let mainNumber: String
    let clientId: String
    let clientSecret: String
    let jwt: String
    /// The extension the JWT logs in as (the account's first user, an admin).
    let ownerExtensionId: String
    /// A JWT per User extension (the owner's is `jwt`), for per-mailbox logins with the same app.
    var extensionJwts: [(extensionId: String, jwt: String)] = []
    var extensions: [SimExtension]
    var calls: [SimCall]
    var messages: [SimMessage]
    var callsById: [String: Int] = [:]
    /// Every record that references each recording, in generation (chronological) order: the first
    /// is the record an archiver meets first.
    var callsByRecordingId: [String: [Int]] = [:]
    var messagesById: [String: Int] = [:]
    /// RingSense insights, one per recording that has them.
    var insights: [SimInsight] = []
    var insightsByRecordingId: [String: Int] = [:]

    /// The extension a JWT logs in as, if it is one of this account's.
    func user(forJWT assertion: String?) -> String? {
        guard let assertion else { return nil }
        return extensionJwts.first { $0.jwt == assertion }?.extensionId
    }

    /// Only the owner (the account's admin) holds company-wide permissions such as FullCompanyCallLog.
    func isAdmin(_ extensionId: String) -> Bool { extensionId == ownerExtensionId }

    /// Distinct recording ids in the order of their first record.
    var recordingIds: [String] = []
}

struct SimExtension: Sendable {
    let id: String
    var number: String?
    let name: String
    let type: String
    let status: String
    let firstName: String?
    let lastName: String?
}

struct SimParty: Sendable {
    var phoneNumber: String?
    var extensionNumber: String?
    var extensionId: String?
    var name: String?
    var location: String?
}

struct SimRecording: Sendable {
    let id: String
    let type: String  // Automatic | OnDemand
    let contentType: String  // audio/mpeg | audio/wav
    /// When the `recording` object appears on the call record.
    let appearsAt: Timestamp
    /// When content stops answering 404.
    let readyAt: Timestamp
    let seconds: Int

    var bytes: [UInt8] {
        contentType == "audio/mpeg" ? MediaBytes.mp3(id: id, seconds: seconds) : MediaBytes.wav(id: id, seconds: seconds)
    }
}

/// Where a record's recording shows in the Detailed view (RingCentral's payloads have all three).
enum RecordingPlacement: Sendable, Equatable {
    /// On the record and its master leg (the simulator's usual case).
    case masterLeg
    /// Only on a non-master leg: neither the record nor the master leg has `recording`, in either view
    /// (Simple is the record without its legs, as the guide's Simple and Detailed copies of one call
    /// show: the same top-level fields, Detailed adding `legs`).
    case nonMasterLegOnly
    /// The same `recording` object on the record and on every leg
    /// ([EX:call-log-list-response-detailed.jsonc], record VgLcd1KWffJVzUA).
    case everyLeg
}

/// One part of a transferred call: RingCentral lists each part as a record of its own (distinct `id`),
/// all sharing the call's `telephonySessionId` and `sessionId`, each with its own recording.
struct TransferPart: Sendable, Equatable {
    /// 0 for the call as it arrived, 1... for the extensions it was transferred to.
    let index: Int
    let count: Int
}

struct SimCall: Sendable {
    let id: String
    var sessionId: String
    var telephonySessionId: String
    var start: Timestamp
    var durationSeconds: Int
    var direction: String
    var action: String
    let transport: String
    /// The result shown until `finalizedAt`, if the call is finalised late.
    let provisionalResult: String?
    let result: String
    let reason: String?
    let finalizedAt: Timestamp?
    var from: SimParty
    var to: SimParty
    var extensionId: String?
    var recording: SimRecording?
    let messageId: String?
    var recordingPlacement = RecordingPlacement.masterLeg
    /// CallTypeEnum: `Voice`, or `Fax` for the call-log record of a fax (its `message` the fax).
    var callType = "Voice"
    /// `extension` only on the legs (`{id, uri}`), none on the record
    /// ([EX:call-log-record-detailed-inbound.jsonc]: the record has none, its legs do).
    var extensionOnLegsOnly = false
    var transfer: TransferPart?
    /// The other side of an internal call listed twice (caller's and callee's record, one recording).
    var internalPeerCallId: String?

    var end: Timestamp { start.adding(seconds: Double(durationSeconds)) }
    /// RingCentral shows a finished call 15-30 s after it ends.
    var visibleAt: Timestamp { end.adding(seconds: 20) }

    /// Instants at which the record changes (ascending).
    var changeTimes: [Timestamp] {
        var times = [visibleAt]
        if let recording { times.append(recording.appearsAt) }
        if let finalizedAt { times.append(finalizedAt) }
        return times.sorted()
    }

    func lastModified(at now: Timestamp) -> Timestamp? { changeTimes.last { $0 <= now } }
}

// MARK: - Generation

extension SimAccount {
    static func generate(index: Int, configuration: SimulatorConfiguration, start: Timestamp) -> SimAccount {
        let seed = configuration.seed
        var random = SeededRandom(seed: seed, 1, UInt64(index))
        let accountNumber = 400_131_000_000 + Int64(index) * 1_000_000 + Int64(random.int(1000...9999)) * 10 + 8
        let id = String(accountNumber)
        var extensions: [SimExtension] = []
        let firstNames = ["Alex", "Sam", "Jordan", "Priya", "Chen", "Maria", "Olu", "Noor", "Ines", "Tomas", "Yuki", "Lena"]
        let lastNames = ["Kim", "Garcia", "Okafor", "Novak", "Silva", "Haddad", "Berg", "Ito", "Dubois", "Patel"]
        var nextExtensionId = accountNumber + 1
        for user in 0..<max(1, configuration.usersPerAccount) {
            let first = random.pick(firstNames), last = random.pick(lastNames)
            extensions.append(SimExtension(id: String(nextExtensionId), number: String(101 + user), name: "\(first) \(last)",
                                           type: "User", status: "Enabled", firstName: first, lastName: last))
            nextExtensionId += Int64(random.int(1...40))
        }
        for (offset, name) in ["Sales Queue", "Support Queue"].enumerated() {
            extensions.append(SimExtension(id: String(nextExtensionId), number: String(801 + offset), name: name,
                                           type: "Department", status: "Enabled", firstName: nil, lastName: nil))
            nextExtensionId += Int64(random.int(1...40))
        }
        shareExtensionNumbers(&extensions, pairs: configuration.sharedExtensionNumberPairs, seed: seed, account: index)
        // A real account has extensions without a number (limited extensions, unassigned seats).
        extensions.append(SimExtension(id: String(nextExtensionId), number: nil, name: "Lobby Phone",
                                       type: "Limited", status: "Enabled", firstName: nil, lastName: nil))

        var account = SimAccount(
            index: index, id: id, mainNumber: "+1650555\(String(1000 + index * 7))",
            clientId: "SimClient\(index)" + randomToken(&random, length: 14),
            clientSecret: randomToken(&random, length: 40),
            jwt: "eyJraWQiOiJzaW0iLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randomToken(&random, length: 64) + "." + randomToken(&random, length: 43),
            ownerExtensionId: extensions[0].id, extensions: extensions, calls: [], messages: [])
        account.extensionJwts = extensions.filter { $0.type == "User" }.map { ext in
            // A generator of its own: the JWTs never shift the data drawn above.
            var own = SeededRandom(seed: seed, 4, UInt64(index), MediaBytes.fnv1a(ext.id))
            let jwt = ext.id == account.ownerExtensionId ? account.jwt
                : "eyJraWQiOiJzaW0iLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randomToken(&own, length: 64) + "." + randomToken(&own, length: 43)
            return (ext.id, jwt)
        }
        account.generateCalls(configuration: configuration, start: start)
        account.shapeCalls(configuration: configuration)
        account.addFaxUsers(configuration.messages.faxUsers)
        account.generateMessages(configuration: configuration, start: start)
        account.buildIndexes()
        account.generateInsights(configuration: configuration)
        return account
    }

    /// Two extensions can carry one extension number (seen in a real fixture). In each of `pairs` pairs
    /// of users other than the owner, the second takes the first's number; its own is left unused. A
    /// generator of its own picks them, so the rest of the world is unchanged. As many pairs as the
    /// users allow.
    static func shareExtensionNumbers(_ extensions: inout [SimExtension], pairs: Int, seed: UInt64, account: Int) {
        var random = SeededRandom(seed: seed, 5, UInt64(account))
        var candidates = extensions.indices.filter { $0 > 0 && extensions[$0].type == "User" }
        for _ in 0..<max(0, min(pairs, candidates.count / 2)) {
            let keeper = candidates.remove(at: random.int(0...(candidates.count - 1)))
            let sharer = candidates.remove(at: random.int(0...(candidates.count - 1)))
            extensions[sharer].number = extensions[keeper].number
        }
    }

    private mutating func generateCalls(configuration: SimulatorConfiguration, start: Timestamp) {
        let dayMillis: Int64 = 86_400_000
        let firstDay = start.millisecondsSinceEpoch / dayMillis - Int64(configuration.days)
        let lastDay = start.millisecondsSinceEpoch / dayMillis + Int64(configuration.futureDays)
        var recordingCounter: Int64 = 1_662_270_000 + Int64(index) * 10_000_000
        var messageCounter: Int64 = 9_007_199_254_740_993 + Int64(index) * 1_000_000_000  // beyond 2^53
        var ids = Set<String>()
        for day in firstDay...lastDay {
            var random = SeededRandom(seed: configuration.seed, 2, UInt64(index), UInt64(bitPattern: day))
            let weekday = (day + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday
            let isWeekend = weekday == 0 || weekday == 6
            let base = Double(configuration.callsPerDay) * (isWeekend ? 0.15 : 1.0)
            let count = Int((base * (0.7 + 0.6 * random.unit())).rounded())
            var starts: [Int64] = (0..<count).map { _ in
                // Business hours 09:00-17:00 at UTC-5, i.e. 14:00-22:00 UTC, with a few after hours.
                let secondOfDay = random.chance(0.9) ? random.int(14 * 3600...22 * 3600 - 1) : random.int(0...86_399)
                return day * dayMillis + Int64(secondOfDay) * 1000 + Int64(random.int(0...999))
            }
            starts.sort()
            for startMillis in starts {
                var id = SimAccount.callId(&random)
                // Real call ids are case-sensitive: now and then one differs from an earlier one only in case.
                if random.chance(0.05), let earlier = calls.last?.id, let flipped = SimAccount.flipCase(of: earlier, &random) {
                    id = flipped
                }
                while ids.contains(id) { id = SimAccount.callId(&random) }
                ids.insert(id)
                let call = makeCall(id: id, start: Timestamp(millisecondsSinceEpoch: startMillis), random: &random,
                                    recordingCounter: &recordingCounter, messageCounter: &messageCounter)
                calls.append(call)
            }
        }
    }

    mutating func buildIndexes() {
        callsById = [:]
        callsByRecordingId = [:]
        recordingIds = []
        for (position, call) in calls.enumerated() {
            callsById[call.id] = position
            if let recording = call.recording {
                if callsByRecordingId[recording.id] == nil { recordingIds.append(recording.id) }
                callsByRecordingId[recording.id, default: []].append(position)
            }
        }
        messagesById = [:]
        for (position, message) in messages.enumerated() { messagesById[message.id] = position }
    }

    private mutating func makeCall(id: String, start: Timestamp, random: inout SeededRandom,
                                   recordingCounter: inout Int64, messageCounter: inout Int64) -> SimCall {
        let inbound = random.chance(0.6)
        let owner: SimExtension? = random.chance(0.03) ? nil : random.weighted(extensions.map { ($0, $0.type == "User" ? 1.0 : 0.6) })
        let result: String
        if inbound {
            result = random.weighted([("Accepted", 55), ("Missed", 15), ("Voicemail", 15), ("Answered Elsewhere", 5),
                                      ("Busy", 3), ("Rejected", 2), ("Hang Up", 5)])
        } else {
            result = random.weighted([("Call connected", 70), ("No Answer", 15), ("Busy", 10), ("Wrong Number", 5)])
        }
        let connected = result == "Accepted" || result == "Call connected"
        let duration = connected ? random.int(20...900) : (result == "Voicemail" ? random.int(25...90) : random.int(0...30))
        let end = start.adding(seconds: Double(duration))
        let external = SimAccount.externalParty(&random)
        var local = SimParty(phoneNumber: random.chance(0.5) ? mainNumber : nil, extensionNumber: owner?.number,
                             extensionId: owner?.id, name: owner?.name, location: nil)
        if local.phoneNumber == nil && local.extensionNumber == nil { local.phoneNumber = mainNumber }

        var recording: SimRecording?
        if connected && duration >= 30 && random.chance(0.45) {  // ~30 % of all calls
            recordingCounter += Int64(random.int(1...97))
            let appears = end.adding(seconds: Double(random.int(60...600)))
            recording = SimRecording(
                id: String(recordingCounter), type: random.chance(0.7) ? "Automatic" : "OnDemand",
                contentType: random.chance(0.6) ? "audio/mpeg" : "audio/wav",
                appearsAt: appears, readyAt: appears.adding(seconds: Double(random.chance(0.5) ? 0 : random.int(30...300))),
                seconds: duration)
        }
        var messageId: String?
        if inbound && result == "Voicemail", let owner, owner.type != "Department" {
            messageCounter += Int64(random.int(1...5000))
            let newMessageId = String(messageCounter)
            messageId = newMessageId
            let vmSeconds = max(5, duration - 20)
            let audioType = random.chance(0.5) ? "audio/mpeg" : "audio/x-wav"
            let audioBytes = audioType == "audio/mpeg"
                ? MediaBytes.mp3(id: newMessageId, seconds: vmSeconds) : MediaBytes.wav(id: newMessageId, seconds: vmSeconds)
            let conversationId = String(6_015_823_250_778_200_000 + Int64(random.int(0...99_999)))
            let transcriptionId = String(messageCounter + 1)
            let transcriptionBytes = MediaBytes.transcription(messageId: newMessageId, extensionNumber: owner.number)
            let transcribedAt = end.adding(seconds: Double(random.int(40...300)))
            messages.append(SimMessage.voicemail(
                id: newMessageId, conversationId: conversationId, owner: owner, callId: id,
                created: end.adding(seconds: 10), from: external, vmSeconds: vmSeconds,
                audio: SimAttachment(id: newMessageId, type: "AudioRecording", contentType: audioType, bytes: audioBytes, vmDuration: vmSeconds),
                transcription: SimAttachment(id: transcriptionId, type: "AudioTranscription", contentType: "text/plain",
                                             bytes: transcriptionBytes, appearsAt: transcribedAt),
                transcribedAt: transcribedAt))
            messageCounter += 1
        }
        let lateResult = random.chance(0.1)
        return SimCall(
            id: id, sessionId: String(13_916_417_004 + Int64(random.int(0...899_999_999))),
            telephonySessionId: "s-" + SimAccount.hex(&random, 20) + "z" + SimAccount.hex(&random, 10) + "0000",
            start: start, durationSeconds: duration, direction: inbound ? "Inbound" : "Outbound",
            action: inbound ? random.weighted([("Phone Call", 70), ("VoIP Call", 20), ("FindMe", 10)])
                : random.weighted([("VoIP Call", 60), ("RingOut Web", 20), ("Phone Call", 20)]),
            transport: random.chance(0.6) ? "PSTN" : "VoIP",
            provisionalResult: lateResult ? "In Progress" : nil, result: result,
            reason: connected ? "Accepted" : nil,
            finalizedAt: lateResult ? end.adding(seconds: Double(random.int(120...900))) : nil,
            from: inbound ? external : local, to: inbound ? local : external,
            extensionId: owner?.id, recording: recording, messageId: messageId)
    }

    /// Every phone-number shape the spec warns about: E.164, no plus, formatted, masked, missing.
    static func externalParty(_ random: inout SeededRandom) -> SimParty {
        let digits = String(random.int(2_000_000...9_999_999))
        let area = random.pick(["415", "650", "212", "866", "312"])
        let number: String? = random.weighted([
            ("+1\(area)\(digits)", 50), ("1\(area)\(digits)", 15), ("(\(area))\(digits.prefix(3))-\(digits.suffix(4))", 10),
            ("+3351234XXXX", 10), (nil, 15),
        ])
        let name: String? = random.weighted([("SAN FRANCSCO CA", 15), ("Jane Smith", 15), ("WIRELESS CALLER", 10), (nil, 60)])
        return SimParty(phoneNumber: number, extensionNumber: nil, extensionId: nil,
                        name: number == nil && name == nil ? "Anonymous" : name,
                        location: number != nil && random.chance(0.3) ? "San Francisco (South), CA" : nil)
    }

    static let idAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    static func callId(_ random: inout SeededRandom) -> String {
        var characters = (0..<15).map { _ in random.pick(idAlphabet) }
        if random.chance(0.3) { characters[random.int(1...13)] = random.chance(0.5) ? "-" : "_" }
        return String(characters)
    }

    static func flipCase(of id: String, _ random: inout SeededRandom) -> String? {
        var characters = Array(id)
        let letters = characters.indices.filter { characters[$0].isLetter }
        guard !letters.isEmpty else { return nil }
        let position = random.pick(letters)
        let character = characters[position]
        characters[position] = Character(character.isUppercase ? character.lowercased() : character.uppercased())
        return String(characters)
    }

    static func hex(_ random: inout SeededRandom, _ count: Int) -> String {
        String((0..<count).map { _ in random.pick(Array("0123456789abcdef")) })
    }
}

func randomToken(_ random: inout SeededRandom, length: Int) -> String {
    String((0..<length).map { _ in random.pick(SimAccount.idAlphabet) })
}
