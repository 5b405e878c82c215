import ArchiveStore
import RinglogSupport

/// What an item file's name says (layout-spec §4.4), which is enough to plan a retention pass
/// without reading a single file: the start instant (to the second), the ids, the kind.
struct ItemFileName: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// The call id in its case-safe form (decoded only when asked: `callId`).
        case callSidecar(caseSafeId: String)
        case recording(recordingId: String)
        /// A recording's RingSense insights (any revision, `<T>_<recordingId>.insights[.r<N>].json`):
        /// they are the call's, beside its recordings, with a retention period of their own.
        case insights(recordingId: String)
        /// `<T>_vm|fax|sms|pager.<messageId>.json` (a voicemail's is revision 3's `ringlog-voicemail`).
        case messageSidecar(MessageKind, messageId: String)
        /// A message's file other than its sidecar: a voicemail's `<T>_vm.<id>.mp3|wav|txt`, or any kind's
        /// `<T>_<prefix>.<id>.<attachmentId>.<ext>`. `media` is what the name suggests; the sidecar's
        /// media entry, when it can be read, says for sure (tombstones take it from there).
        case messageMedia(MessageKind, messageId: String, attachmentId: String?, media: ManifestLine.Kind)
    }

    let name: String
    /// The start instant, truncated to the second.
    let start: Timestamp
    let kind: Kind

    /// `YYYYMMDDTHHMMSSZ`.
    var stamp: String { String(name.prefix(16)) }
    /// The latest instant the item can have started at (the name drops milliseconds).
    var latestStart: Timestamp { start.adding(milliseconds: 999) }

    /// Parses without building intermediate strings for calls and recordings (most of a tree); a
    /// walk parses every name of the tree.
    init?(_ name: String) {
        var name = name
        guard let parsed = name.withUTF8({ Self.parse($0) }) else { return nil }
        self.name = name
        self.start = parsed.start
        let id = String(decoding: parsed.id, as: UTF8.self)
        switch parsed.kind {
        case 0: kind = .callSidecar(caseSafeId: id)
        case 1: kind = .recording(recordingId: id)
        case 5: kind = .insights(recordingId: id)
        default:
            // A message file: the store's grammar (§4.4) decides exactly what it is.
            switch ArchiveStore.ItemFileName(name) {
            case .voicemailSidecar:
                kind = .messageSidecar(.voicemail, messageId: id)
                return
            case .messageSidecar(let messageKind):
                kind = .messageSidecar(messageKind, messageId: id)
                return
            case .voicemailAudio:
                kind = .messageMedia(.voicemail, messageId: id, attachmentId: nil, media: .voicemail)
                return
            case .transcription:
                kind = .messageMedia(.voicemail, messageId: id, attachmentId: nil, media: .transcription)
                return
            case .attachment(let messageKind, let ext):
                let parts = name.split(separator: ".")
                kind = .messageMedia(messageKind, messageId: id, attachmentId: parts.count == 4 ? String(parts[2]) : nil,
                                     media: Self.likelyKind(of: ext, in: messageKind))
            default: return nil
            }
        }
    }

    /// What an attachment's name suggests it is (§5.1); the sidecar's entry is the truth.
    static func likelyKind(of ext: MediaExtension, in message: MessageKind) -> ManifestLine.Kind {
        switch ext {
        case .txt: message == .voicemail ? .transcription : .text
        case .pdf: .document
        case .tif: message == .fax ? .document : .mms
        case .mp3, .wav: message == .voicemail ? .voicemail : .mms
        case .jpg, .png, .gif, .mp4: .mms
        case .bin: .attachment
        }
    }

    /// Kinds: 0 call sidecar, 1 recording, 2 a message file (the id is the message id), 5 insights.
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
        for prefix in ["vm.", "fax.", "sms.", "pager."] as [StaticString] where hasPrefix(prefix) {
            let idStart = rest.startIndex + prefix.utf8CodeUnitCount
            let idEnd = rest[idStart...].firstIndex(of: 0x2E) ?? rest.endIndex
            guard idEnd < rest.endIndex, isDigits(rest[idStart..<idEnd]) else { return nil }
            return (start, 2, Array(rest[idStart..<idEnd]))
        }
        let firstDot = rest.firstIndex(of: 0x2E)!
        guard isDigits(rest[..<firstDot]) else { return nil }
        if firstDot == dot {
            guard ext.elementsEqual("mp3".utf8) || ext.elementsEqual("wav".utf8) else { return nil }
            return (start, 1, Array(rest[..<dot]))
        }
        // `<recordingId>.insights.json` or `<recordingId>.insights.r<N>.json`: the store's grammar decides (rare names).
        guard ext.elementsEqual("json".utf8), case .insights = ArchiveStore.ItemFileName(String(decoding: b, as: UTF8.self)) else { return nil }
        return (start, 5, Array(rest[..<firstDot]))
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
        case .insights: .insights
        case .messageSidecar: .message
        case .messageMedia(_, _, _, let media): media
        }
    }

    var isInsights: Bool {
        if case .insights = kind { return true }
        return false
    }

    /// The call id of a call sidecar's name (nil for other names, or a name that does not decode).
    var callId: String? {
        guard case .callSidecar(let caseSafe) = kind else { return nil }
        return ArchiveNames.callId(fromCaseSafe: caseSafe)
    }

    /// The message kind and id of a message's file.
    var message: (kind: MessageKind, id: String)? {
        switch kind {
        case .messageSidecar(let kind, let id), .messageMedia(let kind, let id, _, _): (kind, id)
        default: nil
        }
    }

    /// The ids the name carries, as tombstones record them.
    var ids: JSONObject {
        switch kind {
        case .callSidecar: callId.map { ["callId": .string($0)] } ?? JSONObject()
        case .recording(let recordingId), .insights(let recordingId): ["recordingId": .string(recordingId)]
        case .messageSidecar(_, let messageId): ["messageId": .string(messageId)]
        case .messageMedia(_, let messageId, let attachmentId, _):
            attachmentId.map { ["messageId": .string(messageId), "attachmentId": .string($0)] } ?? ["messageId": .string(messageId)]
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

    /// One message of any kind: its sidecar and every other file of it (audio, transcription, attachments).
    struct MessageGroup {
        let kind: MessageKind
        let messageId: String
        let start: Timestamp
        var sidecar: String?
        var media: [ItemFileName] = []
    }

    /// By start (milliseconds since the epoch, whole seconds).
    var calls: [Int64: CallGroup] = [:]
    /// By `<prefix>.<messageId>` (`MessageGroup.key`).
    var messages: [String: MessageGroup] = [:]
    /// Names that are not item files of layout v1 (left alone).
    var unknown: [String] = []

    static func messageKey(_ kind: MessageKind, _ id: String) -> String { kind.namePrefix + "." + id }

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
            case .recording, .insights:  // a recording's insights go wherever the call's recordings go (exclusion, trash, recovery)
                calls[key, default: CallGroup(start: parsed.start)].recordings.append(parsed)
            case .messageSidecar(let kind, let messageId):
                messages[Self.messageKey(kind, messageId), default: MessageGroup(kind: kind, messageId: messageId, start: parsed.start)].sidecar = name
            case .messageMedia(let kind, let messageId, _, _):
                messages[Self.messageKey(kind, messageId), default: MessageGroup(kind: kind, messageId: messageId, start: parsed.start)].media.append(parsed)
            }
        }
    }

    var sortedCalls: [CallGroup] { calls.values.sorted { $0.start < $1.start } }
    var sortedMessages: [MessageGroup] {
        messages.values.sorted { ($0.start, $0.messageId, $0.kind.namePrefix) < ($1.start, $1.messageId, $1.kind.namePrefix) }
    }
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
