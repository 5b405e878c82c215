import RinglogSupport
import Testing
@testable import RingSimulator

/// The message store beyond voicemail: SMS (conversations), MMS, pager and fax in both directions,
/// the spec's filters and paging, attachment shapes and bytes.
@Suite struct MessageStoreTests {
    static let since: [(name: String, value: String)] = [("dateFrom", "2026-11-01T00:00:00Z"), ("dateTo", "2026-12-31T00:00:00Z")]

    static func driver(_ configure: (inout SimulatorConfiguration) -> Void = { _ in }) throws -> EngineDriver {
        var driver = EngineDriver { $0.mediaRedirect = false; configure(&$0) }
        try driver.login()
        return driver
    }

    /// Every record of one mailbox's message-store list (all pages), with `query` added.
    static func list(_ driver: EngineDriver, _ extensionId: String, _ query: [(name: String, value: String)] = []) throws -> [JSON] {
        let (status, body) = try driver.getJSON(driver.accountPath + "/extension/\(extensionId)/message-store",
                                                since + query + [("perPage", "1000")])
        #expect(status == 200, "\(body)")
        return body["records"]?.arrayValue ?? []
    }

    static func account(_ driver: EngineDriver) -> SimAccount { driver.engine.state.withLock { $0.world.accounts[0] } }

    static func types(_ records: [JSON]) -> Set<String> { Set(records.compactMap { $0["type"]?.stringValue }) }

    /// An id as sent: message and attachment ids are JSON numbers (int64).
    static func id(_ value: JSON?) -> String? {
        if case .number(let text) = value { return text }
        return value?.stringValue
    }

    /// The user whose mailbox holds every kind, and the most messages.
    static func busiestUser(_ driver: EngineDriver) throws -> String {
        let users = account(driver).extensions.filter { $0.type == "User" }
        let lists = try users.map { ($0.id, try list(driver, $0.id)) }
        return try #require(lists.filter { types($0.1).count == 4 }.max { $0.1.count < $1.1.count }?.0)
    }

    @Test func everyKindIsInTheMailboxesOfTheRightExtensions() throws {
        let driver = try Self.driver()
        let account = Self.account(driver)
        var kindsByExtensionType: [String: Set<String>] = [:]
        var records: [JSON] = []
        for ext in account.extensions {
            let mine = try Self.list(driver, ext.id)
            kindsByExtensionType[ext.type, default: []].formUnion(Self.types(mine))
            records += mine
        }
        #expect(kindsByExtensionType["User"] == ["SMS", "Pager", "Fax", "VoiceMail"], "\(kindsByExtensionType)")
        #expect(kindsByExtensionType["Department"] == ["Fax"], "departments (call queues) receive faxes only here")
        #expect(kindsByExtensionType["Limited"] ?? [] == [], "a limited extension has no mailbox")
        let sms = records.filter { $0["type"] == "SMS" }
        for record in sms {
            // [EX:message-store-list-response-sms.json]: conversationId (a number), conversation {id, uri}.
            let conversation = try #require(record["conversation"]?["id"]?.stringValue)
            #expect(record["conversationId"] == .number(conversation))
            #expect(record["conversation"]?["uri"]?.stringValue?.hasSuffix("/restapi/v1.0/conversation/\(conversation)") == true)
            for party in [record["from"]] + (record["to"]?.arrayValue ?? []) {
                let number = try #require(party?["phoneNumber"]?.stringValue, "SMS parties have phone numbers: \(record)")
                #expect(number.hasPrefix("+1") && number.count == 12 && number.dropFirst().allSatisfy(\.isNumber), "E.164: \(number)")
            }
        }
        let conversations = Dictionary(grouping: sms) { $0["conversationId"]?.stringValue ?? "" }
        #expect(conversations.values.contains { Set($0.compactMap { $0["direction"]?.stringValue }) == ["Inbound", "Outbound"] },
                "a conversation goes both ways")
        let attachmentTypes = Set(records.flatMap { $0["attachments"]?.arrayValue ?? [] }.compactMap { $0["type"]?.stringValue })
        #expect(attachmentTypes.isSuperset(of: ["AudioRecording", "AudioTranscription", "Text", "MmsAttachment", "SourceDocument", "RenderedDocument"]),
                "\(attachmentTypes)")
        let contentTypes = Set(records.flatMap { $0["attachments"]?.arrayValue ?? [] }.compactMap { $0["contentType"]?.stringValue })
        #expect(contentTypes.isSuperset(of: ["image/jpeg", "image/png", "image/gif", "video/mp4", "application/pdf", "image/tiff", "text/plain"]),
                "\(contentTypes)")
        let pagers = records.filter { $0["type"] == "Pager" }
        #expect(!pagers.isEmpty && pagers.allSatisfy { $0["from"]?["extensionNumber"]?.stringValue != nil && $0["from"]?["phoneNumber"] == nil })
        let faxes = records.filter { $0["type"] == "Fax" }
        #expect(Set(faxes.compactMap { $0["direction"]?.stringValue }) == ["Inbound", "Outbound"])
        #expect(Set(faxes.compactMap { $0["faxResolution"]?.stringValue }) == ["High", "Low"])
        #expect(faxes.contains { ($0["faxPageCount"]?.int ?? 0) > 1 }, "multi-page faxes")
        let outbound = faxes.filter { $0["direction"] == "Outbound" }
        #expect(outbound.allSatisfy { $0["coverIndex"]?.int != nil && $0["to"]?[0]?["messageStatus"] != nil })
    }

    /// The subject of an SMS or pager message is its text, also served as its `Text` attachment.
    @Test func aTextMessageIsItsSubjectAndItsTextAttachment() throws {
        let driver = try Self.driver()
        let account = Self.account(driver)
        let user = account.extensions[1]
        let records = try Self.list(driver, user.id, [("messageType", "SMS"), ("messageType", "Pager")])
        var checked = 0
        for record in records {
            guard let subject = record["subject"]?.stringValue,
                let text = record["attachments"]?.arrayValue?.first(where: { $0["contentType"] == "text/plain" })
            else { continue }
            let id = try #require(Self.id(record["id"])), attachment = try #require(Self.id(text["id"]))
            let content = driver.get(driver.accountPath + "/extension/\(user.id)/message-store/\(id)/content/\(attachment)")
            #expect(content.status == 200 && String(decoding: content.body, as: UTF8.self) == subject)
            #expect(text["size"]?.int == subject.utf8.count)
            checked += 1
        }
        #expect(checked > 5)
    }

    @Test func messageTypeIsRepeatableOrACommaListAndFiltersListAndSync() throws {
        let driver = try Self.driver()
        let user = try Self.busiestUser(driver)
        let all = try Self.list(driver, user)
        #expect(Self.types(all) == ["SMS", "Pager", "Fax", "VoiceMail"])
        #expect(Self.types(try Self.list(driver, user, [("messageType", "VoiceMail")])) == ["VoiceMail"])
        let repeated = try Self.list(driver, user, [("messageType", "SMS"), ("messageType", "Fax")])
        let comma = try Self.list(driver, user, [("messageType", "SMS,Fax")])
        #expect(Self.types(repeated) == ["SMS", "Fax"] && repeated == comma)
        #expect(repeated.count == all.filter { $0["type"] == "SMS" || $0["type"] == "Fax" }.count)
        let bad = driver.get(driver.accountPath + "/extension/\(user)/message-store", [("messageType", "Tweet")])
        #expect(bad.status == 400)
        let error = try JSON.parse(bad.body)["errors"]?[0]
        #expect(error?["errorCode"] == "CMN-101" && error?["parameterName"] == "messageType" && error?["parameterValue"] == "Tweet")

        let sync = { (query: [(name: String, value: String)]) throws -> [JSON] in
            let (status, body) = try driver.getJSON(driver.accountPath + "/extension/\(user)/message-sync",
                                                    [("syncType", "FSync"), ("dateFrom", "2026-11-01T00:00:00Z")] + query)
            #expect(status == 200)
            return body["records"]?.arrayValue ?? []
        }
        #expect(Self.types(try sync([("messageType", "VoiceMail")])) == ["VoiceMail"])
        #expect(Self.types(try sync([("messageType", "Pager,SMS")])) == ["SMS", "Pager"])
        #expect(Self.types(try sync([])) == ["SMS", "Pager", "Fax", "VoiceMail"])
    }

    /// Over every mailbox: each filter value selects exactly the records that have it.
    @Test func directionReadStatusAndAvailabilityFilter() throws {
        let driver = try Self.driver()
        let mailboxes = Self.account(driver).extensions.map(\.id)
        func everywhere(_ query: [(name: String, value: String)]) throws -> [JSON] { try mailboxes.flatMap { try Self.list(driver, $0, query) } }
        let all = try everywhere([("availability", "Alive,Deleted,Purged")])
        for (name, values) in [("direction", ["Inbound", "Outbound"]), ("readStatus", ["Read", "Unread"]),
                               ("availability", ["Alive", "Deleted", "Purged"])] {
            for value in values {
                let some = try everywhere(name == "availability" ? [(name, value)] : [(name, value), ("availability", "Alive,Deleted,Purged")])
                #expect(!some.isEmpty && some.allSatisfy { $0[name]?.stringValue == value }, "\(name)=\(value)")
                #expect(some.count == all.filter { $0[name]?.stringValue == value }.count, "\(name)=\(value)")
            }
        }
        // Without `availability`: Alive and Deleted, not Purged.
        #expect(Set(try everywhere([]).compactMap { $0["availability"]?.stringValue }) == ["Alive", "Deleted"])
    }

    /// `conversationId` selects one conversation; `distinctConversations=true` returns "the latest
    /// messages per every conversation ID" [SPEC listMessages].
    @Test func conversationFilters() throws {
        let driver = try Self.driver()
        let user = try Self.busiestUser(driver)
        let sms = try Self.list(driver, user, [("messageType", "SMS")])
        let conversations = Dictionary(grouping: sms) { $0["conversationId"].flatMap { Self.id($0) } ?? "" }
        let (id, members) = try #require(conversations.max { $0.value.count < $1.value.count })
        #expect(members.count > 1)
        #expect(try Self.list(driver, user, [("conversationId", id)]) == members)
        let distinct = try Self.list(driver, user, [("messageType", "SMS"), ("distinctConversations", "true")])
        #expect(distinct.count == conversations.count)
        #expect(distinct.contains(members[0]) && !distinct.contains(members[1]), "the latest of each (newest first)")
    }

    /// perPage and page per the spec; following `navigation.nextPage` visits every record once.
    @Test func pagingFollowsNextPage() throws {
        let driver = try Self.driver()
        let user = try Self.busiestUser(driver)
        let all = try Self.list(driver, user)
        var seen: [JSON] = []
        var query = Self.since + [("perPage", "7")]
        var pages = 0
        while true {
            let (status, body) = try driver.getJSON(driver.accountPath + "/extension/\(user)/message-store", query)
            #expect(status == 200)
            pages += 1
            let records = body["records"]?.arrayValue ?? []
            #expect(records.count <= 7)
            #expect(body["paging"]?["totalElements"]?.int == all.count && body["paging"]?["perPage"]?.int == 7)
            seen += records
            guard let next = body["navigation"]?["nextPage"]?["uri"]?.stringValue else { break }
            let queryText = try #require(next.split(separator: "?", maxSplits: 1).last)
            query = queryText.split(separator: "&").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1).map { percentDecode(String($0)) }
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }
        }
        #expect(pages == (all.count + 6) / 7 && pages > 2)
        #expect(seen == all)
    }

    /// Each attachment's bytes start with its format's magic, match `size`, and fax documents have
    /// `faxPageCount` pages (PDF page objects, TIFF IFDs).
    @Test func attachmentsAreRealFilesOfTheirContentType() throws {
        let driver = try Self.driver()
        let account = Self.account(driver)
        var seen: [String: Int] = [:]
        let now = Timestamp(iso8601: "2026-11-20T23:00:00Z")!
        for message in account.messages where message.created <= now {
            let (status, record) = try driver.getJSON(driver.accountPath + "/extension/\(message.extensionId)/message-store/\(message.id)")
            #expect(status == 200)
            guard record["availability"] != "Purged" else { continue }
            for attachment in record["attachments"]?.arrayValue ?? [] {
                let id = try #require(Self.id(attachment["id"])), contentType = try #require(attachment["contentType"]?.stringValue)
                let response = driver.get(driver.accountPath + "/extension/\(message.extensionId)/message-store/\(message.id)/content/\(id)")
                #expect(response.status == 200 && response.headers.contains { $0.name == "Content-Type" && $0.value == contentType })
                let bytes = response.body
                #expect(attachment["size"]?.int == bytes.count, "size of \(id)")
                #expect(Self.hasMagic(bytes, contentType), "\(contentType) \(id) starts \(bytes.prefix(8))")
                seen[contentType, default: 0] += 1
                if contentType == "application/pdf" && attachment["type"] == "RenderedDocument" {
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(text.components(separatedBy: "/Type /Page ").count - 1 == message.faxPageCount)
                    #expect(text.hasSuffix("%%EOF\n"))
                }
                if contentType == "image/tiff" && attachment["type"] == "RenderedDocument" {
                    #expect(Self.tiffPages(bytes) == message.faxPageCount)
                }
            }
        }
        for type in ["application/pdf", "image/tiff", "image/jpeg", "image/png", "image/gif", "video/mp4", "text/plain", "audio/mpeg", "audio/x-wav"] {
            #expect((seen[type] ?? 0) > 0, "\(type): \(seen)")
        }
    }

    static func hasMagic(_ bytes: [UInt8], _ contentType: String) -> Bool {
        switch contentType {
        case "application/pdf": bytes.starts(with: Array("%PDF-1.4".utf8))
        case "image/tiff": bytes.starts(with: [0x49, 0x49, 0x2A, 0x00])
        case "image/jpeg": bytes.starts(with: [0xFF, 0xD8, 0xFF]) && bytes.suffix(2) == [0xFF, 0xD9]
        case "image/png": bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "image/gif": bytes.starts(with: Array("GIF89a".utf8)) && bytes.last == 0x3B
        case "video/mp4": bytes.count > 8 && Array(bytes[4..<8]) == Array("ftyp".utf8)
        case "audio/mpeg": bytes.starts(with: Array("ID3".utf8))
        case "audio/x-wav": bytes.starts(with: Array("RIFF".utf8))
        case "text/plain", "text/vcard": !bytes.isEmpty && String(validating: bytes, as: UTF8.self) != nil
        default: false
        }
    }

    /// The IFD chain of a little-endian TIFF, counted.
    static func tiffPages(_ bytes: [UInt8]) -> Int {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        var offset = u32(4), pages = 0
        while offset != 0 && offset + 2 <= bytes.count && pages < 100 {
            pages += 1
            offset = u32(offset + 2 + u16(offset) * 12)
        }
        return pages
    }

    static func be32(_ bytes: [UInt8], _ at: Int) -> UInt32 { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }

    /// A PNG's chunks have correct CRCs and its stored zlib stream holds width*height pixels; a JPEG's
    /// segments chain to the scan. Checked on a few ids.
    @Test func imageStructuresAreValid() throws {
        for id in ["9007199854747128", "1", "42"] {
            let png = MessageMedia.png(id: id)
            var offset = 8, types: [String] = []
            while offset < png.count {
                let length = Int(Self.be32(png, offset))
                let typed = Array(png[(offset + 4)..<(offset + 8 + length)])
                #expect(Self.be32(png, offset + 8 + length) == MessageMedia.crc32(typed))
                types.append(String(decoding: typed.prefix(4), as: UTF8.self))
                offset += 12 + length
            }
            #expect(types == ["IHDR", "tEXt", "IDAT", "IEND"] && offset == png.count)
            let jpeg = MessageMedia.jpeg(id: id)
            var at = 2, markers: [UInt8] = []
            while at + 4 <= jpeg.count, jpeg[at] == 0xFF, jpeg[at + 1] != 0xDA {
                markers.append(jpeg[at + 1])
                at += 2 + (Int(jpeg[at + 2]) << 8 | Int(jpeg[at + 3]))
            }
            #expect(markers == [0xE0, 0xFE, 0xDB, 0xC0, 0xC4, 0xC4] && jpeg[at + 1] == 0xDA)
            #expect(MessageMedia.pdf(id: id, pages: 3, title: "x") != MessageMedia.pdf(id: id + "0", pages: 3, title: "x"))
        }
    }

    /// Older payloads: attachments with `contentType` and no `type` (a voicemail's `audio/x-wav` among
    /// them), and a type the spec does not list.
    @Test func olderShapesAndUnknownAttachmentTypesAreServed() throws {
        let driver = try Self.driver()
        let account = Self.account(driver)
        var untyped: [String: Int] = [:], unknown = 0
        for ext in account.extensions {
            for record in try Self.list(driver, ext.id) {
                for attachment in record["attachments"]?.arrayValue ?? [] {
                    if attachment["type"] == nil { untyped[record["type"]?.stringValue ?? "", default: 0] += 1 }
                    if attachment["type"] == "SomethingNew" { unknown += 1 }
                }
            }
        }
        #expect((untyped["VoiceMail"] ?? 0) > 0 && (untyped["SMS"] ?? 0) > 0 && (untyped["Fax"] ?? 0) > 0, "\(untyped)")
        #expect(unknown > 0)
        let voicemails = account.messages.filter { $0.type == .voiceMail }
        #expect(voicemails.contains { $0.audio.type == nil } && voicemails.contains { $0.audio.type == "AudioRecording" })

        let none = try Self.driver { $0.messages.untypedAttachmentShare = 0; $0.messages.untypedVoicemailAudioShare = 0; $0.messages.unknownAttachmentTypeShare = 0 }
        let plain = Self.account(none).messages.flatMap(\.attachments)
        #expect(plain.allSatisfy { $0.type != nil && $0.type != "SomethingNew" })
    }

    /// `--messages none` leaves the voicemail as before: the calls, voicemails and their bytes are
    /// the same whatever the message mix.
    @Test func otherKindsNeverShiftTheCallsOrVoicemails() throws {
        let plain = Self.account(EngineDriver { $0.messages.kinds = []; $0.messages.untypedVoicemailAudioShare = 0 })
        let mixed = Self.account(EngineDriver())
        #expect(plain.messages.allSatisfy { $0.type == .voiceMail })
        #expect(plain.calls.map(\.id) == mixed.calls.map(\.id))
        let voicemails = mixed.messages.filter { $0.type == .voiceMail }
        #expect(voicemails.map(\.id) == plain.messages.map(\.id))
        #expect(voicemails.map(\.audio.bytes) == plain.messages.map(\.audio.bytes))
        #expect(Set(mixed.messages.map(\.id)).count == mixed.messages.count, "message ids are unique")
        let attachmentIds = mixed.messages.flatMap { $0.attachments.map(\.id) }
        #expect(Set(attachmentIds).count == attachmentIds.count, "attachment ids are unique")
    }

    /// The spec's `x-throttling-group`: listMessages, readMessage and syncMessages Light,
    /// readMessageContent Medium.
    @Test func rateGroupsFollowTheSpec() throws {
        let driver = try Self.driver()
        let message = try #require(Self.account(driver).messages.first { $0.type == .fax && $0.created < Timestamp(iso8601: "2026-11-20T00:00:00Z")! })
        func group(_ path: String) -> String? { driver.get(driver.accountPath + path).headers.first { $0.name == "X-Rate-Limit-Group" }?.value }
        let mailbox = "/extension/\(message.extensionId)"
        #expect(group(mailbox + "/message-store") == "light")
        #expect(group(mailbox + "/message-sync") == "light")
        #expect(group(mailbox + "/message-store/\(message.id)") == "light")
        #expect(group(mailbox + "/message-store/\(message.id)/content/\(message.attachments[0].id)") == "medium")
    }

    /// `faxCallLogShare`: a fax's call-log record (type Fax) links the fax through `message`, and the
    /// fax's truth item names the call. Off by default: the call log is then as before.
    @Test func faxCallRecordsLinkTheirFax() throws {
        let driver = try Self.driver { $0.messages.faxCallLogShare = 1 }
        let (status, list) = try driver.getJSON(driver.accountPath + "/call-log", Self.since + [("perPage", "1000"), ("view", "Detailed")])
        #expect(status == 200)
        try SchemaConformanceTests().expectConforms(list, path: SchemaConformanceTests.account + "/call-log")
        let faxCalls = (list["records"]?.arrayValue ?? []).filter { $0["type"] == "Fax" }
        #expect(faxCalls.count > 3)
        let truth = try driver.truth()
        for call in faxCalls {
            let link = try #require(call["message"])
            #expect(link["type"] == "Fax")
            #expect(["Incoming Fax", "Outgoing Fax"].contains(call["action"]?.stringValue ?? ""))
            let id = try #require(link["id"]?.stringValue), uri = try #require(link["uri"]?.stringValue)
            let path = String(uri.dropFirst("http://platform.sim.localhost:1".count))
            let (messageStatus, message) = try driver.getJSON(path)
            #expect(messageStatus == 200 && message["type"] == "Fax" && Self.id(message["id"]) == id)
            #expect(truth.contains { $0["kind"] == "message" && $0["messageId"]?.stringValue == id && $0["callId"] == call["id"] })
        }
        let plain = try Self.driver()
        let (_, before) = try plain.getJSON(plain.accountPath + "/call-log", Self.since + [("perPage", "1000")])
        #expect((before["records"]?.arrayValue ?? []).allSatisfy { $0["type"] == "Voice" })
    }
}
