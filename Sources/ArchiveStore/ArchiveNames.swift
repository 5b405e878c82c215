import RinglogSupport

/// The naming rules of layout v1 (layout-spec/v1.md). Every name that reaches the file system is
/// built here, from validated ids only, so that nothing from the API can escape the tenant
/// directory, collide on a case-insensitive share, or put a phone number or a person's name in a path.
public enum ArchiveNames {
    public static let layoutVersion = 1
    /// Longest file name ringlog creates, temp prefix included (NAME_MAX on every common file system).
    public static let maximumNameBytes = 255
    /// Prefix of every temporary file; a sweep removes stale ones.
    public static let temporaryPrefix = ".ringlog-tmp."

    public struct InvalidIdentifier: Error, Sendable, CustomStringConvertible {
        public let field: String
        public let value: String
        public let rule: String
        public var description: String {
            let shown = value.count > 40 ? String(value.prefix(40)) + "…(\(value.utf8.count) bytes)" : value
            return "\(field) \(shown.debugDescription) is not usable in an archive path: \(rule)"
        }
    }

    /// Recording, message and attachment ids: decimal digits, 1...20 (int64 range).
    public static func numericId(_ value: String, field: String) throws(InvalidIdentifier) -> String {
        guard (1...20).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw InvalidIdentifier(field: field, value: value, rule: "expected 1 to 20 decimal digits")
        }
        return value
    }

    /// Call ids are opaque and case-sensitive (`IXtVRs-3B7A_PfE`): letters, digits, `-` and `_`, at most 64.
    public static func callId(_ value: String) throws(InvalidIdentifier) -> String {
        guard (1...64).contains(value.utf8.count), value.utf8.allSatisfy(isCallIdByte) else {
            throw InvalidIdentifier(field: "call id", value: value, rule: "expected 1 to 64 of [A-Za-z0-9_-]")
        }
        return value
    }

    private static func isCallIdByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
    }

    /// A call id in a form that stays unique when a file system ignores case: the id lowercased, then
    /// `.`, then a hex bitmask of which positions were uppercase. `IVWtSyis720zMEA` and
    /// `IVWtSyis720zMeA` become `ivwtsyis720zmea.7017` and `ivwtsyis720zmea.5017`. Reversible.
    public static func caseSafe(callId: String) throws(InvalidIdentifier) -> String {
        let id = try ArchiveNames.callId(callId)
        var mask: UInt64 = 0
        var lowered: [UInt8] = []
        for (position, byte) in id.utf8.enumerated() {
            if byte >= 0x41 && byte <= 0x5A {
                mask |= 1 << UInt64(position)
                lowered.append(byte + 0x20)
            } else {
                lowered.append(byte)
            }
        }
        return String(decoding: lowered, as: UTF8.self) + "." + String(mask, radix: 16)
    }

    /// Inverse of `caseSafe(callId:)`.
    public static func callId(fromCaseSafe text: String) -> String? {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let mask = UInt64(parts[1], radix: 16) else { return nil }
        var bytes = Array(parts[0].utf8)
        for position in bytes.indices where mask & (1 << UInt64(position)) != 0 {
            guard bytes[position] >= 0x61 && bytes[position] <= 0x7A else { return nil }
            bytes[position] -= 0x20
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYYMMDDTHHMMSSZ` (UTC, no `:`), the first part of every item file name.
    public static func compactTimestamp(_ time: Timestamp) -> String {
        let t = time.utc
        return pad(t.year, 4) + pad(t.month) + pad(t.day) + "T" + pad(t.hour) + pad(t.minute) + pad(t.second) + "Z"
    }

    /// `YYYY-MM-DD` in UTC: the day folder.
    public static func dayFolder(_ time: Timestamp) -> String {
        let t = time.utc
        return pad(t.year, 4) + "-" + pad(t.month) + "-" + pad(t.day)
    }

    /// `YYYY-MM` in UTC: the manifest shard.
    public static func monthShard(_ time: Timestamp) -> String {
        let t = time.utc
        return pad(t.year, 4) + "-" + pad(t.month)
    }

    /// The extension folder: the extension number when it has one made of digits; `id-<extensionId>`
    /// for an extension without a (usable) number; `_account` for calls that belong to no extension.
    /// Which extensions may use their number as a folder name. RingCentral lets two extensions share a
    /// number (seen in a real account's payloads); the one with the lowest id (numerically) keeps it and
    /// the others get `id-<extensionId>`, so no two extensions ever share a folder. Deterministic from
    /// the extension list alone; ids only grow, so the holder is the oldest extension and stays so.
    public static func folderNumbers(_ extensions: [(id: String, number: String?)]) -> [String: String?] {
        func numericOrder(_ a: String, _ b: String) -> Bool { a.count != b.count ? a.count < b.count : a < b }
        var holder: [String: String] = [:]
        for ext in extensions {
            guard let number = ext.number else { continue }
            if let current = holder[number], !numericOrder(ext.id, current) { continue }
            holder[number] = ext.id
        }
        var result: [String: String?] = [:]
        for ext in extensions {
            let kept: String? = ext.number.flatMap { holder[$0] == ext.id ? $0 : nil }
            result.updateValue(kept, forKey: ext.id)  // a nil value is kept as "no number", not dropped
        }
        return result
    }

    public static func extensionFolder(extensionId: String?, extensionNumber: String?) throws(InvalidIdentifier) -> String {
        guard let extensionId else { return "_account" }
        if let number = extensionNumber, (1...16).contains(number.utf8.count), number.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return number
        }
        return "id-" + (try numericId(extensionId, field: "extension id"))
    }

    /// `<T>_<recordingId>`: a recording's name before the extension its Content-Type decides.
    public static func recordingBaseName(start: Timestamp, recordingId: String) throws(InvalidIdentifier) -> String {
        "\(compactTimestamp(start))_\(try numericId(recordingId, field: "recording id"))"
    }

    /// `<T>_vm.<messageId>`: shared by a voicemail's audio, transcription and sidecar.
    public static func voicemailBaseName(created: Timestamp, messageId: String) throws(InvalidIdentifier) -> String {
        "\(compactTimestamp(created))_vm.\(try numericId(messageId, field: "message id"))"
    }

    public static func recordingFile(start: Timestamp, recordingId: String, fileExtension: MediaExtension) throws(InvalidIdentifier) -> String {
        "\(try recordingBaseName(start: start, recordingId: recordingId)).\(fileExtension.rawValue)"
    }

    /// Revision numbers an insights file name can carry (`.r2` … `.r999999`): far beyond any real history.
    public static let insightsRevisions = 1...999_999

    /// A recording's RingSense insights, revision `revision` (layout-spec §6.9): `<recordingBase>.insights.json`
    /// for the first, `<recordingBase>.insights.r<N>.json` for each later one. Every revision is its own file,
    /// written once: a changed body never replaces the one before.
    public static func insightsFile(recordingBase: String, revision: Int) -> String {
        revision <= 1 ? "\(recordingBase).insights.json" : "\(recordingBase).insights.r\(min(revision, insightsRevisions.upperBound)).json"
    }

    public static func callSidecarFile(start: Timestamp, callId: String) throws(InvalidIdentifier) -> String {
        "\(compactTimestamp(start))_call.\(try caseSafe(callId: callId)).json"
    }

    public static func voicemailFile(created: Timestamp, messageId: String, fileExtension: MediaExtension) throws(InvalidIdentifier) -> String {
        "\(try voicemailBaseName(created: created, messageId: messageId)).\(fileExtension.rawValue)"
    }

    public static func transcriptionFile(created: Timestamp, messageId: String) throws(InvalidIdentifier) -> String {
        "\(try voicemailBaseName(created: created, messageId: messageId)).txt"
    }

    public static func voicemailSidecarFile(created: Timestamp, messageId: String) throws(InvalidIdentifier) -> String {
        "\(try voicemailBaseName(created: created, messageId: messageId)).json"
    }

    /// `<T>_<prefix>.<messageId>` (`vm`, `fax`, `sms`, `pager`): the stem of every file of a message.
    public static func messageBaseName(kind: MessageKind, created: Timestamp, messageId: String) throws(InvalidIdentifier) -> String {
        "\(compactTimestamp(created))_\(kind.namePrefix).\(try numericId(messageId, field: "message id"))"
    }

    /// `<T>_<prefix>.<messageId>.json`: the message's sidecar (for voicemail, revision 3's name).
    public static func messageSidecarFile(kind: MessageKind, created: Timestamp, messageId: String) throws(InvalidIdentifier) -> String {
        "\(try messageBaseName(kind: kind, created: created, messageId: messageId)).json"
    }

    /// `<T>_<prefix>.<messageId>.<attachmentId>`: an attachment's name before its extension (§4.4).
    /// (A voicemail's one audio and one transcription keep revision 3's `<T>_vm.<messageId>.<ext>`.)
    public static func attachmentBaseName(kind: MessageKind, created: Timestamp, messageId: String,
                                          attachmentId: String) throws(InvalidIdentifier) -> String {
        "\(try messageBaseName(kind: kind, created: created, messageId: messageId)).\(try numericId(attachmentId, field: "attachment id"))"
    }

    /// Tenant ids: 16 lowercase hex digits (64 random bits).
    public static func isTenantId(_ value: String) -> Bool {
        value.utf8.count == 16 && value.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private static func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Media file extensions, chosen from the response's Content-Type (recordings, voicemail audio,
/// transcriptions) or from the attachment's `contentType` (every other message attachment).
public enum MediaExtension: String, Sendable, CaseIterable {
    case mp3, wav, txt, pdf, tif, jpg, png, gif, mp4, bin

    /// A message attachment's extension from its content type (§4.5): the nine known types, else `bin`.
    public static func attachment(contentType: String?) -> MediaExtension {
        let base = contentType?.split(separator: ";").first.map { String($0).lowercased().filter { $0 != " " } } ?? ""
        switch base {
        case "application/pdf": return .pdf
        case "image/tiff", "image/tif": return .tif
        case "image/jpeg", "image/jpg", "image/pjpeg": return .jpg
        case "image/png": return .png
        case "image/gif": return .gif
        case "video/mp4": return .mp4
        default: return MediaExtension(contentType: base) ?? .bin
        }
    }

    /// The content type a file of this extension is recorded with when the response gave none.
    public var contentType: String {
        switch self {
        case .mp3: "audio/mpeg"
        case .wav: "audio/wav"
        case .txt: "text/plain"
        case .pdf: "application/pdf"
        case .tif: "image/tiff"
        case .jpg: "image/jpeg"
        case .png: "image/png"
        case .gif: "image/gif"
        case .mp4: "video/mp4"
        case .bin: "application/octet-stream"
        }
    }

    /// `audio/mpeg` → mp3; `audio/wav`, `audio/x-wav`, `audio/wave`, `audio/vnd.wave` → wav;
    /// `text/plain` → txt. Parameters (`; charset=…`) are ignored. Anything else is refused.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let base = contentType.split(separator: ";").first.map { String($0).lowercased().filter { $0 != " " } } ?? ""
        switch base {
        case "audio/mpeg", "audio/mp3", "audio/mpeg3": self = .mp3
        case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave": self = .wav
        case "text/plain": self = .txt
        default: return nil
        }
    }
}

/// What an item folder's file is, by its name alone, under the strict grammar of layout §4.4. A
/// name that fits none of these is not an item file (a stray, a planted or hostile name).
public enum ItemFileName: Sendable, Equatable {
    case callSidecar
    case voicemailSidecar
    case recording(MediaExtension)
    case voicemailAudio(MediaExtension)
    case transcription
    /// `<T>_fax|sms|pager.<messageId>.json` (revision 4).
    case messageSidecar(MessageKind)
    /// `<T>_<prefix>.<messageId>.<attachmentId>.<ext>` (revision 4), any kind, voicemail included.
    case attachment(MessageKind, MediaExtension)
    /// `<T>_<recordingId>.insights.json` or `….insights.r<N>.json`: a recording's RingSense insights,
    /// with the revision its name carries (1 for `.insights.json`). They belong to the call's sidecar.
    case insights(revision: Int)

    public init?(_ name: String) {
        let bytes = Array(name.utf8)
        guard bytes.count > 17, Self.isCompactTimestamp(bytes[0..<16]), bytes[16] == UInt8(ascii: "_") else { return nil }
        let rest = String(decoding: bytes[17...], as: UTF8.self)
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func digits(_ text: String) -> Bool { (1...20).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        func audio(_ text: String) -> MediaExtension? { text == "mp3" ? .mp3 : text == "wav" ? .wav : nil }
        if parts.count == 4, parts[0] == "call", parts[3] == "json" {
            // lowercase(id) "." hex mask with no leading zeros (layout §4.4), decodable back to the id
            let id = parts[1], mask = parts[2]
            guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }),
                (1...16).contains(mask.utf8.count), mask.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
                mask == "0" || !mask.hasPrefix("0"), ArchiveNames.callId(fromCaseSafe: id + "." + mask) != nil
            else { return nil }
            self = .callSidecar
        } else if parts.count == 3, parts[0] != "vm", let kind = MessageKind(namePrefix: parts[0]), digits(parts[1]), parts[2] == "json" {
            self = .messageSidecar(kind)
        } else if parts.count == 4, let kind = MessageKind(namePrefix: parts[0]), digits(parts[1]), digits(parts[2]),
            let ext = MediaExtension(rawValue: parts[3])
        {
            self = .attachment(kind, ext)
        } else if parts.count == 3, parts[0] == "vm", digits(parts[1]) {
            switch parts[2] {
            case "json": self = .voicemailSidecar
            case "txt": self = .transcription
            default:
                guard let ext = audio(parts[2]) else { return nil }
                self = .voicemailAudio(ext)
            }
        } else if parts.count == 2, digits(parts[0]), let ext = audio(parts[1]) {
            self = .recording(ext)
        } else if parts.count == 3, digits(parts[0]), parts[1] == "insights", parts[2] == "json" {
            self = .insights(revision: 1)
        } else if parts.count == 4, digits(parts[0]), parts[1] == "insights", parts[3] == "json", let revision = Self.insightsRevision(parts[2]) {
            self = .insights(revision: revision)
        } else {
            return nil
        }
    }

    public var isSidecar: Bool {
        switch self {
        case .callSidecar, .voicemailSidecar, .messageSidecar: true
        default: false
        }
    }

    /// `r<N>`, N from 2 without leading zeros (revision 1 has no `.r` part): one name per revision.
    static func insightsRevision(_ text: String) -> Int? {
        let digits = text.utf8.dropFirst()
        guard text.hasPrefix("r"), (1...6).contains(digits.count), digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(String(decoding: digits, as: UTF8.self)), value >= 2
        else { return nil }
        return value
    }

    /// `YYYYMMDDTHHMMSSZ`.
    static func isCompactTimestamp(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count == 16 else { return false }
        for (offset, byte) in bytes.enumerated() {
            switch offset {
            case 8: guard byte == UInt8(ascii: "T") else { return false }
            case 15: guard byte == UInt8(ascii: "Z") else { return false }
            default: guard byte >= 0x30 && byte <= 0x39 else { return false }
            }
        }
        return true
    }
}
