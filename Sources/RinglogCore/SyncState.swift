import RinglogSupport

/// A list-API range still to be walked, oldest first, in windows; `cursor` is where the next
/// window starts. It advances only after the window's items are durable.
public struct BackfillRange: Sendable, Equatable {
    public var from: Timestamp
    public var to: Timestamp
    public var cursor: Timestamp

    var json: JSON { ["from": .string(from.iso8601), "to": .string(to.iso8601), "cursor": .string(cursor.iso8601)] }

    init(from: Timestamp, to: Timestamp, cursor: Timestamp) {
        self.from = from
        self.to = to
        self.cursor = cursor
    }

    init?(json: JSON?) {
        guard let json, let from = json["from"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let to = json["to"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
            let cursor = json["cursor"]?.stringValue.flatMap({ Timestamp(iso8601: $0) })
        else { return nil }
        self.init(from: from, to: to, cursor: cursor)
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

    public init() {}

    var json: JSON {
        var object = JSONObject()
        object["syncToken"] = syncToken.map { .string($0) } ?? .null
        object["syncTime"] = syncTime.map { .string($0.iso8601) } ?? .null
        object["backfill"] = backfill?.json ?? .null
        object["highWaterMark"] = highWaterMark.map { .string($0.iso8601) } ?? .null
        return .object(object)
    }

    init(json: JSON?) {
        syncToken = json?["syncToken"]?.stringValue
        syncTime = json?["syncTime"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        backfill = BackfillRange(json: json?["backfill"])
        highWaterMark = json?["highWaterMark"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
    }

    mutating func raiseHighWaterMark(_ time: Timestamp) {
        if highWaterMark.map({ time > $0 }) ?? true { highWaterMark = time }
    }
}

/// `.ringlog/state.json`: sync tokens and checkpoints, replaced atomically and only after the data
/// they cover is durable.
public struct SyncState: Sendable, Equatable {
    public static let fileName = "state.json"
    public var callLog = StreamState()
    public var voicemail: [String: StreamState] = [:]

    public init() {}

    public static func load(_ path: String) throws -> SyncState {
        guard DurableFiles.exists(path) else { return SyncState() }
        let json: JSON
        do { json = try JSON.parse(try DurableFiles.read(path)) } catch { throw ConfigurationError("\(path): \(error)") }
        guard json["format"] == "ringlog-state" else { throw ConfigurationError("\(path) is not a ringlog state file") }
        var state = SyncState()
        state.callLog = StreamState(json: json["callLog"])
        for member in json["voicemail"]?.objectValue?.members ?? [] { state.voicemail[member.key] = StreamState(json: member.value) }
        return state
    }

    public var json: JSON {
        var voicemails = JSONObject()
        for key in voicemail.keys.sorted() { voicemails[key] = voicemail[key]?.json }
        return ["format": "ringlog-state", "layoutVersion": .int(ArchiveNames.layoutVersion), "callLog": callLog.json,
                "voicemail": .object(voicemails)]
    }

    public func save(_ path: String) throws {
        try DurableFiles.writeAtomically(path, json.serializedBytes(.pretty) + [0x0A])
    }
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

    var key: String { "\(kind.rawValue):\(mediaId)" }

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
        return .object(object)
    }

    init(kind: MediaEntry.Kind, mediaId: String, sidecar: String, uri: String, startTime: Timestamp, attempts: Int,
         firstSeenAt: Timestamp, nextAttemptAt: Timestamp, lastError: String, quarantinedAt: Timestamp?) {
        self.kind = kind
        self.mediaId = mediaId
        self.sidecar = sidecar
        self.uri = uri
        self.startTime = startTime
        self.attempts = attempts
        self.firstSeenAt = firstSeenAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.quarantinedAt = quarantinedAt
    }

    init?(json: JSON) {
        func time(_ key: String) -> Timestamp? { json[key]?.stringValue.flatMap { Timestamp(iso8601: $0) } }
        guard let kind = json["kind"]?.stringValue.flatMap(MediaEntry.Kind.init(rawValue:)), let mediaId = json["mediaId"]?.stringValue,
            let sidecar = json["sidecar"]?.stringValue, let uri = json["uri"]?.stringValue, let start = time("startTime"),
            let attempts = json["attempts"]?.int64Value, let first = time("firstSeenAt"), let next = time("nextAttemptAt")
        else { return nil }
        self.init(kind: kind, mediaId: mediaId, sidecar: sidecar, uri: uri, startTime: start, attempts: Int(attempts),
                  firstSeenAt: first, nextAttemptAt: next, lastError: json["lastError"]?.stringValue ?? "", quarantinedAt: time("quarantinedAt"))
    }
}

/// `.ringlog/pending.json`: the pending queue and the quarantine, replaced atomically when changed.
public struct PendingQueue: Sendable, Equatable {
    public static let fileName = "pending.json"
    public var pending: [PendingItem] = []
    public var quarantined: [PendingItem] = []

    public init() {}

    public static func load(_ path: String) throws -> PendingQueue {
        guard DurableFiles.exists(path) else { return PendingQueue() }
        let json: JSON
        do { json = try JSON.parse(try DurableFiles.read(path)) } catch { throw ConfigurationError("\(path): \(error)") }
        var queue = PendingQueue()
        for (key, target) in [("pending", \PendingQueue.pending), ("quarantined", \PendingQueue.quarantined)] {
            for entry in json[key]?.arrayValue ?? [] {
                guard let item = PendingItem(json: entry) else { throw ConfigurationError("\(path): malformed \(key) entry") }
                queue[keyPath: target].append(item)
            }
        }
        return queue
    }

    public var json: JSON {
        ["format": "ringlog-pending", "layoutVersion": .int(ArchiveNames.layoutVersion),
         "pending": .array(pending.sorted { $0.startTime < $1.startTime }.map(\.json)),
         "quarantined": .array(quarantined.sorted { $0.startTime < $1.startTime }.map(\.json))]
    }

    public func save(_ path: String) throws {
        try DurableFiles.writeAtomically(path, json.serializedBytes(.pretty) + [0x0A])
    }
}
