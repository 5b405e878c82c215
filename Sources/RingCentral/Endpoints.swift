import CurlHTTP
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// The endpoints ringlog reads. Groups follow the spec's `x-throttling-group`.
extension RingCentralClient {
    static let apiPrefix = "/restapi/v1.0/account/~"

    /// `GET /restapi/v1.0/account/~` (Light): the account a tenant is bound to.
    public func accountInfo() throws(RingCentralError) -> AccountInfo {
        let endpoint = "GET /account/~"
        let json = try getJSON(url(Self.apiPrefix), group: .light, endpoint: endpoint)
        do { return try AccountInfo(json) } catch { throw .invalidResponse(endpoint: endpoint, reason: error.description) }
    }

    /// `GET /restapi/v1.0/account/~/extension` (Medium), every page, following `navigation.nextPage`.
    public func extensions(perPage: Int = 1000) throws(RingCentralError) -> [ExtensionInfo] {
        let endpoint = "GET /account/~/extension"
        return try allPages(from: url(Self.apiPrefix + "/extension", [("perPage", String(perPage)), ("page", "1")]), group: .medium,
                            endpoint: endpoint) { item, context throws(ModelError) in try ExtensionInfo(item, context: context) }
    }

    /// `GET /restapi/v1.0/account/~/call-log` (Heavy): one page. `dateFrom` and `dateTo` are always
    /// sent (RingCentral's default is only the last 24 hours); pass `page.nextPageURI` to continue.
    public func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int = 1000, view: CallLogView = .detailed,
                            nextPageURI: String? = nil) throws(RingCentralError) -> Page<CallLogRecord> {
        let endpoint = "GET /account/~/call-log"
        let pageURL = nextPageURI ?? url(Self.apiPrefix + "/call-log", [
            ("dateFrom", dateFrom.iso8601), ("dateTo", dateTo.iso8601), ("view", view.rawValue),
            ("perPage", String(min(max(perPage, 1), 1000))), ("page", "1"),
        ])
        let decode: @Sendable (JSON, String) throws(ModelError) -> CallLogRecord = { item, context throws(ModelError) in
            try CallLogRecord(item, context: context)
        }
        return try deferredPage(pageURL, group: .heavy, endpoint: endpoint, orderedBy: \.startTime, decode)
    }

    /// A page of up to 1,000 records kept as its body, each record parsed when the sync takes it
    /// (`Page.takeDeferredRecords`), in `key` order; decoded once here to sort out the rejected ones.
    func deferredPage<Record: Sendable>(_ pageURL: String, group: RateLimitGroup, endpoint: String, orderedBy key: (Record) -> Timestamp,
                                        _ decode: @escaping @Sendable (JSON, String) throws(ModelError) -> Record) throws(RingCentralError) -> Page<Record> {
        let (body, json, ranges) = try getPageDeferringRecords(pageURL, group: group, endpoint: endpoint)
        guard let ranges else { return try decodePage(json, endpoint: endpoint, decode) }  // `records` is not an array: refused there
        do {
            let (records, rejected) = try DeferredRecords.make(body: body, ranges: ranges, context: "records", orderedBy: key, decode: decode)
            return Page(deferred: records, nextPageURI: Self.nextPageURI(json), rejected: rejected)
        } catch {
            throw .invalidResponse(endpoint: endpoint, reason: error.description)
        }
    }

    /// Every call-log record in [dateFrom, dateTo), all pages.
    public func callLog(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int = 1000,
                        view: CallLogView = .detailed) throws(RingCentralError) -> [CallLogRecord] {
        let first = url(Self.apiPrefix + "/call-log", [
            ("dateFrom", dateFrom.iso8601), ("dateTo", dateTo.iso8601), ("view", view.rawValue),
            ("perPage", String(min(max(perPage, 1), 1000))), ("page", "1"),
        ])
        return try allPages(from: first, group: .heavy, endpoint: "GET /account/~/call-log") { item, context throws(ModelError) in
            try CallLogRecord(item, context: context)
        }
    }

    /// `GET /restapi/v1.0/account/~/call-log-sync` (Heavy). A refused token surfaces as
    /// `RingCentralError.syncTokenRejected`: recover through the list API, then FSync again.
    public func callLogSync(_ request: SyncRequest, view: CallLogView = .detailed) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        let endpoint = "GET /account/~/call-log-sync"
        var query: [(String, String)]
        switch request {
        case .full(let recordCount, let dateFrom):
            query = [("syncType", "FSync"), ("recordCount", String(min(max(recordCount, 1), 250))), ("view", view.rawValue)]
            if let dateFrom { query.append(("dateFrom", dateFrom.iso8601)) }
        case .incremental(let token):
            query = [("syncType", "ISync"), ("syncToken", token)]
        }
        let json = try getJSON(url(Self.apiPrefix + "/call-log-sync", query), group: .heavy, endpoint: endpoint)
        return try decodeSync(json, endpoint: endpoint) { item, context throws(ModelError) in try CallLogRecord(item, context: context) }
    }

    /// `GET /restapi/v1.0/account/~/extension/{id}/message-sync` (Light) for the `messageType`s given
    /// (`VoiceMail`, `Fax`, `SMS`, `Pager`), one `messageType` parameter each. Message sync does not page.
    public func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        let endpoint = "GET /account/~/extension/\(extensionId)/message-sync"
        var query: [(String, String)] = types.map { ("messageType", $0) }
        switch request {
        case .full(let recordCount, let dateFrom):
            query += [("syncType", "FSync"), ("recordCount", String(max(recordCount, 1)))]
            if let dateFrom { query.append(("dateFrom", dateFrom.iso8601)) }
        case .incremental(let token):
            query += [("syncType", "ISync"), ("syncToken", token)]
        }
        let path = Self.apiPrefix + "/extension/\(pathSegment(extensionId))/message-sync"
        let json = try getJSON(url(path, query), group: .light, endpoint: endpoint)
        return try decodeSync(json, endpoint: endpoint) { item, context throws(ModelError) in try MessageRecord(item, context: context) }
    }

    /// Voicemail only: `messageSync(types: ["VoiceMail"])`.
    public func voicemailSync(extensionId: String, _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try messageSync(extensionId: extensionId, types: ["VoiceMail"], request)
    }

    /// `GET /restapi/v1.0/account/~/extension/{id}/message-store?messageType=VoiceMail` (Light), every page.
    public func voicemails(extensionId: String, dateFrom: Timestamp, dateTo: Timestamp,
                           perPage: Int = 1000) throws(RingCentralError) -> [MessageRecord] {
        let endpoint = "GET /account/~/extension/\(extensionId)/message-store"
        let first = url(Self.apiPrefix + "/extension/\(pathSegment(extensionId))/message-store", [
            ("messageType", "VoiceMail"), ("dateFrom", dateFrom.iso8601), ("dateTo", dateTo.iso8601),
            ("perPage", String(min(max(perPage, 1), 1000))), ("page", "1"),
        ])
        return try allPages(from: first, group: .light, endpoint: endpoint) { item, context throws(ModelError) in
            try MessageRecord(item, context: context)
        }
    }

    /// One page of `GET …/extension/{id}/message-store` (Light) for the `messageType`s given; pass
    /// `nextPageURI` to continue.
    public func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int = 1000,
                            nextPageURI: String? = nil) throws(RingCentralError) -> Page<MessageRecord> {
        let endpoint = "GET /account/~/extension/\(extensionId)/message-store"
        let pageURL = nextPageURI ?? url(Self.apiPrefix + "/extension/\(pathSegment(extensionId))/message-store", types.map { ("messageType", $0) } + [
            ("dateFrom", dateFrom.iso8601), ("dateTo", dateTo.iso8601), ("perPage", String(min(max(perPage, 1), 1000))), ("page", "1"),
        ])
        let decode: @Sendable (JSON, String) throws(ModelError) -> MessageRecord = { item, context throws(ModelError) in
            try MessageRecord(item, context: context)
        }
        return try deferredPage(pageURL, group: .light, endpoint: endpoint, orderedBy: \.creationTime, decode)
    }

    /// `GET …/extension/{id}/message-store/{messageId}` (Light): one message, whole; nil on 404 (RingCentral
    /// no longer has it). Message-sync reports a deleted message by id and availability alone, while
    /// RingCentral still keeps it, content included, until it is purged.
    public func message(extensionId: String, id: String) throws(RingCentralError) -> MessageRecord? {
        let endpoint = "GET /account/~/extension/{id}/message-store/{id}"
        let json: JSON
        do {
            json = try getJSON(url(Self.apiPrefix + "/extension/\(pathSegment(extensionId))/message-store/\(pathSegment(id))"),
                               group: .light, endpoint: endpoint)
        } catch {
            if case .http(404, _, _) = error { return nil }
            throw error
        }
        do { return try MessageRecord(json: json) } catch { throw .invalidResponse(endpoint: endpoint, reason: "\(error)") }
    }

    /// Voicemail only: `messagePage(types: ["VoiceMail"])`.
    public func voicemailPage(extensionId: String, dateFrom: Timestamp, dateTo: Timestamp, perPage: Int = 1000,
                              nextPageURI: String? = nil) throws(RingCentralError) -> Page<MessageRecord> {
        try messagePage(extensionId: extensionId, types: ["VoiceMail"], dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, nextPageURI: nextPageURI)
    }

    /// `GET /restapi/v1.0/account/~/recording/{id}` (Heavy, ReadCallRecording): a recording's metadata.
    public func recordingMetadata(id: String) throws(RingCentralError) -> JSON {
        try getJSON(url(Self.apiPrefix + "/recording/\(pathSegment(id))"), group: .heavy, endpoint: "GET /account/~/recording/{id}")
    }

    /// Streams a recording's content (Heavy) into `descriptor`, from the record's `contentUri`.
    public func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try download(contentURI, group: .heavy, endpoint: "GET /account/~/recording/{id}/content", to: descriptor)
    }

    /// Streams a message attachment (Medium) into `descriptor`, from the attachment's `uri`.
    public func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try download(uri, group: .medium, endpoint: "GET /account/~/extension/{id}/message-store/{id}/content/{id}", to: descriptor)
    }

    /// Media never passes through memory: it is written to the descriptor as it arrives and hashed on
    /// the way. A retry rewinds and truncates the file first, so a half-written attempt leaves nothing.
    private func download(_ uri: String, group: RateLimitGroup, endpoint: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        let rewind = {
            _ = ftruncate(descriptor, 0)
            _ = lseek(descriptor, 0, SEEK_SET)
        }
        let response = try authorizedGet(uri, group: group, sink: .file(descriptor: descriptor), endpoint: endpoint, prepareRetry: rewind)
        guard response.isSuccess, let sha256 = response.sha256 else {
            rewind()
            throw .http(status: response.status, body: APIErrorBody(bytes: response.body), endpoint: endpoint)
        }
        return MediaDownload(contentType: response.contentType, bytes: response.bytesWritten, sha256: sha256,
                             effectiveURL: response.effectiveURL)
    }

    // MARK: Decoding

    /// Every record of a list endpoint, following `navigation.nextPage` (never `totalPages`, which
    /// RingCentral may omit) until there is none.
    func allPages<Record: Sendable>(from first: String, group: RateLimitGroup, endpoint: String,
                          _ decode: (JSON, String) throws(ModelError) -> Record) throws(RingCentralError) -> [Record] {
        var records: [Record] = []
        var next: String? = first
        while let pageURL = next {
            let page = try decodePage(try getJSON(pageURL, group: group, endpoint: endpoint), endpoint: endpoint, decode)
            records += page.records
            next = page.nextPageURI
        }
        return records
    }

    /// `navigation.nextPage.uri`: paging follows it, never `totalPages`.
    static func nextPageURI(_ page: JSON) -> String? { page["navigation"]?["nextPage"]?["uri"]?.stringValue }

    func decodePage<Record>(_ json: JSON, endpoint: String,
                            _ decode: (JSON, String) throws(ModelError) -> Record) throws(RingCentralError) -> Page<Record> {
        do throws(ModelError) {
            let reader = try FieldReader(json, context: endpoint)
            let (records, rejected) = try decodeRecords(reader, decode)
            return Page(records: records, nextPageURI: Self.nextPageURI(json), rejected: rejected)
        } catch {
            throw .invalidResponse(endpoint: endpoint, reason: error.description)
        }
    }

    func decodeSync<Record>(_ json: JSON, endpoint: String,
                            _ decode: (JSON, String) throws(ModelError) -> Record) throws(RingCentralError) -> SyncResult<Record> {
        do throws(ModelError) {
            let reader = try FieldReader(json, context: endpoint)
            let (records, rejected) = try decodeRecords(reader, decode)
            guard let info = json["syncInfo"] else { throw ModelError("\(endpoint): required field `syncInfo` is missing") }
            let infoReader = try FieldReader(info, context: "\(endpoint).syncInfo")
            return SyncResult(records: records, syncToken: try infoReader.string("syncToken"), syncTime: try infoReader.timestamp("syncTime"),
                              syncType: try infoReader.string("syncType"),
                              olderRecordsExist: info["olderRecordsExist"]?.boolValue ?? false, rejected: rejected)
        } catch {
            throw .invalidResponse(endpoint: endpoint, reason: error.description)
        }
    }

    /// `records[]`, decoded one by one: a malformed record fails only itself (it comes back in
    /// `rejected`, verbatim, with the field and the reason); the rest of the page is used.
    private func decodeRecords<Record>(_ reader: FieldReader, _ decode: (JSON, String) throws(ModelError) -> Record)
        throws(ModelError) -> ([Record], [RejectedRecord])
    {
        var records: [Record] = []
        var rejected: [RejectedRecord] = []
        for (index, item) in try reader.array("records").enumerated() {
            do throws(ModelError) {
                records.append(try decode(item, "records[\(index)]"))
            } catch {
                rejected.append(RejectedRecord(raw: item, reason: error.description))
            }
        }
        return (records, rejected)
    }

    /// An id placed in a URL path: percent-encoded so that an odd id can never change the path.
    func pathSegment(_ id: String) -> String { percentEncode(id) }
}
