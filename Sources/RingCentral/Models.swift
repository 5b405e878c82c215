import RinglogSupport

/// Typed views over RingCentral records. Each keeps `raw`, the object exactly as the server sent it
/// (unknown fields, member order and number literals included), for verbatim storage; the typed
/// fields are what ringlog itself reads. A missing required field is an error naming that field.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

struct FieldReader {
    let object: JSONObject
    let context: String

    init(_ json: JSON, context: String) throws(ModelError) {
        guard let object = json.objectValue else { throw ModelError("\(context): expected an object, got \(json.typeName)") }
        self.object = object
        self.context = context
    }

    func string(_ key: String) throws(ModelError) -> String {
        guard let value = object[key] else { throw ModelError("\(context): required field `\(key)` is missing") }
        guard let text = value.stringValue else { throw ModelError("\(context): field `\(key)` should be a string, got \(value.typeName)") }
        return text
    }

    func optionalString(_ key: String) -> String? { object[key]?.stringValue }

    /// An id that the spec types as int64 but some payloads send as a string: kept as its literal text.
    func idLiteral(_ key: String) throws(ModelError) -> String {
        guard let value = object[key] else { throw ModelError("\(context): required field `\(key)` is missing") }
        switch value {
        case .number(let literal) where Int64(literal) != nil: return literal
        case .string(let text) where !text.isEmpty: return text
        default: throw ModelError("\(context): field `\(key)` should be an integer id, got \(value.typeName)")
        }
    }

    func timestamp(_ key: String) throws(ModelError) -> Timestamp {
        let text = try string(key)
        guard let value = Timestamp(iso8601: text) else { throw ModelError("\(context): field `\(key)` is not an ISO 8601 instant: \(text)") }
        return value
    }

    func optionalTimestamp(_ key: String) throws(ModelError) -> Timestamp? {
        guard object[key] != nil else { return nil }
        return try timestamp(key)
    }

    func array(_ key: String) throws(ModelError) -> [JSON] {
        guard let value = object[key] else { throw ModelError("\(context): required field `\(key)` is missing") }
        guard let items = value.arrayValue else { throw ModelError("\(context): field `\(key)` should be an array, got \(value.typeName)") }
        return items
    }
}

public struct AccountInfo: Sendable {
    public init(json: JSON) throws(ModelError) { try self.init(json) }

    /// RingCentral's account id (int64 in the spec), as its literal digits.
    public let id: String
    public let raw: JSONObject

    init(_ json: JSON, _: Void = ()) throws(ModelError) {
        let reader = try FieldReader(json, context: "account")
        id = try reader.idLiteral("id")
        raw = reader.object
    }
}

public struct ExtensionInfo: Sendable {
    public init(json: JSON) throws(ModelError) { try self.init(json, context: "extension") }

    public let id: String
    /// Absent for some extensions (limited extensions, unassigned seats).
    public let extensionNumber: String?
    public let name: String?
    public let type: String?
    public let status: String?
    public let raw: JSONObject

    init(_ json: JSON, context: String) throws(ModelError) {
        let reader = try FieldReader(json, context: context)
        id = try reader.idLiteral("id")
        extensionNumber = reader.optionalString("extensionNumber")
        name = reader.optionalString("name")
        type = reader.optionalString("type")
        status = reader.optionalString("status")
        raw = reader.object
    }
}

public struct RecordingReference: Sendable, Equatable {
    public let id: String
    public let type: String?
    public let contentURI: String
    public init(id: String, type: String?, contentURI: String) {
        self.id = id
        self.type = type
        self.contentURI = contentURI
    }
}

public struct MessageReference: Sendable, Equatable {
    public let id: String
    public let type: String?
    public let uri: String?
}

public struct CallLogRecord: Sendable {
    /// Decodes a record as the API sends it (also how a test double builds one).
    public init(json: JSON) throws(ModelError) { try self.init(json, context: "call-log record") }

    public let id: String
    public let sessionId: String?
    public let startTime: Timestamp
    public let lastModifiedTime: Timestamp?
    /// The extension the call belongs to; nil for calls that belong to none (e.g. answered by an IVR).
    public let extensionId: String?
    public let recording: RecordingReference?
    public let message: MessageReference?
    public let raw: JSONObject

    init(_ json: JSON, context: String) throws(ModelError) {
        let reader = try FieldReader(json, context: context)
        id = try reader.string("id")
        sessionId = reader.optionalString("sessionId")
        startTime = try reader.timestamp("startTime")
        lastModifiedTime = try reader.optionalTimestamp("lastModifiedTime")
        if let ext = reader.object["extension"] {
            extensionId = try FieldReader(ext, context: "\(context).extension").idLiteral("id")
        } else {
            extensionId = CallLogRecord.legExtensionId(reader.object["legs"])
        }
        if let value = reader.object["recording"] {
            let recordingReader = try FieldReader(value, context: "\(context).recording")
            recording = RecordingReference(id: try recordingReader.idLiteral("id"), type: recordingReader.optionalString("type"),
                                           contentURI: try recordingReader.string("contentUri"))
        } else {
            recording = nil
        }
        if let value = reader.object["message"] {
            let messageReader = try FieldReader(value, context: "\(context).message")
            message = MessageReference(id: try messageReader.idLiteral("id"), type: messageReader.optionalString("type"),
                                       uri: messageReader.optionalString("uri"))
        } else {
            message = nil
        }
        raw = reader.object
    }
}

extension CallLogRecord {
    /// A Detailed record can carry `extension` only on its legs (RingCentral's own payloads do): the
    /// master leg's, else the first leg that has one. A leg whose `extension.id` is not an id literal
    /// is passed over, not fatal: the legs are the record's detail, the record is still archived.
    static func legExtensionId(_ legs: JSON?) -> String? {
        guard let legs = legs?.arrayValue else { return nil }
        func id(_ leg: JSON) -> String? {
            guard let value = leg["extension"]?["id"] else { return nil }
            if let text = value.stringValue, (1...20).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) { return text }
            if case .number(let literal) = value, (1...20).contains(literal.count), literal.allSatisfy({ $0.isASCII && $0.isNumber }) { return literal }
            return nil
        }
        if let master = legs.first(where: { $0["master"] == .bool(true) }), let found = id(master) { return found }
        return legs.lazy.compactMap(id).first
    }
}

public struct MessageAttachment: Sendable, Equatable {
    /// Its position in the record's `attachments` (an item error names it, `attachments[2]`).
    public var index: Int = 0
    public let id: String
    public let uri: String
    public let type: String?
    public let contentType: String?
    public let size: Int64?
}

public struct MessageRecord: Sendable {
    public init(json: JSON) throws(ModelError) { try self.init(json, context: "message") }

    /// int64 in the spec and often beyond 2^53: kept as literal digits, never a Double.
    public let id: String
    public let type: String?
    public let extensionId: String?
    public let creationTime: Timestamp
    public let lastModifiedTime: Timestamp?
    public let availability: String?
    public let vmTranscriptionStatus: String?
    public let attachments: [MessageAttachment]
    /// Attachments that cannot be fetched (no usable `id` or `uri`), each with the field and why.
    public let unusableAttachments: [String]
    public let raw: JSONObject

    init(_ json: JSON, context: String) throws(ModelError) {
        let reader = try FieldReader(json, context: context)
        id = try reader.idLiteral("id")
        type = reader.optionalString("type")
        extensionId = reader.optionalString("extensionId")
        availability = reader.optionalString("availability")
        // ISync returns only `id` and `availability` for deleted or purged messages.
        creationTime = availability == "Purged" || availability == "Deleted"
            ? (try reader.optionalTimestamp("creationTime") ?? Timestamp(millisecondsSinceEpoch: 0))
            : try reader.timestamp("creationTime")
        lastModifiedTime = try reader.optionalTimestamp("lastModifiedTime")
        vmTranscriptionStatus = reader.optionalString("vmTranscriptionStatus")
        // The spec requires no field of an attachment: one without a usable `id` or `uri` fails alone
        // (`unusableAttachments`), never the message, whose record is archived verbatim all the same.
        var attachments: [MessageAttachment] = []
        var unusable: [String] = []
        // `attachments` that is not an array cannot be read: every attachment it held fails, with its reason.
        if let value = reader.object["attachments"], value != .null, value.arrayValue == nil {
            unusable.append("`attachments` is not an array, so no attachment of it can be read")  // (its value may hold a token: not quoted)
        }
        for (index, item) in (reader.object["attachments"]?.arrayValue ?? []).enumerated() {
            do throws(ModelError) {
                let attachment = try FieldReader(item, context: "attachments[\(index)]")
                attachments.append(MessageAttachment(
                    index: index, id: try attachment.idLiteral("id"), uri: try attachment.string("uri"), type: attachment.optionalString("type"),
                    contentType: attachment.optionalString("contentType"), size: attachment.object["size"]?.int64Value))
            } catch {
                unusable.append(error.description)
            }
        }
        self.attachments = attachments
        unusableAttachments = unusable
        raw = reader.object
    }
}

/// One page of a list endpoint. `nextPageURI` comes from `navigation.nextPage`: paging follows it,
/// never `totalPages`, which RingCentral may omit.
/// A record RingCentral sent that could not be decoded (a field missing or malformed): kept verbatim
/// so that it fails only itself and nothing RingCentral sent is dropped.
public struct RejectedRecord: Sendable {
    public let raw: JSON
    /// Which field, and why (e.g. `records[3].startTime: "garbage" is not an ISO 8601 instant`).
    public let reason: String
    /// The record's `id` as sent (string or number literal), when it has one.
    public let id: String?

    public init(raw: JSON, reason: String) {
        self.raw = raw
        self.reason = reason
        switch raw["id"] {
        case .string(let text): id = text
        case .number(let literal): id = literal
        default: id = nil
        }
    }
}

public struct Page<Record: Sendable>: Sendable {
    private var decoded: [Record]
    /// Records kept as bytes until taken (`RingCentralClient`'s pages; test doubles hand decoded ones).
    private var deferred: DeferredRecords<Record>?
    public let nextPageURI: String?
    /// Records of this page that did not decode.
    public let rejected: [RejectedRecord]

    public init(records: [Record], nextPageURI: String?, rejected: [RejectedRecord] = []) {
        decoded = records
        self.nextPageURI = nextPageURI
        self.rejected = rejected
    }

    init(deferred: DeferredRecords<Record>, nextPageURI: String?, rejected: [RejectedRecord]) {
        decoded = []
        self.deferred = deferred
        self.nextPageURI = nextPageURI
        self.rejected = rejected
    }

    /// The page's decoded records, in the page's order (a deferred page decodes them all here; they
    /// all decoded on arrival, so none is missing unless decoding stopped being a function of the bytes).
    public var records: [Record] { deferred.map { decoded + ((try? $0.all()) ?? []) } ?? decoded }

    /// Records decoded, not counting the rejected ones, without decoding any.
    public var recordCount: Int { decoded.count + (deferred?.count ?? 0) }

    /// The records, leaving the page without them: a caller that hands them on keeps no second
    /// reference, so each record's parsed JSON can be freed as soon as it is archived.
    public mutating func takeRecords() -> [Record] {
        let taken = records
        decoded = []
        deferred = nil
        return taken
    }

    /// The records one at a time, in the order the page was made with (`DeferredRecords.ordered`), or
    /// nil for a page of decoded records (its caller orders them itself). Each is parsed from the body
    /// when taken, so a page of 1,000 records holds its body and one record's tree, not a tree of
    /// all 1,000 (about twice the body's size: the largest allocation of a first sync).
    public mutating func takeDeferredRecords() -> DeferredRecords<Record>.Iterator? {
        defer { deferred = nil }
        return deferred?.makeIterator()
    }
}

/// A page's records as the bytes of the body they came in (`JSON.parse(_:deferringElementsOf:)`),
/// each already decoded once to sort out the rejected ones: what remains decodes again, identically.
public struct DeferredRecords<Record: Sendable>: Sendable {
    let body: [UInt8]
    /// The decodable records' ranges in the page's order, and the order to take them in.
    let ranges: [Range<Int>]
    let ordered: [Int]
    let context: String
    let decode: @Sendable (JSON, String) throws(ModelError) -> Record

    var count: Int { ranges.count }

    /// Decodes every record of `ranges` once: those that fail are `rejected` (verbatim, as the eager
    /// decoding rejects them), the others are kept as ranges, ordered by `key` as
    /// `sorted(by:)` orders the decoded records (the same comparisons, so the same order).
    static func make(body: [UInt8], ranges: [Range<Int>], context: String,
                     orderedBy key: (Record) -> Timestamp,
                     decode: @escaping @Sendable (JSON, String) throws(ModelError) -> Record) throws(JSONParseError)
        -> (DeferredRecords, [RejectedRecord])
    {
        var kept: [Range<Int>] = []
        var keys: [Timestamp] = []
        var rejected: [RejectedRecord] = []
        for (index, range) in ranges.enumerated() {
            let item = try JSON.parse(body[range])  // duplicate names, which the first pass does not look for, fail the page as before
            do throws(ModelError) {
                let record = try decode(item, "\(context)[\(index)]")
                kept.append(range)
                keys.append(key(record))
            } catch {
                rejected.append(RejectedRecord(raw: item, reason: error.description))
            }
        }
        let ordered = Array(kept.indices).sorted { keys[$0] < keys[$1] }
        return (DeferredRecords(body: body, ranges: kept, ordered: ordered, context: context, decode: decode), rejected)
    }

    /// Record `position` of `ranges`. It decoded at the page's arrival from the same bytes with the same
    /// decoder, so this cannot fail; if it ever did, the page fails (the run stops before its cursor
    /// moves), rather than a record vanishing without a trace.
    func record(_ position: Int) throws(RingCentralError) -> Record {
        do {
            return try decode(try JSON.parse(body[ranges[position]]), "\(context)[\(position)]")
        } catch {
            throw .invalidResponse(endpoint: context, reason: "a record that decoded on arrival no longer does: \(error)")
        }
    }

    func all() throws(RingCentralError) -> [Record] {
        var records: [Record] = []
        for position in ranges.indices { records.append(try record(position)) }
        return records
    }

    /// Takes the records one by one, in `ordered` order.
    public struct Iterator: Sendable {
        let records: DeferredRecords
        var position = 0
        public mutating func next() throws(RingCentralError) -> Record? {
            guard position < records.ordered.count else { return nil }
            defer { position += 1 }
            return try records.record(records.ordered[position])
        }
    }

    public func makeIterator() -> Iterator { Iterator(records: self) }
}

public struct SyncResult<Record: Sendable>: Sendable {
    public let records: [Record]
    public let syncToken: String
    public let syncTime: Timestamp
    public let syncType: String
    /// Message sync only: more records than were returned exist before the window.
    public let olderRecordsExist: Bool
    /// Records of this response that did not decode.
    public let rejected: [RejectedRecord]
    public init(records: [Record], syncToken: String, syncTime: Timestamp, syncType: String, olderRecordsExist: Bool,
                rejected: [RejectedRecord] = []) {
        self.rejected = rejected
        self.records = records
        self.syncToken = syncToken
        self.syncTime = syncTime
        self.syncType = syncType
        self.olderRecordsExist = olderRecordsExist
    }
}

public enum SyncRequest: Sendable {
    /// Full sync: the newest `recordCount` records (at most 250), from `dateFrom` when given.
    case full(recordCount: Int, dateFrom: Timestamp?)
    /// Incremental sync: what changed since the token.
    case incremental(syncToken: String)
}

public enum CallLogView: String, Sendable { case simple = "Simple", detailed = "Detailed" }

/// A finished media download.
public struct MediaDownload: Sendable {
    public let contentType: String?
    public let bytes: Int64
    public let sha256: String
    /// Where the bytes finally came from, `access_token` removed.
    public let effectiveURL: String
    public init(contentType: String?, bytes: Int64, sha256: String, effectiveURL: String) {
        self.contentType = contentType
        self.bytes = bytes
        self.sha256 = sha256
        self.effectiveURL = effectiveURL
    }
}
