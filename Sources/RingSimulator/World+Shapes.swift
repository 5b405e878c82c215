import RinglogSupport

/// The call shapes of RingCentral's Detailed view that a one-record-one-recording model hides, laid
/// over the generated calls. Every decision comes from a generator keyed by the call's id, so the
/// shares change which calls get a shape without changing any other call (or the data of a seed
/// with every share at 0).
extension SimAccount {
    mutating func shapeCalls(configuration: SimulatorConfiguration) {
        let shapes = configuration.callShapes
        var ids = Set(calls.map(\.id))
        var nextRecording = calls.compactMap { $0.recording.flatMap { Int64($0.id) } }.max()
            ?? (1_662_270_000 + Int64(index) * 10_000_000)
        let users = extensions.filter { $0.type == "User" }
        var shaped: [SimCall] = []
        shaped.reserveCapacity(calls.count)
        for var call in calls {
            var random = SeededRandom(seed: configuration.seed, 3, UInt64(index), MediaBytes.fnv1a(call.id))
            // Drawn unconditionally, so that one share never shifts another's decisions.
            let placementDraw = random.unit(), legsDraw = random.unit(), transferDraw = random.unit(), internalDraw = random.unit()
            if call.recording != nil {
                if placementDraw < shapes.recordingOnNonMasterLegShare {
                    call.recordingPlacement = .nonMasterLegOnly
                } else if placementDraw < shapes.recordingOnNonMasterLegShare + shapes.recordingOnEveryLegShare {
                    call.recordingPlacement = .everyLeg
                }
            }
            if call.extensionId != nil, legsDraw < shapes.extensionOnLegsOnlyShare { call.extensionOnLegsOnly = true }
            let owner = users.first { $0.id == call.extensionId }
            let plain = call.recording != nil && call.messageId == nil && call.finalizedAt == nil && owner != nil && users.count >= 2
            if plain, transferDraw < shapes.transferShare, call.direction == "Inbound", call.result == "Accepted", call.durationSeconds >= 60 {
                shaped += transferred(call, users: users, random: &random, ids: &ids, nextRecording: &nextRecording)
            } else if plain, internalDraw < shapes.internalCallShare, let owner {
                shaped += internalPair(call, owner: owner, users: users, random: &random, ids: &ids)
            } else {
                shaped.append(call)
            }
        }
        calls = shaped
    }

    /// A call transferred along 2-3 extensions: one record per extension, one telephony session (and
    /// session id) for all, each part with its own recording of its own stretch of the call.
    private func transferred(_ call: SimCall, users: [SimExtension], random: inout SeededRandom, ids: inout Set<String>,
                             nextRecording: inout Int64) -> [SimCall] {
        let count = random.int(2...3)
        var durations: [Int] = []
        var left = call.durationSeconds
        for part in 0..<count {
            let rest = count - part - 1
            let length = rest == 0 ? left : random.int(20...(left - 20 * rest))
            durations.append(length)
            left -= length
        }
        var parts: [SimCall] = []
        var first = call
        first.durationSeconds = durations[0]
        first.transfer = TransferPart(index: 0, count: count)
        if let recording = call.recording {
            first.recording = SimRecording(id: recording.id, type: recording.type, contentType: recording.contentType,
                                           appearsAt: recording.appearsAt, readyAt: recording.readyAt, seconds: durations[0])
        }
        parts.append(first)
        var previous = call.extensionId
        var start = first.end
        for part in 1..<count {
            let target = random.pick(users.filter { $0.id != previous })
            previous = target.id
            var id = SimAccount.callId(&random)
            while ids.contains(id) { id = SimAccount.callId(&random) }
            ids.insert(id)
            nextRecording += Int64(random.int(1...97))
            let end = start.adding(seconds: Double(durations[part]))
            let appears = end.adding(seconds: Double(random.int(60...600)))
            let recording = SimRecording(
                id: String(nextRecording), type: call.recording?.type ?? "Automatic",
                contentType: random.chance(0.6) ? "audio/mpeg" : "audio/wav", appearsAt: appears,
                readyAt: appears.adding(seconds: Double(random.chance(0.5) ? 0 : random.int(30...300))), seconds: durations[part])
            var next = SimCall(
                id: id, sessionId: call.sessionId, telephonySessionId: call.telephonySessionId, start: start,
                durationSeconds: durations[part], direction: "Inbound", action: "Transfer", transport: call.transport,
                provisionalResult: nil, result: "Accepted", reason: "Accepted", finalizedAt: nil, from: call.from,
                to: SimParty(phoneNumber: nil, extensionNumber: target.number, extensionId: target.id, name: target.name, location: nil),
                extensionId: target.id, recording: recording, messageId: nil)
            next.transfer = TransferPart(index: part, count: count)
            parts.append(next)
            start = end.adding(seconds: 1)
        }
        return parts
    }

    /// A recorded call between two users, as the account call log lists it: the caller's outbound and
    /// the callee's inbound record, one session, both referencing the one recording.
    private func internalPair(_ call: SimCall, owner: SimExtension, users: [SimExtension], random: inout SeededRandom,
                              ids: inout Set<String>) -> [SimCall] {
        let peer = random.pick(users.filter { $0.id != owner.id })
        var id = SimAccount.callId(&random)
        while ids.contains(id) { id = SimAccount.callId(&random) }
        ids.insert(id)
        let peerParty = SimParty(phoneNumber: nil, extensionNumber: peer.number, extensionId: peer.id, name: peer.name, location: nil)
        var mine = call
        if mine.direction == "Inbound" { mine.from = peerParty } else { mine.to = peerParty }
        mine.action = "VoIP Call"
        mine.internalPeerCallId = id
        var theirs = SimCall(
            id: id, sessionId: call.sessionId, telephonySessionId: call.telephonySessionId, start: call.start,
            durationSeconds: call.durationSeconds, direction: call.direction == "Inbound" ? "Outbound" : "Inbound",
            action: "VoIP Call", transport: "VoIP", provisionalResult: nil,
            result: call.direction == "Inbound" ? "Call connected" : "Accepted", reason: "Accepted", finalizedAt: nil,
            from: mine.from, to: mine.to, extensionId: peer.id, recording: call.recording, messageId: nil)
        theirs.internalPeerCallId = call.id
        return [mine, theirs]
    }
}
