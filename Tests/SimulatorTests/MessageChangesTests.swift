import RinglogSupport
import Testing
@testable import RingSimulator

/// Messages change as simulated time passes: read status, delivery status, Deleted then Purged;
/// message-sync ISync re-sends what changed ("ISync returns only new or changed messages",
/// [G:messaging/message-store/message-sync]), deleted and purged messages as id and availability only.
@Suite struct MessageChangesTests {
    static let start = Timestamp(iso8601: "2026-11-20T23:00:00Z")!

    static func sync(_ driver: EngineDriver, _ extensionId: String, _ query: [(name: String, value: String)]) throws -> JSON {
        let (status, body) = try driver.getJSON(driver.accountPath + "/extension/\(extensionId)/message-sync", query)
        #expect(status == 200, "\(body)")
        return body
    }

    static func ids(_ body: JSON) -> [String] { (body["records"]?.arrayValue ?? []).compactMap { MessageStoreTests.id($0["id"]) } }

    @Test func isyncResendsEveryMessageThatChangedAndOnlyThose() throws {
        var driver = EngineDriver { $0.messages.voicemailChangeShare = 0.5 }
        try driver.login()
        let user = try MessageStoreTests.busiestUser(driver)
        let full = try Self.sync(driver, user, [("syncType", "FSync"), ("dateFrom", "2026-11-01T00:00:00Z")])
        let token = try #require(full["syncInfo"]?["syncToken"]?.stringValue)
        _ = driver.post("/__sim/advance", [("seconds", "86400")])
        let later = Self.start.adding(seconds: 86_400)
        let incremental = try Self.sync(driver, user, [("syncType", "ISync"), ("syncToken", token)])
        let account = MessageStoreTests.account(driver)
        let mine = account.messages.filter { $0.extensionId == user }
        let expected = mine.filter { ($0.lastModified(at: later) ?? Self.start) > Self.start }
        #expect(Set(Self.ids(incremental)) == Set(expected.map(\.id)))
        #expect(Self.ids(incremental).count == expected.count, "each once")
        let changedOld = expected.filter { $0.created <= Self.start }
        #expect(changedOld.contains { $0.state(at: Self.start)?.readStatus != $0.state(at: later)?.readStatus }, "read status changes re-send")
        #expect(changedOld.contains { $0.type == .voiceMail }, "a voicemail's change too (with voicemail changes on)")
        for record in incremental["records"]?.arrayValue ?? [] {
            let message = try #require(account.messages.first { $0.id == MessageStoreTests.id(record["id"]) })
            let state = try #require(message.state(at: later))
            #expect(record["availability"]?.stringValue == state.availability)
            if state.availability == "Alive" {
                #expect(record["readStatus"]?.stringValue == state.readStatus && record["messageStatus"]?.stringValue == state.messageStatus)
                #expect(record["lastModifiedTime"]?.stringValue == state.lastModified.iso8601)
            } else {
                #expect(record.objectValue?.keys == ["id", "availability"], "deleted or purged: id and availability only: \(record)")
            }
        }
        #expect((incremental["records"]?.arrayValue ?? []).contains { $0["availability"] != "Alive" }, "a deletion within the day")
        // Nothing changed since: the next ISync is empty.
        let next = try #require(incremental["syncInfo"]?["syncToken"]?.stringValue)
        #expect(Self.ids(try Self.sync(driver, user, [("syncType", "ISync"), ("syncToken", next)])).isEmpty)
    }

    /// The token keeps the FSync's message types: an ISync without `messageType` returns only those.
    @Test func isyncKeepsTheTypesOfItsFullSync() throws {
        var driver = EngineDriver()
        try driver.login()
        let soon = Self.start.adding(seconds: 3 * 86_400)
        let user = try #require(MessageStoreTests.account(driver).messages.first {
            $0.type == .voiceMail && $0.created > Self.start && $0.created <= soon
        }?.extensionId)
        let full = try Self.sync(driver, user, [("syncType", "FSync"), ("messageType", "VoiceMail")])
        _ = driver.post("/__sim/advance", [("seconds", String(3 * 86_400))])
        let incremental = try Self.sync(driver, user, [("syncType", "ISync"), ("syncToken", full["syncInfo"]?["syncToken"]?.stringValue ?? "")])
        let records = incremental["records"]?.arrayValue ?? []
        #expect(!records.isEmpty && records.allSatisfy { $0["type"] == "VoiceMail" })
        let other = try Self.sync(driver, user, [("syncType", "FSync"), ("messageType", "SMS,Pager")])
        _ = driver.post("/__sim/advance", [("seconds", String(86_400))])
        let texts = try Self.sync(driver, user, [("syncType", "ISync"), ("syncToken", other["syncInfo"]?["syncToken"]?.stringValue ?? "")])
        let textRecords = texts["records"]?.arrayValue ?? []
        let textTypes = MessageStoreTests.types(textRecords.filter { $0["type"] != nil })
        #expect(textTypes.isSubset(of: ["SMS", "Pager"]) && !textRecords.isEmpty)
    }

    /// `Deleted` "is still preserved with all its attachments"; `Purged` "means that all attachments
    /// are already deleted" [SPEC MessageAvailabilityEnum]: content answers until the purge, 404 after.
    @Test func aDeletedMessageKeepsItsContentUntilPurged() throws {
        var driver = EngineDriver { $0.mediaRedirect = false }
        try driver.login()
        let message = try #require(MessageStoreTests.account(driver).messages.first {
            $0.created <= Self.start && ($0.deletedAt ?? Self.start) > Self.start && $0.purgedAt != nil
        })
        let path = driver.accountPath + "/extension/\(message.extensionId)/message-store/\(message.id)"
        let attachment = message.attachments[0]
        func read() throws -> JSON { try driver.getJSON(path).1 }
        func content() -> Int { driver.get(path + "/content/\(attachment.id)").status }
        func listed(_ query: [(name: String, value: String)] = []) throws -> Bool {
            try MessageStoreTests.list(driver, message.extensionId, query).contains { MessageStoreTests.id($0["id"]) == message.id }
        }
        #expect(try read()["availability"] == "Alive" && content() == 200 && listed())
        let deletedAt = try #require(message.deletedAt), purgedAt = try #require(message.purgedAt)
        _ = driver.post("/__sim/advance", [("seconds", String(Double(deletedAt.millisecondsSinceEpoch - Self.start.millisecondsSinceEpoch) / 1000))])
        #expect(try read()["availability"] == "Deleted" && content() == 200 && listed() && listed([("availability", "Deleted")]))
        #expect(try read()["lastModifiedTime"]?.stringValue == deletedAt.iso8601)
        _ = driver.post("/__sim/advance", [("seconds", String(Double(purgedAt.millisecondsSinceEpoch - deletedAt.millisecondsSinceEpoch) / 1000))])
        let purged = try read()
        #expect(purged["availability"] == "Purged" && purged["attachments"] == .array([]))
        #expect(content() == 404)
        #expect(try !listed() && listed([("availability", "Purged")]), "the default list leaves purged messages out")
        let media = driver.get("/__media/attachment/0/\(message.id).\(attachment.id)")
        #expect(media.status == 404)
    }

    /// Outbound SMS: Queued, Sent, then Delivered with `smsDeliveryTime`; an outbound fax that failed
    /// names its `faxErrorCode` on the recipient.
    @Test func deliveryStatusesMoveOn() throws {
        var driver = EngineDriver { $0.days = 30 }
        try driver.login()
        let account = MessageStoreTests.account(driver)
        let sms = try #require(account.messages.first {
            $0.type == .sms && $0.direction == "Outbound" && $0.created > Self.start && $0.changes.contains { $0.messageStatus == "Delivered" }
        })
        let path = driver.accountPath + "/extension/\(sms.extensionId)/message-store/\(sms.id)"
        func advance(to instant: Timestamp) {
            let now = driver.engine.state.withLock { $0.now }
            _ = driver.post("/__sim/advance", [("seconds", String(Double(instant.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 1000))])
        }
        advance(to: sms.created)
        #expect(try driver.getJSON(path).1["messageStatus"] == "Queued")
        let delivered = try #require(sms.changes.first { $0.messageStatus == "Delivered" }?.at)
        advance(to: delivered)
        let record = try driver.getJSON(path).1
        #expect(record["messageStatus"] == "Delivered" && record["smsDeliveryTime"]?.stringValue == delivered.iso8601)

        let fax = try #require(account.messages.first { $0.type == .fax && $0.changes.contains { $0.messageStatus == "SendingFailed" } })
        advance(to: try #require(fax.changes.first { $0.messageStatus == "SendingFailed" }?.at))
        let failed = try driver.getJSON(driver.accountPath + "/extension/\(fax.extensionId)/message-store/\(fax.id)").1
        #expect(failed["messageStatus"] == "SendingFailed" && failed["to"]?[0]?["messageStatus"] == "SendingFailed")
        #expect(failed["to"]?[0]?["faxErrorCode"]?.stringValue == fax.faxErrorCode && fax.faxErrorCode != nil)
    }

    /// The truth lists every message that exists, as the API serves it: statuses, availability, and
    /// each attachment's sha256 and size equal to the bytes served.
    @Test func truthListsEveryMessageAsServed() throws {
        var driver = EngineDriver { $0.mediaRedirect = false }
        try driver.login()
        _ = driver.post("/__sim/advance", [("seconds", "7200")])
        let now = Self.start.adding(seconds: 7200)
        let account = MessageStoreTests.account(driver)
        let items = try driver.truth().filter { $0["kind"] == "message" }
        #expect(Set(items.compactMap { $0["messageId"]?.stringValue }) == Set(account.messages.filter { $0.created <= now }.map(\.id)))
        #expect(Set(items.compactMap { $0["messageType"]?.stringValue }) == ["SMS", "Pager", "Fax", "VoiceMail"])
        var checked = 0
        for item in items {
            let extensionId = try #require(item["extensionId"]?.stringValue), id = try #require(item["messageId"]?.stringValue)
            let (_, record) = try driver.getJSON(driver.accountPath + "/extension/\(extensionId)/message-store/\(id)")
            for key in ["direction", "availability", "readStatus", "messageStatus", "creationTime", "lastModifiedTime"] {
                #expect(record[key] == item[key], "\(key) of \(id)")
            }
            #expect(record["type"] == item["messageType"])
            let served = (record["attachments"]?.arrayValue ?? []).compactMap { MessageStoreTests.id($0["id"]) }
            let listed = item["attachments"]?.arrayValue ?? []
            #expect(Set(listed.filter { $0["served"] == .bool(true) }.compactMap { $0["attachmentId"]?.stringValue }) == Set(served))
            for attachment in listed where attachment["served"] == .bool(true) {
                let bytes = driver.get(driver.accountPath + "/extension/\(extensionId)/message-store/\(id)/content/\(attachment["attachmentId"]?.stringValue ?? "")").body
                #expect(SHA256Hasher.hex(of: bytes) == attachment["sha256"]?.stringValue && attachment["size"]?.int == bytes.count)
                checked += 1
            }
        }
        #expect(checked > 100)
        #expect(items.contains { $0["availability"] == "Purged" && ($0["attachments"]?.arrayValue ?? []).allSatisfy { $0["served"] == .bool(false) } })
        #expect(items.contains { ($0["attachments"]?.arrayValue ?? []).contains { $0["type"] == .null } }, "older shapes show as type null")
        // The voicemail kinds are as before: every voicemail attachment, typed or not, not purged.
        let voicemails = try driver.truth().filter { $0["kind"] == "voicemail" }
        let alive = account.messages.filter { $0.type == .voiceMail && ($0.state(at: now)?.availability ?? "Purged") != "Purged" }
        #expect(voicemails.count == alive.count)
    }
}
