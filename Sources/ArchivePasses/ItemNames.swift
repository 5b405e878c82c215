import ArchiveStore
import RinglogSupport

/// What an item file's name says (layout-spec §4.4), which is enough to plan a retention pass
/// without reading a single file: the start instant (to the second), the ids, the kind.
struct ItemFileName: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case callSidecar(callId: String)
        case recording(recordingId: String)
        case voicemailSidecar(messageId: String)
        case voicemailAudio(messageId: String)
        case transcription(messageId: String)
    }

    let name: String
    /// `YYYYMMDDTHHMMSSZ`.
    let stamp: String
    /// The start instant, truncated to the second.
    let start: Timestamp
    let kind: Kind

    /// The latest instant the item can have started at (the name drops milliseconds).
    var latestStart: Timestamp { start.adding(milliseconds: 999) }

    init?(_ name: String) {
        let bytes = Array(name.utf8)
        guard bytes.count > 17, bytes[16] == UInt8(ascii: "_") else { return nil }
        let stamp = String(decoding: bytes[0..<16], as: UTF8.self)
        guard let start = Self.instant(stamp) else { return nil }
        let rest = String(decoding: bytes[17...], as: UTF8.self)
        self.name = name
        self.stamp = stamp
        self.start = start
        if rest.hasPrefix("call."), rest.hasSuffix(".json") {
            guard let callId = ArchiveNames.callId(fromCaseSafe: String(rest.dropFirst(5).dropLast(5))) else { return nil }
            kind = .callSidecar(callId: callId)
        } else if rest.hasPrefix("vm.") {
            let parts = rest.dropFirst(3).split(separator: ".")
            guard parts.count == 2, parts[0].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !parts[0].isEmpty else { return nil }
            let id = String(parts[0])
            switch parts[1] {
            case "json": kind = .voicemailSidecar(messageId: id)
            case "mp3", "wav": kind = .voicemailAudio(messageId: id)
            case "txt": kind = .transcription(messageId: id)
            default: return nil
            }
        } else {
            let parts = rest.split(separator: ".")
            guard parts.count == 2, (parts[1] == "mp3" || parts[1] == "wav"), !parts[0].isEmpty,
                parts[0].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { return nil }
            kind = .recording(recordingId: String(parts[0]))
        }
    }

    static func instant(_ stamp: String) -> Timestamp? {
        let b = Array(stamp.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        let text = String(decoding: b[0..<4], as: UTF8.self) + "-" + String(decoding: b[4..<6], as: UTF8.self) + "-"
            + String(decoding: b[6..<8], as: UTF8.self) + "T" + String(decoding: b[9..<11], as: UTF8.self) + ":"
            + String(decoding: b[11..<13], as: UTF8.self) + ":" + String(decoding: b[13..<15], as: UTF8.self) + "Z"
        return Timestamp(iso8601: text)
    }

    var manifestKind: ManifestLine.Kind {
        switch kind {
        case .callSidecar: .call
        case .recording: .recording
        case .voicemailSidecar: .message
        case .voicemailAudio: .voicemail
        case .transcription: .transcription
        }
    }

    /// The ids the name carries, as tombstones record them.
    var ids: JSONObject {
        switch kind {
        case .callSidecar(let callId): ["callId": .string(callId)]
        case .recording(let recordingId): ["recordingId": .string(recordingId)]
        case .voicemailSidecar(let messageId), .voicemailAudio(let messageId), .transcription(let messageId): ["messageId": .string(messageId)]
        }
    }
}

/// The items of one day folder, grouped from their names: calls by start second (a call's
/// recordings carry its start in their names), voicemails by message id.
struct DayItems {
    struct CallGroup {
        let stamp: String
        let start: Timestamp
        var sidecars: [(name: String, callId: String)] = []
        var recordings: [ItemFileName] = []
    }

    struct VoicemailGroup {
        let messageId: String
        let start: Timestamp
        var sidecar: String?
        var media: [ItemFileName] = []
    }

    var calls: [String: CallGroup] = [:]
    var voicemails: [String: VoicemailGroup] = [:]
    /// Names that are not item files of layout v1 (left alone).
    var unknown: [String] = []

    init(names: [String]) {
        for name in names {
            guard let parsed = ItemFileName(name) else {
                unknown.append(name)
                continue
            }
            switch parsed.kind {
            case .callSidecar(let callId):
                calls[parsed.stamp, default: CallGroup(stamp: parsed.stamp, start: parsed.start)].sidecars.append((name, callId))
            case .recording:
                calls[parsed.stamp, default: CallGroup(stamp: parsed.stamp, start: parsed.start)].recordings.append(parsed)
            case .voicemailSidecar(let messageId):
                voicemails[messageId, default: VoicemailGroup(messageId: messageId, start: parsed.start)].sidecar = name
            case .voicemailAudio(let messageId), .transcription(let messageId):
                voicemails[messageId, default: VoicemailGroup(messageId: messageId, start: parsed.start)].media.append(parsed)
            }
        }
    }

    var sortedCalls: [CallGroup] { calls.values.sorted { $0.stamp < $1.stamp } }
    var sortedVoicemails: [VoicemailGroup] { voicemails.values.sorted { ($0.start, $0.messageId) < ($1.start, $1.messageId) } }
}

extension DayItems.CallGroup {
    /// The recordings that go with `sidecars` (some of this group's): all of the group's when every
    /// sidecar goes; otherwise only those the going sidecars list (two calls that started in the
    /// same second share a name prefix, and only the sidecars can tell their recordings apart).
    func recordings(goingWith sidecars: [String], folder: String, store: TenantStore) -> [ItemFileName] {
        if Set(sidecars) == Set(self.sidecars.map(\.name)) { return recordings }
        var listed = Set<String>()
        for name in sidecars {
            guard let sidecar = try? store.loadSidecar(folder + "/" + name) else { continue }
            for entry in sidecar.media + sidecar.removedMedia.map(\.entry) { listed.insert(entry.file) }
        }
        return recordings.filter { listed.contains($0.name) }
    }
}
