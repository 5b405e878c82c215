import RinglogSupport

/// Turns world entities into the JSON shapes of RingCentral's spec, as seen at instant `now`.
struct Renderer {
    /// The API host, for every record `uri`.
    let baseURL: String
    /// The media host, for `contentUri` and attachment `uri` (RingCentral's `media.ringcentral.com:443`).
    let mediaURL: String
    let account: SimAccount
    let now: Timestamp

    var accountPath: String { "/restapi/v1.0/account/\(account.id)" }
    var accountURI: String { baseURL + accountPath }

    func accountInfo() -> JSON {
        [
            "uri": .string(accountURI),
            "id": .number(account.id),
            "mainNumber": .string(account.mainNumber),
            "status": "Confirmed",
            "serviceInfo": ["uri": .string(accountURI + "/service-info"), "brand": ["id": "1210", "name": "RingCentral"]],
            "setupWizardState": "Completed",
            "regionalSettings": ["timezone": ["id": "58", "name": "US/Eastern"]],
        ]
    }

    func extensionRecord(_ ext: SimExtension) -> JSON {
        var object = JSONObject()
        object["uri"] = .string("\(accountURI)/extension/\(ext.id)")
        object["id"] = .number(ext.id)
        if let number = ext.number { object["extensionNumber"] = .string(number) }
        var contact = JSONObject()
        if let first = ext.firstName { contact["firstName"] = .string(first) }
        if let last = ext.lastName { contact["lastName"] = .string(last) }
        if ext.type == "User" { contact["email"] = .string("\(ext.name.lowercased().replacingSpaces).\(ext.id.suffix(4))@example.com") }
        object["contact"] = .object(contact)
        object["name"] = .string(ext.name)
        object["type"] = .string(ext.type)
        object["status"] = .string(ext.status)
        object["hidden"] = false
        return .object(object)
    }

    func party(_ party: SimParty) -> JSON {
        var object = JSONObject()
        if let value = party.phoneNumber { object["phoneNumber"] = .string(value) }
        if let value = party.extensionNumber { object["extensionNumber"] = .string(value) }
        if let value = party.extensionId { object["extensionId"] = .string(value) }
        if let value = party.name { object["name"] = .string(value) }
        if let value = party.location { object["location"] = .string(value) }
        return .object(object)
    }

    func recordingURI(_ id: String) -> String { "\(accountURI)/recording/\(id)" }
    func recordingContentURI(_ id: String) -> String { "\(mediaURL)\(accountPath)/recording/\(id)/content" }

    /// The call-log record as of `now`, or nil while the call is not yet visible. The Simple view is the
    /// Detailed record without `legs` and `billing` (the guide's Simple and Detailed copies of one call
    /// carry the same top-level fields), so a recording or extension that only legs carry is absent there.
    func callRecord(_ call: SimCall, detailed: Bool) -> JSON? {
        guard let modified = call.lastModified(at: now) else { return nil }
        var object = JSONObject()
        object["uri"] = .string("\(accountURI)/call-log/\(call.id)?view=\(detailed ? "Detailed" : "Simple")")
        object["id"] = .string(call.id)
        object["sessionId"] = .string(call.sessionId)
        object["telephonySessionId"] = .string(call.telephonySessionId)
        object["startTime"] = .string(call.start.iso8601)
        object["duration"] = .int(call.durationSeconds)
        object["durationMs"] = .int(Int64(call.durationSeconds) * 1000)
        object["type"] = .string(call.callType)
        object["internalType"] = call.transport == "VoIP" ? "Local" : "LongDistance"
        object["direction"] = .string(call.direction)
        object["action"] = .string(call.action)
        let finalized = call.finalizedAt.map { $0 <= now } ?? true
        object["result"] = .string(finalized ? call.result : (call.provisionalResult ?? call.result))
        if finalized, let reason = call.reason { object["reason"] = .string(reason) }
        object["to"] = party(call.to)
        object["from"] = party(call.from)
        let extensionInfo: JSON? = call.extensionId.map { ["uri": .string("\(accountURI)/extension/\($0)"), "id": .number($0)] }
        if let extensionInfo, !call.extensionOnLegsOnly { object["extension"] = extensionInfo }
        var recordingInfo: JSON?
        if let recording = call.recording, recording.appearsAt <= now {
            recordingInfo = [
                "uri": .string(recordingURI(recording.id)),
                "id": .string(recording.id),
                "type": .string(recording.type),
                "contentUri": .string(recordingContentURI(recording.id)),
            ]
        }
        if let recordingInfo, call.recordingPlacement != .nonMasterLegOnly { object["recording"] = recordingInfo }
        if let messageId = call.messageId, let extensionId = call.extensionId {
            object["message"] = [
                "uri": .string("\(accountURI)/extension/\(extensionId)/message-store/\(messageId)"),
                "id": .string(messageId), "type": call.callType == "Fax" ? "Fax" : "VoiceMail",
            ]
        }
        object["transport"] = .string(call.transport)
        object["lastModifiedTime"] = .string(modified.iso8601)
        if detailed {
            object["billing"] = ["costIncluded": .number("0.0"), "costPurchased": .number("0.0")]
            object["legs"] = .array(legs(call, record: object, recording: recordingInfo, extension: extensionInfo))
        }
        return .object(object)
    }

    /// The master leg (the record's own fields), then the legs that carry the call on: a PSTN leg for
    /// inbound PSTN calls, and a second leg wherever the recording sits beside or off the master leg.
    /// Leg structure does not change while the record does: only the recording appears on it later.
    private func legs(_ call: SimCall, record: JSONObject, recording: JSON?, extension extensionInfo: JSON?) -> [JSON] {
        var master = JSONObject()
        for key in ["startTime", "duration", "durationMs", "type", "internalType", "direction", "action", "result", "reason",
                    "to", "from", "extension", "recording", "transport", "telephonySessionId"] {
            switch key {
            case "extension": if let extensionInfo { master[key] = extensionInfo }
            case "recording": if let recording, call.recordingPlacement != .nonMasterLegOnly { master[key] = recording }
            default: if let value = record[key] { master[key] = value }
            }
        }
        if let transfer = call.transfer, transfer.index > 0 {
            master["legType"] = "TransferCall"
        } else {
            master["legType"] = call.direction == "Inbound" ? "Accept" : "RingOutWebToCaller"
        }
        master["master"] = true
        var legs: [JSON] = [.object(master)]
        let pstn = call.direction == "Inbound" && call.transport == "PSTN"
        guard pstn || call.recordingPlacement != .masterLeg else { return legs }
        var other = JSONObject()
        for key in ["startTime", "duration", "durationMs", "type", "direction", "action", "result", "to", "from", "transport"] {
            if let value = record[key] { other[key] = value }
        }
        let carriesRecording = call.recordingPlacement != .masterLeg
        if let recording, carriesRecording { other["recording"] = recording }
        if let extensionInfo, carriesRecording || call.extensionOnLegsOnly { other["extension"] = extensionInfo }
        if record["telephonySessionId"] != nil { other["telephonySessionId"] = record["telephonySessionId"] }
        other["legType"] = pstn ? "PstnToSip" : (call.direction == "Inbound" ? "Accept" : "SipToPstnMetered")
        other["master"] = false
        legs.append(.object(other))
        return legs
    }
}

extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "." : $0 }) }
}
