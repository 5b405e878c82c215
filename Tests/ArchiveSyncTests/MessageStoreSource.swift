import Foundation
import RingCentral
import ArchiveStore
import ArchiveSync
import RinglogSupport
import Synchronization

/// A message store double: what `message-sync` and `message-store` return for each mailbox, built
/// from records shaped as RingCentral's spec and verbatim examples give them. Attachments answer
/// with the `contentType` their record names (or `answers[attachmentId]`), so a test sees what a
/// real download would bring.
final class MessageStoreSource: ArchiveSource {
    struct Answer: Sendable {
        var status = 200
        var contentType: String?
    }

    /// Messages per mailbox (extension id). Mutable between runs: a test changes a message's status.
    let messages: Mutex<[String: [JSON]]>
    /// ISync answers (per mailbox) for the next incremental sync; consumed once.
    let changes = Mutex<[String: [JSON]]>([:])
    let calls: Mutex<[JSON]>
    let extensionRecords: [JSON]
    let syncTime: Timestamp
    /// Per attachment id: what its download answers (default 200 with the record's contentType).
    let answers: Mutex<[String: Answer]>
    /// Every attachment URI requested, in order.
    let downloads = Mutex<[String]>([])
    /// Every (mailbox, request kind) asked of message-sync and message-store, in order.
    let requests = Mutex<[String]>([])
    /// The next incremental sync answers MSG-333 (the token expired); consumed once.
    let rejectNextToken = Mutex(false)
    /// A full sync with `dateFrom` returns only the records created from then on (as RingCentral's does).
    let fullSyncHonoursDateFrom = Mutex(false)

    static let defaultExtensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"]]

    init(messages: [String: [JSON]], calls: [JSON] = [], extensions: [JSON] = MessageStoreSource.defaultExtensions,
         syncTime: Timestamp = Timestamp(iso8601: "2026-11-20T23:00:00Z")!, answers: [String: Answer] = [:]) {
        self.messages = Mutex(messages)
        self.calls = Mutex(calls)
        self.extensionRecords = extensions
        self.syncTime = syncTime
        self.answers = Mutex(answers)
    }

    func accountInfo() throws(RingCentralError) -> AccountInfo {
        do { return try AccountInfo(json: ["id": 400_000_000_008, "uri": "https://platform.example/restapi/v1.0/account/400000000008"]) } catch {
            throw .invalidResponse(endpoint: "account", reason: "\(error)")
        }
    }

    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] {
        do { return try extensionRecords.map { try ExtensionInfo(json: $0) } } catch {
            throw .invalidResponse(endpoint: "extensions", reason: "\(error)")
        }
    }

    private func decodedCalls() -> [CallLogRecord] { calls.withLock { $0 }.compactMap { try? CallLogRecord(json: $0) } }

    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        Page(records: decodedCalls().filter { $0.startTime >= dateFrom && $0.startTime < dateTo }, nextPageURI: nil)
    }

    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        SyncResult(records: Array(decodedCalls().sorted { $0.startTime > $1.startTime }.prefix(250)), syncToken: "token",
                   syncTime: syncTime, syncType: "FSync", olderRecordsExist: false)
    }

    /// The mailbox's records of the asked types (a record without `type`, or of a type no filter
    /// names, comes whatever was asked: a server that ignores the filter for what it does not know).
    func records(_ extensionId: String, types: Set<String>) -> [MessageRecord] {
        (messages.withLock { $0[extensionId] } ?? []).filter { record in
            record["type"]?.stringValue.map { types.contains($0) || !["VoiceMail", "Fax", "SMS", "Pager"].contains($0) } ?? true
        }.compactMap { try? MessageRecord(json: $0) }
    }

    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        requests.withLock { $0.append("\(extensionId) list \(types.joined(separator: ","))") }
        return Page(records: records(extensionId, types: Set(types)).filter { $0.creationTime >= dateFrom && $0.creationTime < dateTo },
                    nextPageURI: nil)
    }

    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        switch request {
        case .full(_, let dateFrom):
            requests.withLock { $0.append("\(extensionId) FSync \(types.joined(separator: ","))") }
            let found = records(extensionId, types: Set(types)).filter { record in
                guard fullSyncHonoursDateFrom.withLock({ $0 }), let dateFrom else { return true }
                return record.creationTime >= dateFrom
            }
            return SyncResult(records: found, syncToken: "token-" + types.joined(separator: "+"),
                              syncTime: syncTime, syncType: "FSync", olderRecordsExist: false)
        case .incremental(let token):
            requests.withLock { $0.append("\(extensionId) ISync \(types.joined(separator: ",")) \(token)") }
            if rejectNextToken.withLock({ rejected in defer { rejected = false }; return rejected }) {
                let body = APIErrorBody(bytes: Array(#"{"errorCode":"MSG-333","message":"Full synchronization is required"}"#.utf8))
                throw .syncTokenRejected(body: body, endpoint: "GET message-sync")
            }
            let changed = changes.withLock { $0.removeValue(forKey: extensionId) } ?? []
            return SyncResult(records: changed.compactMap { try? MessageRecord(json: $0) }, syncToken: token, syncTime: syncTime,
                              syncType: "ISync", olderRecordsExist: false)
        }
    }

    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try serve(contentURI, contentType: "audio/mpeg", to: descriptor)
    }

    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        let id = String(uri.split(separator: "?").first?.split(separator: "/").last ?? "")
        let declared = messages.withLock { $0 }.values.joined().lazy.compactMap { message in
            message["attachments"]?.arrayValue?.first { $0["id"].map(Self.literal) == id }
        }.first?["contentType"]?.stringValue
        let answer = answers.withLock { $0[id] } ?? Answer(status: 200, contentType: declared)
        guard answer.status == 200 else {
            downloads.withLock { $0.append(uri) }
            throw .http(status: answer.status, body: nil, endpoint: "content")
        }
        return try serve(uri, contentType: answer.contentType, to: descriptor)
    }

    static func literal(_ value: JSON) -> String {
        switch value {
        case .number(let literal): literal
        case .string(let text): text
        default: ""
        }
    }

    static func bytes(for uri: String) -> [UInt8] { Array("content of \(uri)".utf8) + [UInt8](repeating: 7, count: 32) }

    private func serve(_ uri: String, contentType: String?, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloads.withLock { $0.append(uri) }
        let bytes = Self.bytes(for: uri)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return MediaDownload(contentType: contentType, bytes: Int64(bytes.count), sha256: SHA256Hasher.hex(of: bytes), effectiveURL: uri)
    }

    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}
