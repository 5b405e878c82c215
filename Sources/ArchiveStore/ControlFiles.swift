import RinglogSupport

/// A list-API range still to be walked, oldest first, in windows; `cursor` is where the next
/// window starts. It advances only after the window's items are durable.
public struct BackfillRange: Sendable, Equatable {
    public var from: Timestamp
    public var to: Timestamp
    public var cursor: Timestamp
    /// The width of the next window, in days, when it adapts to what the last one held (absent: the
    /// configured width). Kept so that a resumed backfill goes on at the width it had reached.
    public var windowDays: Int?
    /// Message streams: the `messageType`s this range lists (absent: the stream's `messageTypes`). A
    /// kind added to a tenant is backfilled from `since` with a range of its types alone (§8.1).
    public var messageTypes: [String]?
    var extra = JSONObject()

    var json: JSON {
        var object: JSONObject = ["from": .string(from.iso8601), "to": .string(to.iso8601), "cursor": .string(cursor.iso8601)]
        if let windowDays { object["windowDays"] = .int(windowDays) }
        if let messageTypes { object["messageTypes"] = .array(messageTypes.map { .string($0) }) }
        object.appendUnowned(extra)
        return .object(object)
    }

    public init(from: Timestamp, to: Timestamp, cursor: Timestamp) {
        self.from = from
        self.to = to
        self.cursor = cursor
    }

    init?(json: JSON?) {
        guard let json, let object = json.objectValue, let from = json["from"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let to = json["to"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let cursor = json["cursor"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        self.init(from: from, to: to, cursor: cursor)
        if let days = json["windowDays"]?.int64Value, days > 0 { windowDays = Int(min(days, 36_600)) }
        messageTypes = json["messageTypes"]?.arrayValue?.compactMap(\.stringValue)
        extra = object.removing(["from", "to", "cursor", "windowDays", "messageTypes"])
    }
}

/// Where one stream (the account call log, or one extension's voicemail) stands.
public struct StreamState: Sendable, Equatable {
    public var syncToken: String?
    public var syncTime: Timestamp?
    public var backfill: BackfillRange?
    /// Latest start (or creation) time of an item archived from this stream: recovery after a
    /// rejected token re-lists from here minus the overlap.
    public var highWaterMark: Timestamp?
    /// When the last deep reconcile (a re-list of the last days through the list API) completed.
    public var deepReconciledAt: Timestamp?
    /// Message streams: the `messageType`s the token was taken for (FSync), in canonical order.
    /// Absent in a stream written before layout revision 4, whose token covers `VoiceMail` alone.
    public var messageTypes: [String]?
    var extra = JSONObject()

    static let ownedKeys: Set<String> = ["syncToken", "syncTime", "backfill", "highWaterMark", "deepReconciledAt", "messageTypes"]

    public init() {}

    var json: JSON {
        var object = JSONObject()
        object["syncToken"] = syncToken.map { .string($0) } ?? .null
        object["syncTime"] = syncTime.map { .string($0.iso8601) } ?? .null
        object["backfill"] = backfill?.json ?? .null
        object["highWaterMark"] = highWaterMark.map { .string($0.iso8601) } ?? .null
        if let deepReconciledAt { object["deepReconciledAt"] = .string(deepReconciledAt.iso8601) }
        if let messageTypes { object["messageTypes"] = .array(messageTypes.map { .string($0) }) }
        object.appendUnowned(extra)
        return .object(object)
    }

    init(json: JSON?) {
        syncToken = json?["syncToken"]?.stringValue
        syncTime = json?["syncTime"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        backfill = BackfillRange(json: json?["backfill"])
        highWaterMark = json?["highWaterMark"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        deepReconciledAt = json?["deepReconciledAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        messageTypes = json?["messageTypes"]?.arrayValue?.compactMap(\.stringValue)
        extra = json?.objectValue?.removing(Self.ownedKeys) ?? JSONObject()
    }

    public mutating func raiseHighWaterMark(_ time: Timestamp) {
        if highWaterMark.map({ time > $0 }) ?? true { highWaterMark = time }
    }
}

/// Checks a control file's `format` and `layoutVersion`: a file of another kind, or of a version
/// this ringlog does not implement, stops the run rather than being read as if it were v1.
func checkControlFile(_ json: JSON, format: String, path: String) throws(ControlFileError) -> JSONObject {
    guard let object = json.objectValue else { throw ControlFileError(path, "not a JSON object") }
    guard json["format"]?.stringValue == format else {
        throw ControlFileError(path, "format \(json["format"]?.serialized() ?? "missing") is not \(format)")
    }
    guard let version = json["layoutVersion"]?.int64Value, version == Int64(ArchiveNames.layoutVersion) else {
        throw ControlFileError(path, "layout version \(json["layoutVersion"]?.serialized() ?? "missing") is not one this ringlog "
                               + "implements (v\(ArchiveNames.layoutVersion)); upgrade ringlog, or restore the file")
    }
    return object
}

func parseControlFile(_ bytes: [UInt8], path: String) throws(ControlFileError) -> JSON {
    do { return try JSON.parse(bytes) } catch { throw ControlFileError(path, "not valid JSON (\(error))") }
}

/// `.ringlog/state.json`: sync tokens and checkpoints, replaced atomically and only after the data
/// they cover is durable.
public struct SyncState: Sendable, Equatable {
    public static let fileName = "state.json"
    public var callLog = StreamState()
    public var voicemail: [String: StreamState] = [:]
    var extra = JSONObject()
    var voicemailExtra = JSONObject()

    public init() {}

    static func isExtensionId(_ key: String) -> Bool {
        (1...20).contains(key.utf8.count) && key.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    public static func load(_ path: String) throws -> SyncState {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return SyncState() }
        let json = try parseControlFile(bytes, path: path)
        let object = try checkControlFile(json, format: "ringlog-state", path: path)
        var state = SyncState()
        state.callLog = StreamState(json: json["callLog"])
        // Streams are keyed by extension id (digits); any other member is not ringlog's and is kept as it is.
        for member in json["voicemail"]?.objectValue?.members ?? [] {
            if isExtensionId(member.key), case .object = member.value {
                state.voicemail[member.key] = StreamState(json: member.value)
            } else {
                state.voicemailExtra[member.key] = member.value
            }
        }
        state.extra = object.removing(["format", "layoutVersion", "callLog", "voicemail"])
        return state
    }

    public var json: JSON {
        var voicemails = JSONObject()
        for key in voicemail.keys.sorted() { voicemails[key] = voicemail[key]?.json }
        voicemails.appendUnowned(voicemailExtra)
        var object: JSONObject = ["format": "ringlog-state", "layoutVersion": .int(ArchiveNames.layoutVersion), "callLog": callLog.json,
                                  "voicemail": .object(voicemails)]
        object.appendUnowned(extra)
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }
}

/// A media item that could not be fetched yet (a recording still 404 while RingCentral processes
/// it, a transient failure), retried on later runs with backoff, then quarantined.
public struct PendingItem: Sendable, Equatable {
    public var kind: MediaEntry.Kind
    /// recordingId, or attachment id for voicemail media.
    public var mediaId: String
    /// The sidecar the media belongs to, relative to the tenant directory.
    public var sidecar: String
    /// Where to fetch it (`access_token` removed).
    public var uri: String
    public var startTime: Timestamp
    public var attempts: Int
    public var firstSeenAt: Timestamp
    public var nextAttemptAt: Timestamp
    public var lastError: String
    public var quarantinedAt: Timestamp?
    var extra = JSONObject()

    static let ownedKeys: Set<String> = ["kind", "mediaId", "sidecar", "uri", "startTime", "attempts", "firstSeenAt", "nextAttemptAt",
                                         "lastError", "quarantinedAt"]

    public var key: String { Self.key(kind: kind, mediaId: mediaId, sidecar: sidecar) }

    /// What identifies a waiting media file. A recording is stored once whichever calls reference it:
    /// its id alone. A message attachment's id is only known to be unique within its message (older and
    /// hostile payloads repeat ids across messages): it is keyed by its sidecar too, so one message's
    /// waiting attachment never stands for another's.
    public static func key(kind: MediaEntry.Kind, mediaId: String, sidecar: String) -> String {
        kind == .recording || kind == .insights ? "\(kind.rawValue):\(mediaId)" : "\(kind.rawValue):\(mediaId)@\(sidecar)"
    }

    var json: JSON {
        var object = JSONObject()
        object["kind"] = .string(kind.rawValue)
        object["mediaId"] = .string(mediaId)
        object["sidecar"] = .string(sidecar)
        object["uri"] = .string(uri)
        object["startTime"] = .string(startTime.iso8601)
        object["attempts"] = .int(attempts)
        object["firstSeenAt"] = .string(firstSeenAt.iso8601)
        object["nextAttemptAt"] = .string(nextAttemptAt.iso8601)
        object["lastError"] = .string(lastError)
        if let quarantinedAt { object["quarantinedAt"] = .string(quarantinedAt.iso8601) }
        object.appendUnowned(extra)
        return .object(object)
    }

    public init(kind: MediaEntry.Kind, mediaId: String, sidecar: String, uri: String, startTime: Timestamp, attempts: Int,
                firstSeenAt: Timestamp, nextAttemptAt: Timestamp, lastError: String, quarantinedAt: Timestamp?) {
        self.kind = kind
        self.mediaId = mediaId
        self.sidecar = sidecar
        self.uri = strippingAccessTokens(.string(uri)).stringValue ?? uri
        self.startTime = startTime
        self.attempts = attempts
        self.firstSeenAt = firstSeenAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.quarantinedAt = quarantinedAt
    }

    init?(json: JSON) {
        func time(_ key: String) -> Timestamp? { json[key]?.stringValue.flatMap { Timestamp(iso8601: $0) } }
        guard let object = json.objectValue, let kind = json["kind"]?.stringValue.flatMap(MediaEntry.Kind.init(rawValue:)),
            let mediaId = json["mediaId"]?.stringValue, let sidecar = json["sidecar"]?.stringValue, let uri = json["uri"]?.stringValue,
            let start = time("startTime"), let attempts = json["attempts"]?.int64Value, let first = time("firstSeenAt"),
            let next = time("nextAttemptAt")
        else { return nil }
        self.init(kind: kind, mediaId: mediaId, sidecar: sidecar, uri: uri, startTime: start, attempts: Int(min(max(attempts, 0), 1_000)),
                  firstSeenAt: first, nextAttemptAt: next, lastError: json["lastError"]?.stringValue ?? "", quarantinedAt: time("quarantinedAt"))
        extra = object.removing(Self.ownedKeys)
    }
}

/// `.ringlog/pending.json`: the pending queue and the quarantine, replaced atomically when changed.
public struct PendingQueue: Sendable, Equatable {
    public static let fileName = "pending.json"
    public var pending: [PendingItem] = []
    public var quarantined: [PendingItem] = []
    /// Recordings whose RingSense insights are to be asked for (kind `insights`, §8.2): a queue of its own,
    /// because a recording without insights is not a failure (most never get any). Never quarantined: an
    /// entry is dropped once its call is past the asking bound. Written only when non-empty.
    public var insights: [PendingItem] = []
    var extra = JSONObject()

    public init() {}

    public static func load(_ path: String) throws -> PendingQueue {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return PendingQueue() }
        let json = try parseControlFile(bytes, path: path)
        let object = try checkControlFile(json, format: "ringlog-pending", path: path)
        var queue = PendingQueue()
        for (key, target) in [("pending", \PendingQueue.pending), ("quarantined", \PendingQueue.quarantined), ("insights", \PendingQueue.insights)] {
            for (index, entry) in (json[key]?.arrayValue ?? []).enumerated() {
                guard let item = PendingItem(json: entry) else { throw ControlFileError(path, "\(key)[\(index)] is malformed") }
                queue[keyPath: target].append(item)
            }
        }
        queue.extra = object.removing(["format", "layoutVersion", "pending", "quarantined", "insights"])
        return queue
    }

    public var json: JSON {
        var object: JSONObject = ["format": "ringlog-pending", "layoutVersion": .int(ArchiveNames.layoutVersion),
                                  "pending": .array(pending.sorted { $0.startTime < $1.startTime }.map(\.json)),
                                  "quarantined": .array(quarantined.sorted { $0.startTime < $1.startTime }.map(\.json))]
        if !insights.isEmpty { object["insights"] = .array(insights.map(\.json)) }
        object.appendUnowned(extra)
        return .object(object)
    }

    public var bytes: [UInt8] { json.serializedBytes(.pretty) + [0x0A] }
}
