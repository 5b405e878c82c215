import ArchiveStore
import RinglogSupport

/// What an item file's name says (layout-spec §4.4), which is enough to plan a retention pass
/// without reading a single file: the start instant (to the second), the ids, the kind.
struct ItemFileName: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// The call id in its case-safe form (decoded only when asked: `callId`).
        case callSidecar(caseSafeId: String)
        case recording(recordingId: String)
        case voicemailSidecar(messageId: String)
        case voicemailAudio(messageId: String)
        case transcription(messageId: String)
        /// A recording's RingSense insights (any revision): they go with the recording (§6.7).
        case insights(recordingId: String)
    }

    let name: String
    /// The start instant, truncated to the second.
    let start: Timestamp
    let kind: Kind

    /// `YYYYMMDDTHHMMSSZ`.
    var stamp: String { String(name.prefix(16)) }
    /// The latest instant the item can have started at (the name drops milliseconds).
    var latestStart: Timestamp { start.adding(milliseconds: 999) }

    /// Parses without building intermediate strings: a walk parses every name of the tree.
    init?(_ name: String) {
        var name = name
        guard let parsed = name.withUTF8({ Self.parse($0) }) else { return nil }
        self.name = name
        self.start = parsed.start
        switch parsed.kind {
        case 0: kind = .callSidecar(caseSafeId: String(decoding: parsed.id, as: UTF8.self))
        case 1: kind = .recording(recordingId: String(decoding: parsed.id, as: UTF8.self))
        case 2: kind = .voicemailSidecar(messageId: String(decoding: parsed.id, as: UTF8.self))
        case 3: kind = .voicemailAudio(messageId: String(decoding: parsed.id, as: UTF8.self))
        case 5: kind = .insights(recordingId: String(decoding: parsed.id, as: UTF8.self))
        default: kind = .transcription(messageId: String(decoding: parsed.id, as: UTF8.self))
        }
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> (start: Timestamp, kind: Int, id: [UInt8])? {
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = b[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard b.count > 17, b[8] == 0x54, b[15] == 0x5A, b[16] == 0x5F, let year = digits(0..<4), let month = digits(4..<6), let day = digits(6..<8),
            let hour = digits(9..<11), let minute = digits(11..<13), let second = digits(13..<15), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        let start = Timestamp(millisecondsSinceEpoch: (daysFromCivil(year, month, day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1000)
        let rest = UnsafeBufferPointer(rebasing: b[17...])
        func hasPrefix(_ text: StaticString) -> Bool {
            text.withUTF8Buffer { prefix in rest.count >= prefix.count && zip(rest, prefix).allSatisfy { $0 == $1 } }
        }
        func hasSuffix(_ text: StaticString) -> Bool {
            text.withUTF8Buffer { suffix in rest.count >= suffix.count && zip(rest[(rest.count - suffix.count)...], suffix).allSatisfy { $0 == $1 } }
        }
        func isDigits(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> Bool { !slice.isEmpty && slice.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        if hasPrefix("call."), hasSuffix(".json") {
            let id = rest[5..<(rest.count - 5)]
            // `<lowercased id>.<hex mask>` (§4.4): anything else is not a call sidecar of this layout.
            guard let maskDot = id.lastIndex(of: 0x2E), maskDot > id.startIndex, maskDot + 1 < id.endIndex,
                id[(maskDot + 1)...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
            else { return nil }
            return (start, 0, Array(id))
        }
        guard let dot = rest.lastIndex(of: 0x2E) else { return nil }
        let ext = rest[(dot + 1)...]
        if hasPrefix("vm.") {
            let id = rest[3..<dot]
            guard isDigits(id) else { return nil }
            if ext.elementsEqual("json".utf8) { return (start, 2, Array(id)) }
            if ext.elementsEqual("mp3".utf8) || ext.elementsEqual("wav".utf8) { return (start, 3, Array(id)) }
            if ext.elementsEqual("txt".utf8) { return (start, 4, Array(id)) }
            return nil
        }
        if ext.elementsEqual("json".utf8) {
            // `<recordingId>.insights.json` or `<recordingId>.insights.r<N>.json`: the store's grammar decides (rare names, not hot).
            guard let idEnd = rest.firstIndex(of: 0x2E), isDigits(rest[..<idEnd]),
                case .insights = ArchiveStore.ItemFileName(String(decoding: b, as: UTF8.self))
            else { return nil }
            return (start, 5, Array(rest[..<idEnd]))
        }
        let id = rest[..<dot]
        guard isDigits(id), ext.elementsEqual("mp3".utf8) || ext.elementsEqual("wav".utf8) else { return nil }
        return (start, 1, Array(id))
    }

    /// Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    var manifestKind: ManifestLine.Kind {
        switch kind {
        case .callSidecar: .call
        case .recording: .recording
        case .voicemailSidecar: .message
        case .voicemailAudio: .voicemail
        case .transcription: .transcription
        case .insights: .insights
        }
    }

    /// The call id of a call sidecar's name (nil for other names, or a name that does not decode).
    var callId: String? {
        guard case .callSidecar(let caseSafe) = kind else { return nil }
        return ArchiveNames.callId(fromCaseSafe: caseSafe)
    }

    /// The ids the name carries, as tombstones record them.
    var ids: JSONObject {
        switch kind {
        case .callSidecar: callId.map { ["callId": .string($0)] } ?? JSONObject()
        case .recording(let recordingId), .insights(let recordingId): ["recordingId": .string(recordingId)]
        case .voicemailSidecar(let messageId), .voicemailAudio(let messageId), .transcription(let messageId): ["messageId": .string(messageId)]
        }
    }
}

/// The items of one day folder, grouped from their names: calls by start second (a call's
/// recordings carry its start in their names), voicemails by message id.
struct DayItems {
    /// A call sidecar's name; its call id is decoded only when asked (most walks never need it).
    struct SidecarName: Sendable {
        let name: String
        let caseSafeId: String
        var callId: String { ArchiveNames.callId(fromCaseSafe: caseSafeId) ?? caseSafeId }
    }

    struct CallGroup {
        let start: Timestamp
        var sidecars: [SidecarName] = []
        var recordings: [ItemFileName] = []
        var stamp: String { ArchiveNames.compactTimestamp(start) }
    }

    struct VoicemailGroup {
        let messageId: String
        let start: Timestamp
        var sidecar: String?
        var media: [ItemFileName] = []
    }

    /// By start (milliseconds since the epoch, whole seconds).
    var calls: [Int64: CallGroup] = [:]
    var voicemails: [String: VoicemailGroup] = [:]
    /// Names that are not item files of layout v1 (left alone).
    var unknown: [String] = []

    init(names: [String]) {
        for name in names {
            guard let parsed = ItemFileName(name) else {
                unknown.append(name)
                continue
            }
            let key = parsed.start.millisecondsSinceEpoch
            switch parsed.kind {
            case .callSidecar(let caseSafeId):
                calls[key, default: CallGroup(start: parsed.start)].sidecars.append(SidecarName(name: name, caseSafeId: caseSafeId))
            case .recording, .insights:  // insights go wherever their recording goes
                calls[key, default: CallGroup(start: parsed.start)].recordings.append(parsed)
            case .voicemailSidecar(let messageId):
                voicemails[messageId, default: VoicemailGroup(messageId: messageId, start: parsed.start)].sidecar = name
            case .voicemailAudio(let messageId), .transcription(let messageId):
                voicemails[messageId, default: VoicemailGroup(messageId: messageId, start: parsed.start)].media.append(parsed)
            }
        }
    }

    var sortedCalls: [CallGroup] { calls.values.sorted { $0.start < $1.start } }
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
