import RingCentral
import RinglogSupport

/// What the sync engine reads from RingCentral. `RingCentralClient` is the real one; tests can put a
/// double in its place to feed the engine records no real server would send (hostile ids).
/// Lists come a page at a time, so a run holds one page of records, never a whole window.
public protocol ArchiveSource: Sendable {
    func accountInfo() throws(RingCentralError) -> AccountInfo
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo]
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord>
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord>
    /// One page of a mailbox's message-store list, of the `messageType`s given (VoiceMail, Fax, SMS, Pager).
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                     nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord>
    /// A mailbox's message-sync, of the `messageType`s given.
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord>
    /// One message of a mailbox, whole (Light); nil when RingCentral no longer has it (404).
    func message(extensionId: String, id: String) throws(RingCentralError) -> MessageRecord?
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload
    /// A recording's RingSense insights (Light); nil while RingCentral has none (404).
    func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights?
    /// False for a source that cannot ask RingSense at all (a replay of recorded payloads, a test double
    /// that predates insights): the engine then never asks, as with `--insights off`.
    var servesInsights: Bool { get }
    func revoke()
    /// Requests sent and 429s received per rate-limit group, for the run log.
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { get }
}

extension ArchiveSource {
    /// A double that cannot read single messages: a deleted message it never listed stays unarchived.
    public func message(extensionId: String, id: String) throws(RingCentralError) -> MessageRecord? { nil }
    public func recordingInsights(recordingId: String) throws(RingCentralError) -> RecordingInsights? { nil }
    public var servesInsights: Bool { false }
}

extension RingCentralClient: ArchiveSource {
    public var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { requestStatistics }
    public var servesInsights: Bool { true }
}
