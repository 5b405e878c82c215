import ArchiveStore
import ArchiveSync
import Foundation
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Synchronization
import Testing

/// RingCentral answers `403 CMN-404 "Attempt to access another extension"` when the JWT user reads a
/// mailbox it may not (its own Archiver archives only the admin's own voicemail). Such a mailbox is
/// skipped with one warning; with its own JWT (the secrets file's `mailboxes`) it is read with its own login.
final class MailboxGateSource: ArchiveSource {
    let inner: ScriptedSource
    let refused: Set<String>
    init(_ inner: ScriptedSource, refusing refused: Set<String>) {
        self.inner = inner
        self.refused = refused
    }
    static let anotherExtension = APIErrorBody(bytes: Array(#"{"errorCode":"CMN-404","message":"Attempt to access another extension","errors":[{"errorCode":"CMN-404","message":"Attempt to access another extension"}]}"#.utf8))
    func gate(_ extensionId: String) throws(RingCentralError) {
        if refused.contains(extensionId) { throw .http(status: 403, body: Self.anotherExtension, endpoint: "GET message-sync") }
    }
    func accountInfo() throws(RingCentralError) -> AccountInfo { try inner.accountInfo() }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { try inner.extensions(perPage: perPage) }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> {
        try inner.callLogPage(dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, view: view, nextPageURI: nextPageURI)
    }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> {
        try inner.callLogSync(request, view: view)
    }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> {
        try gate(extensionId)
        return try inner.messagePage(extensionId: extensionId, types: types, dateFrom: dateFrom, dateTo: dateTo, perPage: perPage, nextPageURI: nextPageURI)
    }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> {
        try gate(extensionId)
        return try inner.messageSync(extensionId: extensionId, types: types, request)
    }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        try inner.downloadRecording(contentURI: contentURI, to: descriptor)
    }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        if let owner = refused.first(where: { uri.contains("/extension/\($0)/") }) { try gate(owner) }
        return try inner.downloadAttachment(uri: uri, to: descriptor)
    }
    func revoke() { inner.revoke() }
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

func voicemailRecord(id: String, extensionId: String, created: String = "2026-11-19T12:00:00.000Z") -> JSON {
    let base = "https://media.example/restapi/v1.0/account/1/extension/\(extensionId)/message-store/\(id)"
    return ["uri": .string(base), "id": .number(id), "type": "VoiceMail", "creationTime": .string(created), "availability": "Alive",
            "from": ["phoneNumber": "+16505550100"],
            "attachments": [["id": .number(id), "uri": .string(base + "/content/\(id)"), "type": "AudioRecording", "contentType": "audio/mpeg"]]]
}

@Suite struct MailboxAccessTests {
    static let extensions: [JSON] = [["id": 101_000, "extensionNumber": "101", "type": "User", "status": "Enabled"],
                                     ["id": 102_000, "extensionNumber": "102", "type": "User", "status": "Enabled"],
                                     ["id": 103_000, "extensionNumber": "103", "type": "User", "status": "Enabled"]]

    func makeTenant() throws -> (ScratchDirectory, ArchiveRoot, TenantMarker) {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        return (scratch, root, tenant)
    }

    @Test func refusedMailboxesAreSkippedWithOneWarningNotAnErrorPerMessage() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let inner = ScriptedSource(calls: [callRecord(id: "Call1")], messages: [voicemailRecord(id: "500001", extensionId: "102000")],
                                   extensions: Self.extensions, messagesMailbox: "102000")
        let source = MailboxGateSource(inner, refusing: ["102000", "103000"])
        let report = try SyncEngine(root: root, tenant: tenant, source: source, options: SyncOptions()).run()
        #expect(report.status == .success, "not a failed or partial run: \(report.status) \(report.errors)")
        #expect(report.errors.isEmpty && report.counts["itemErrors", default: 0] == 0)
        let warnings = report.warnings.filter { $0.contains("CMN-404") }
        #expect(warnings.count == 1, "one warning for all refused mailboxes: \(report.warnings)")
        #expect(warnings.first?.contains("102 (id 102000)") == true && warnings.first?.contains("103 (id 103000)") == true)
        #expect(warnings.first?.contains("\"mailboxes\"") == true, "it says how to grant access")
        #expect(report.counts["mailboxesSkipped"] == 2)
        #expect(report.counts["calls"] == 1, "the call log is archived as usual")
        let runs = try String(contentsOfFile: root.tenantDirectory(tenant.tenantId) + "/logs/runs.jsonl", encoding: .utf8)
        #expect(runs.contains("CMN-404"), "the warning is in the run-log line")
    }

    @Test func aMailboxWithItsOwnLoginIsReadThroughIt() throws {
        let (scratch, root, tenant) = try makeTenant()
        defer { withExtendedLifetime(scratch) {} }
        let message = voicemailRecord(id: "500002", extensionId: "102000")
        let main = MailboxGateSource(ScriptedSource(calls: [callRecord(id: "Call1")], messages: [message], extensions: Self.extensions,
                                                    messagesMailbox: "102000"),
                                     refusing: ["102000", "103000"])
        let own = ScriptedSource(calls: [], messages: [message], extensions: Self.extensions, messagesMailbox: "102000")
        let report = try SyncEngine(root: root, tenant: tenant, source: main, mailboxSources: ["102000": own], options: SyncOptions()).run()
        #expect(report.counts["voicemails"] == 1, "\(report.counts) \(report.errors)")
        #expect(own.downloaded.withLock { $0 }.count == 1, "the attachment came through the mailbox's own login")
        #expect(main.inner.downloaded.withLock { $0 }.isEmpty)
        let warning = report.warnings.first { $0.contains("CMN-404") } ?? ""
        #expect(warning.contains("103 (id 103000)") && !warning.contains("102 (id 102000)"), "only the mailbox without a login is skipped: \(warning)")
        let files = FileManager.default.enumerator(atPath: root.tenantDirectory(tenant.tenantId))?.allObjects as? [String] ?? []
        #expect(files.contains { $0.hasPrefix("102/2026-11-19/") && $0.hasSuffix("_vm.500002.mp3") }, "\(files)")
    }

    /// The secrets file's `mailboxes`: each entry a JWT for the same app; a bad entry is refused by name.
    @Test func mailboxCredentialsComeFromTheSecretsFile() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        let secrets = scratch.path + "/secrets"
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        func write(_ text: String) throws {
            let path = secrets + "/\(tenant.tenantId).json"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
        try write(#"{"clientId": "app", "clientSecret": "secret", "jwt": "admin.jwt", "mailboxes": {"102000": {"jwt": "user102.jwt"}}}"#)
        let main = try TenantSecrets.credentials(for: tenant, secretsDirectory: secrets, environment: [:])
        let mailboxes = try TenantSecrets.mailboxCredentials(for: tenant, secretsDirectory: secrets, main: main)
        #expect(mailboxes.keys.sorted() == ["102000"])
        #expect(mailboxes["102000"]?.jwt == "user102.jwt" && mailboxes["102000"]?.clientId == "app" && mailboxes["102000"]?.clientSecret == "secret")
        for (bad, named) in [(#"{"../x": {"jwt": "j"}}"#, "../x"), (#"{"102000": {}}"#, "mailboxes.102000"), (#"[1]"#, "must be an object")] {
            try write(#"{"clientId": "app", "clientSecret": "secret", "jwt": "admin.jwt", "mailboxes": \#(bad)}"#)
            do {
                _ = try TenantSecrets.credentials(for: tenant, secretsDirectory: secrets, environment: [:])
                Issue.record("accepted mailboxes \(bad)")
            } catch {
                #expect(error.description.contains(named), "\(error)")
                #expect(!error.description.contains("admin.jwt") && !error.description.contains("secret\""))
            }
        }
        withExtendedLifetime(scratch) {}
    }
}

/// A mailbox login that is refused (its own JWT revoked or mistyped) says nothing about its pending
/// attachments: they wait for the credentials to be fixed, with no attempt counted, so a week of a bad
/// JWT does not quarantine them (8 attempts), and the refusal is reported once for the mailbox.
final class RefusedLoginSource: ArchiveSource {
    let inner: ScriptedSource
    let downloads = Mutex(0)
    init(_ inner: ScriptedSource) { self.inner = inner }
    static let refused = RingCentralError.authenticationFailed(
        status: 400, body: APIErrorBody(bytes: Array(#"{"error":"invalid_grant","error_description":"Invalid token"}"#.utf8)),
        server: "https://platform.example", source: "secrets file x.json, mailboxes.102000")
    func accountInfo() throws(RingCentralError) -> AccountInfo { throw Self.refused }
    func extensions(perPage: Int) throws(RingCentralError) -> [ExtensionInfo] { throw Self.refused }
    func callLogPage(dateFrom: Timestamp, dateTo: Timestamp, perPage: Int, view: CallLogView,
                     nextPageURI: String?) throws(RingCentralError) -> Page<CallLogRecord> { throw Self.refused }
    func callLogSync(_ request: SyncRequest, view: CallLogView) throws(RingCentralError) -> SyncResult<CallLogRecord> { throw Self.refused }
    func messagePage(extensionId: String, types: [String], dateFrom: Timestamp, dateTo: Timestamp, perPage: Int,
                       nextPageURI: String?) throws(RingCentralError) -> Page<MessageRecord> { throw Self.refused }
    func messageSync(extensionId: String, types: [String], _ request: SyncRequest) throws(RingCentralError) -> SyncResult<MessageRecord> { throw Self.refused }
    func downloadRecording(contentURI: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload { throw Self.refused }
    func downloadAttachment(uri: String, to descriptor: Int32) throws(RingCentralError) -> MediaDownload {
        downloads.withLock { $0 += 1 }
        throw Self.refused
    }
    func revoke() {}
    var rateLimitStatistics: [RateLimitGroup: RateGovernor.GroupStatistics] { [:] }
}

@Suite struct RefusedMailboxLoginTests {
    @Test func pendingAttachmentsOfAMailboxWhoseLoginIsRefusedAreNotChargedAnAttempt() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        let messages = (1...3).map { voicemailRecord(id: "50000\($0)", extensionId: "102000") }
        let main = MailboxGateSource(ScriptedSource(calls: [], messages: messages, extensions: MailboxAccessTests.extensions,
                                                    messagesMailbox: "102000"), refusing: ["102000", "103000"])
        // First run: the mailbox's own login works, the attachments are not ready yet (404): pending.
        let notReady = ScriptedSource(calls: [], messages: messages, mediaStatus: 404, extensions: MailboxAccessTests.extensions,
                                      messagesMailbox: "102000")
        var options = SyncOptions()
        options.retryPendingNow = true
        _ = try SyncEngine(root: root, tenant: tenant, source: main, mailboxSources: ["102000": notReady], options: options).run()
        let store = root.store(for: tenant.tenantId)
        #expect(try store.loadPending().pending.count == 3)
        // Then the mailbox's JWT is revoked, for more runs than the quarantine allows attempts.
        let refused = RefusedLoginSource(notReady)
        for _ in 0..<(options.pendingMaximumAttempts + 1) {
            let report = try SyncEngine(root: root, tenant: tenant, source: main, mailboxSources: ["102000": refused], options: options).run()
            #expect(report.errors.filter { $0.contains("login failed") || $0.contains("refused the credentials") }.count == 1,
                    "the refusal is reported once, for the mailbox: \(report.errors)")
        }
        let pending = try store.loadPending()
        #expect(pending.quarantined.isEmpty, "a refused login quarantines nothing: \(pending.quarantined.map(\.lastError))")
        #expect(pending.pending.count == 3 && pending.pending.allSatisfy { $0.attempts == 1 }, "\(pending.pending.map(\.attempts))")
    }
}

@Suite struct WrongMailboxLoginTests {
    /// A mailbox given its own JWT that is refused the mailbox as well (the JWT is another user's) is an
    /// item error naming the secrets-file entry, not lumped into the warning that says to add such a JWT.
    @Test func aMailboxWhoseOwnJWTIsAnotherUsersIsNamedAsSuch() throws {
        let scratch = ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: Timestamp(iso8601: "2026-11-01T00:00:00Z"))
        let inner = ScriptedSource(calls: [], messages: [voicemailRecord(id: "500001", extensionId: "102000")],
                                   extensions: MailboxAccessTests.extensions, messagesMailbox: "102000")
        let main = MailboxGateSource(inner, refusing: ["102000", "103000"])
        let anotherUsers = MailboxGateSource(inner, refusing: ["102000"])
        let report = try SyncEngine(root: root, tenant: tenant, source: main, mailboxSources: ["102000": anotherUsers], options: SyncOptions()).run()
        let named = report.errors.filter { $0.contains("102000") && $0.contains("\"mailboxes\"") && $0.contains("mailbox's own user") }
        #expect(named.count == 1, "\(report.errors)")
        let warning = report.warnings.first { $0.contains("CMN-404") } ?? ""
        #expect(warning.contains("103 (id 103000)") && !warning.contains("102 (id 102000)"), "\(warning)")
    }
}
