import RinglogSupport

/// SMS, MMS, pager and fax traffic, and the changes over time of every message (voicemail included,
/// by its own share). Every decision comes from generators keyed by the account, day, extension or
/// message id, never from the calls' generators, so the calls and voicemails of a seed are unchanged.
extension SimAccount {
    /// A User or FaxUser extension's direct number (E.164), deterministic from its position.
    func directNumber(_ ext: SimExtension) -> String {
        let position = extensions.firstIndex { $0.id == ext.id } ?? 0
        return "+1" + String(6_505_560_000 + Int64(index) * 1000 + Int64(position))
    }

    /// Fax-only extensions (type `FaxUser` in the spec's extension types), after every other extension.
    mutating func addFaxUsers(_ count: Int) {
        guard count > 0 else { return }
        var next = (extensions.compactMap { Int64($0.id) }.max() ?? 0) + 7
        for number in 0..<count {
            extensions.append(SimExtension(id: String(next), number: String(901 + number), name: "Fax Line \(number + 1)",
                                           type: "FaxUser", status: "Enabled", firstName: nil, lastName: nil))
            next += 13
        }
    }

    mutating func generateMessages(configuration: SimulatorConfiguration, start: Timestamp) {
        let mix = configuration.messages
        let dayMillis: Int64 = 86_400_000
        let firstDay = start.millisecondsSinceEpoch / dayMillis - Int64(configuration.days)
        let lastDay = start.millisecondsSinceEpoch / dayMillis + Int64(configuration.futureDays)
        var generator = MessageGenerator(account: self, mix: mix,
                                         nextId: 9_007_199_254_740_993 + Int64(index) * 1_000_000_000 + 600_000_000)
        if !mix.kinds.isEmpty {
            for day in firstDay...lastDay {
                for ext in extensions where ext.type == "User" || ext.type == "Department" || ext.type == "FaxUser" {
                    var random = SeededRandom(seed: configuration.seed, 6, UInt64(index), UInt64(bitPattern: day), MediaBytes.fnv1a(ext.id))
                    generator.day(day * dayMillis, ext: ext, random: &random)
                }
            }
            generator.ensureVideo(seed: configuration.seed)
        }
        messages += generator.messages
        shapeMessages(configuration: configuration)
        addFaxCallRecords(configuration: configuration)
    }

    /// A fax's call-log record: type `Fax`, action `Incoming Fax`/`Outgoing Fax`, result `Received`,
    /// `Sent` or `Fax Not Sent` (CallActionEnum, CallResultEnum), `message` {id, type Fax, uri}
    /// (CallLogRecordMessage: "Linked message (Fax/Voicemail)"), about 30 s a page before the message.
    private mutating func addFaxCallRecords(configuration: SimulatorConfiguration) {
        guard configuration.messages.faxCallLogShare > 0 else { return }
        var ids = Set(calls.map(\.id))
        for position in messages.indices where messages[position].type == .fax {
            let message = messages[position]
            guard let owner = extensions.first(where: { $0.id == message.extensionId }), owner.type != "Department" else { continue }
            var random = SeededRandom(seed: configuration.seed, 10, UInt64(index), MediaBytes.fnv1a(message.id))
            guard random.chance(configuration.messages.faxCallLogShare) else { continue }
            var id = SimAccount.callId(&random)
            while ids.contains(id) { id = SimAccount.callId(&random) }
            ids.insert(id)
            let inbound = message.direction == "Inbound"
            let duration = 20 + 30 * (message.faxPageCount ?? 1)
            let failed = message.changes.contains { $0.messageStatus == "SendingFailed" }
            let local = SimParty(phoneNumber: directNumber(owner), extensionNumber: owner.number, extensionId: owner.id, name: owner.name, location: nil)
            let remote = SimParty(phoneNumber: (inbound ? message.from : message.to.first)?.phoneNumber, extensionNumber: nil,
                                  extensionId: nil, name: nil, location: nil)
            var call = SimCall(
                id: id, sessionId: String(13_916_417_004 + Int64(random.int(0...899_999_999))),
                telephonySessionId: "s-" + SimAccount.hex(&random, 20) + "z" + SimAccount.hex(&random, 10) + "0000",
                start: message.created.adding(seconds: -Double(duration)), durationSeconds: duration,
                direction: message.direction, action: inbound ? "Incoming Fax" : "Outgoing Fax", transport: "PSTN",
                provisionalResult: nil, result: inbound ? "Received" : (failed ? "Fax Not Sent" : "Sent"), reason: nil, finalizedAt: nil,
                from: inbound ? remote : local, to: inbound ? local : remote, extensionId: owner.id, recording: nil, messageId: message.id)
            call.callType = "Fax"
            calls.append(call)
            messages[position].callId = id
        }
    }

    /// Older shapes, unknown attachment types, and the changes over time, decided per message.
    private mutating func shapeMessages(configuration: SimulatorConfiguration) {
        let mix = configuration.messages
        var nextAttachment = (messages.flatMap { $0.attachments.compactMap { Int64($0.id) } }.max() ?? 0) + 1
        for position in messages.indices {
            var message = messages[position]
            var random = SeededRandom(seed: configuration.seed, 7, UInt64(index), MediaBytes.fnv1a(message.id))
            let untypedDraw = random.unit(), unknownDraw = random.unit(), changeDraw = random.unit()
            let deleteDraw = random.unit(), purgeDraw = random.unit()
            let voicemail = message.type == .voiceMail
            if voicemail {
                if untypedDraw < mix.untypedVoicemailAudioShare { message.attachments[0].type = nil }
            } else {
                for index in message.attachments.indices where random.chance(mix.untypedAttachmentShare) {
                    message.attachments[index].type = nil
                }
            }
            if unknownDraw < mix.unknownAttachmentTypeShare {
                // A type the spec does not list: archivers must keep what they cannot classify.
                let id = String(nextAttachment)
                nextAttachment += 1
                message.attachments.append(SimAttachment(id: id, type: "SomethingNew", contentType: "text/vcard",
                                                         bytes: MessageMedia.vcard(id: id, name: message.from.name ?? "Contact"),
                                                         fileName: "contact.vcf"))
            }
            if !voicemail || changeDraw < mix.voicemailChangeShare {
                message.changes += readChanges(message, &random)
                // Of the voicemails chosen to change, a third is deleted.
                if deleteDraw < (voicemail ? 0.3 : mix.deletedShare) {
                    let deletedAt = message.created.adding(seconds: Double(random.int(3600...3 * 86_400)))
                    message.changes.append(SimMessageChange(at: deletedAt, availability: "Deleted"))
                    if purgeDraw < mix.purgedShareOfDeleted {
                        message.changes.append(SimMessageChange(at: deletedAt.adding(seconds: Double(random.int(3600...2 * 86_400))),
                                                                availability: "Purged"))
                    }
                }
            }
            message.changes.sort { $0.at < $1.at }
            messages[position] = message
        }
    }

    /// Inbound messages are read some time after they arrive (most of them), and now and then marked
    /// unread again. Outbound ones are `Read` from the start.
    private func readChanges(_ message: SimMessage, _ random: inout SeededRandom) -> [SimMessageChange] {
        guard message.direction == "Inbound", random.chance(0.75) else { return [] }
        let readAt = message.created.adding(seconds: Double(random.int(60...86_400)))
        var changes = [SimMessageChange(at: readAt, readStatus: "Read")]
        if random.chance(0.1) { changes.append(SimMessageChange(at: readAt.adding(seconds: Double(random.int(600...86_400))), readStatus: "Unread")) }
        return changes
    }
}

/// Builds one account's SMS, MMS, pager and fax messages day by day.
struct MessageGenerator {
    let account: SimAccount
    let mix: MessageMix
    var nextId: Int64
    var messages: [SimMessage] = []

    init(account: SimAccount, mix: MessageMix, nextId: Int64) {
        self.account = account
        self.mix = mix
        self.nextId = nextId
    }

    static let phrases = [
        "Hi, are we still on for 3pm?", "Running 10 minutes late, sorry!", "Can you send me the invoice?",
        "Thanks, got it.", "Café at the corner? ☕", "Your appointment is confirmed for Tuesday.", "👍",
        "Please call me back when you can.", "The package arrived today.", "OK", "Où est le rapport ?",
        "Let's move the meeting to Friday.", "Reply STOP to opt out.", "Sure — see you there.",
        "Can you check ticket #4417?", "日本語のテキストも届きますか？", "Great news, the contract is signed!",
    ]
    static let names: [String?] = ["Jane Smith", "WIRELESS CALLER", "Bob O'Neil", nil, nil, nil]
    static let locations: [String?] = ["San Mateo, CA", "New York, NY", nil, nil]

    /// Reserves a message id and `attachments` attachment ids: the first attachment's id is the
    /// message's, as in [EX:message-store-list-response-sms.json] and [EX:message-store-voicemail-record.json].
    mutating func reserve(_ random: inout SeededRandom, attachments: Int) -> String {
        nextId += Int64(random.int(1...4000))
        let id = String(nextId)
        nextId += Int64(max(1, attachments))
        return id
    }

    static func conversationId(_ random: inout SeededRandom) -> String {
        String(7_000_000_000_000_000_000 + Int64(random.next() % 2_000_000_000_000_000_000))  // beyond 2^53
    }

    func businessInstant(_ dayStart: Int64, _ random: inout SeededRandom) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: dayStart + Int64(random.int(13 * 3600...22 * 3600)) * 1000 + Int64(random.int(0...999)))
    }

    func own(_ ext: SimExtension) -> SimParty {
        SimParty(phoneNumber: account.directNumber(ext), extensionNumber: nil, extensionId: nil, name: ext.name, location: nil)
    }

    static func outside(_ random: inout SeededRandom) -> SimParty {
        let area = random.pick(["415", "650", "212", "312", "617"])
        return SimParty(phoneNumber: "+1\(area)555\(random.int(1000...9999))", extensionNumber: nil, extensionId: nil,
                        name: random.pick(names), location: random.pick(locations))
    }

    func textAttachment(_ id: String, _ text: String, typed: Bool = true) -> SimAttachment {
        SimAttachment(id: id, type: typed ? "Text" : nil, contentType: "text/plain", bytes: Array(text.utf8))
    }

    mutating func day(_ dayStart: Int64, ext: SimExtension, random: inout SeededRandom) {
        let user = ext.type == "User"
        // Drawn unconditionally, so that one kind's switch never shifts another's traffic.
        let smsDraw = random.unit(), mmsDraw = random.unit(), pagerDraw = random.unit(), faxDraw = random.unit()
        if user, mix.kinds.contains(.sms), smsDraw < mix.smsConversationChance { smsConversation(dayStart, ext, &random) }
        if user, mix.kinds.contains(.mms), mmsDraw < mix.mmsChance { mms(dayStart, ext, &random) }
        if user, mix.kinds.contains(.pager), pagerDraw < mix.pagerChance { pager(dayStart, ext, &random) }
        let faxChance = ext.type == "FaxUser" ? min(1, mix.faxChance * 3) : mix.faxChance
        if mix.kinds.contains(.fax), faxDraw < faxChance {
            // Departments (call queues) only receive faxes; users and fax-only extensions send them too.
            fax(dayStart, ext, inbound: ext.type == "Department" || random.chance(0.6), &random)
        }
    }

    // MARK: SMS and MMS

    /// 2-8 messages with one outside number, both ways, one conversation id
    /// ([EX:message-store-list-response-sms.json]: `conversationId` and `conversation {id, uri}`).
    mutating func smsConversation(_ dayStart: Int64, _ ext: SimExtension, _ random: inout SeededRandom) {
        let other = MessageGenerator.outside(&random)
        let conversation = MessageGenerator.conversationId(&random)
        var at = businessInstant(dayStart, &random)
        var inbound = random.chance(0.6)
        for _ in 0..<random.int(2...8) {
            let text = random.pick(MessageGenerator.phrases)
            let id = reserve(&random, attachments: 1)
            messages.append(sms(id: id, ext: ext, other: other, inbound: inbound, at: at, conversation: conversation, text: text,
                                attachments: [textAttachment(id, text)], random: &random))
            at = at.adding(seconds: Double(random.int(30...3 * 3600)))
            if random.chance(0.7) { inbound.toggle() }
        }
    }

    /// An SMS record. Inbound: `from` the outside number (with `location` where known, as in the
    /// guide's example), `to` the mailbox's own number and name; outbound the reverse, `Queued` then
    /// `Sent`, then (mostly) `Delivered` with `smsDeliveryTime`, or `DeliveryFailed`.
    func sms(id: String, ext: SimExtension, other: SimParty, inbound: Bool, at: Timestamp, conversation: String, text: String?,
             attachments: [SimAttachment], random: inout SeededRandom) -> SimMessage {
        let mine = own(ext)
        var message = SimMessage(id: id, type: .sms, extensionId: ext.id, extensionNumber: ext.number,
                                 direction: inbound ? "Inbound" : "Outbound", created: at,
                                 from: inbound ? other : mine, to: [inbound ? mine : other], subject: text,
                                 conversationId: conversation, hasConversationObject: true, attachments: attachments)
        message.segmentCount = max(1, ((text?.utf8.count ?? 0) + 152) / 153)
        if inbound {
            message.messageStatus = "Received"
        } else {
            message.readStatus = "Read"
            message.messageStatus = "Queued"
            let sent = at.adding(seconds: Double(random.int(1...20)))
            message.changes.append(SimMessageChange(at: sent, messageStatus: "Sent"))
            let outcome = random.unit()
            if outcome < 0.8 {
                message.changes.append(SimMessageChange(at: sent.adding(seconds: Double(random.int(2...600))), messageStatus: "Delivered"))
            } else if outcome < 0.88 {
                message.changes.append(SimMessageChange(at: sent.adding(seconds: Double(random.int(30...3600))), messageStatus: "DeliveryFailed"))
                message.deliveryErrorCode = random.pick(["SMS-UP-430", "SMS-CAR-411", "SMS-CAR-432"])
            }
        }
        return message
    }

    /// An MMS: type `SMS` with 1-2 `MmsAttachment` images (image/jpeg, image/png, image/gif) or a
    /// video (video/mp4), and a `Text` attachment when it has a caption.
    mutating func mms(_ dayStart: Int64, _ ext: SimExtension, _ random: inout SeededRandom) {
        let other = MessageGenerator.outside(&random)
        let caption: String? = random.chance(0.7) ? random.pick(MessageGenerator.phrases) : nil
        let mediaCount = random.chance(0.1) ? 1 : random.int(1...2)
        let video = random.chance(0.1)
        let id = reserve(&random, attachments: mediaCount + 1)
        var attachments: [SimAttachment] = []
        var nextAttachment = Int64(id)!
        if let caption {
            attachments.append(textAttachment(id, caption))
            nextAttachment += 1
        }
        for item in 0..<mediaCount {
            attachments.append(MessageGenerator.media(String(nextAttachment), video: video && item == 0, &random))
            nextAttachment += 1
        }
        messages.append(sms(id: id, ext: ext, other: other, inbound: random.chance(0.6), at: businessInstant(dayStart, &random),
                            conversation: MessageGenerator.conversationId(&random), text: caption, attachments: attachments, random: &random))
    }

    static func media(_ id: String, video: Bool, _ random: inout SeededRandom) -> SimAttachment {
        if video {
            return SimAttachment(id: id, type: "MmsAttachment", contentType: "video/mp4",
                                 bytes: MessageMedia.mp4(id: id, seconds: random.int(3...30)), fileName: "VID_\(id.suffix(4)).mp4")
        }
        switch random.int(0...2) {
        case 0:
            return SimAttachment(id: id, type: "MmsAttachment", contentType: "image/jpeg", bytes: MessageMedia.jpeg(id: id),
                                 fileName: "IMG_\(id.suffix(4)).jpg", width: 16, height: 16)
        case 1:
            return SimAttachment(id: id, type: "MmsAttachment", contentType: "image/png", bytes: MessageMedia.png(id: id),
                                 fileName: "image.png", width: 12, height: 8)
        default:
            return SimAttachment(id: id, type: "MmsAttachment", contentType: "image/gif", bytes: MessageMedia.gif(id: id), width: 1, height: 1)
        }
    }

    /// Every account gets at least one video MMS: the first MMS's first media attachment becomes one.
    mutating func ensureVideo(seed: UInt64) {
        guard mix.kinds.contains(.mms),
            !messages.contains(where: { $0.attachments.contains { $0.contentType == "video/mp4" } }),
            let position = messages.firstIndex(where: { $0.attachments.contains { $0.type == "MmsAttachment" } }),
            let item = messages[position].attachments.firstIndex(where: { $0.type == "MmsAttachment" })
        else { return }
        var random = SeededRandom(seed: seed, 8, UInt64(account.index))
        messages[position].attachments[item] = MessageGenerator.media(messages[position].attachments[item].id, video: true, &random)
    }

    // MARK: Pager

    /// A company pager message between extensions, by extension number (MessageStoreCallerInfo:
    /// `extensionNumber` "is filled when ... sending/receiving Company Pager message"). To a user it is
    /// in both mailboxes (each copy its own id, one conversation); to a department only the sender's
    /// copy, with `pgToDepartment: true`.
    mutating func pager(_ dayStart: Int64, _ ext: SimExtension, _ random: inout SeededRandom) {
        let users = account.extensions.filter { $0.type == "User" && $0.id != ext.id }
        let departments = account.extensions.filter { $0.type == "Department" }
        let toDepartment = !departments.isEmpty && random.chance(0.2)
        guard let target = toDepartment ? random.pick(departments) : (users.isEmpty ? nil : random.pick(users)) else { return }
        let text = random.pick(MessageGenerator.phrases)
        let conversation = MessageGenerator.conversationId(&random)
        let at = businessInstant(dayStart, &random)
        let sender = SimParty(phoneNumber: nil, extensionNumber: ext.number, extensionId: ext.id, name: ext.name, location: nil)
        let recipient = SimParty(phoneNumber: nil, extensionNumber: target.number, extensionId: target.id, name: target.name, location: nil)
        func copy(_ mailbox: SimExtension, inbound: Bool, id: String) -> SimMessage {
            var message = SimMessage(id: id, type: .pager, extensionId: mailbox.id, extensionNumber: mailbox.number,
                                     direction: inbound ? "Inbound" : "Outbound", created: at, from: sender, to: [recipient],
                                     subject: text, conversationId: conversation, hasConversationObject: true,
                                     attachments: [textAttachment(id, text)])
            message.readStatus = inbound ? "Unread" : "Read"
            message.messageStatus = inbound ? "Received" : "Sent"
            message.pgToDepartment = toDepartment
            return message
        }
        messages.append(copy(ext, inbound: false, id: reserve(&random, attachments: 1)))
        if !toDepartment { messages.append(copy(target, inbound: true, id: reserve(&random, attachments: 1))) }
    }

    // MARK: Fax

    /// Inbound: `Received`, one `RenderedDocument` (application/pdf or image/tiff) of `faxPageCount`
    /// pages. Outbound: `SourceDocument`(s) as uploaded and the `RenderedDocument` sent, `coverIndex`
    /// (0: no cover page) and `coverPageText` [SPEC GetMessageInfoResponse], `Queued` then `Sent`, then
    /// `Delivered` or `DeliveryFailed`, or `SendingFailed` with a `faxErrorCode` on the recipient
    /// (FaxErrorCodeEnum).
    mutating func fax(_ dayStart: Int64, _ ext: SimExtension, inbound: Bool, _ random: inout SeededRandom) {
        let other = SimParty(phoneNumber: MessageGenerator.outside(&random).phoneNumber, extensionNumber: nil, extensionId: nil,
                             name: random.chance(0.3) ? "FAX" : nil, location: nil)
        let pages = random.weighted([(1, 30.0), (2, 25), (3, 15), (random.int(4...12), 30)])
        let high = random.chance(0.6)
        let sources = inbound ? 0 : random.int(1...2)
        let id = reserve(&random, attachments: sources + 1)
        var attachments: [SimAttachment] = []
        var next = Int64(id)!
        for source in 0..<sources {
            let attachmentId = String(next)
            next += 1
            let pdf = source == 0 || random.chance(0.5)
            attachments.append(SimAttachment(
                id: attachmentId, type: "SourceDocument", contentType: pdf ? "application/pdf" : "image/tiff",
                bytes: pdf ? MessageMedia.pdf(id: attachmentId, pages: max(1, pages - 1), title: "Document \(source + 1)")
                    : MessageMedia.tiff(id: attachmentId, pages: 1, highResolution: true),
                fileName: pdf ? "document\(source + 1).pdf" : "scan\(source + 1).tif"))
        }
        let renderedId = String(next)
        let tiff = random.chance(0.4)
        attachments.append(SimAttachment(
            id: renderedId, type: "RenderedDocument", contentType: tiff ? "image/tiff" : "application/pdf",
            bytes: tiff ? MessageMedia.tiff(id: renderedId, pages: pages, highResolution: high)
                : MessageMedia.pdf(id: renderedId, pages: pages, title: "Fax \(id)")))
        // The order of sources and rendered document on a real outbound fax is not documented: rendered last here.
        let mine = own(ext)
        var message = SimMessage(id: id, type: .fax, extensionId: ext.id, extensionNumber: ext.number,
                                 direction: inbound ? "Inbound" : "Outbound", created: businessInstant(dayStart, &random),
                                 from: inbound ? other : mine, to: [inbound ? mine : other], attachments: attachments)
        if ext.type == "Department" { message.to = [SimParty(phoneNumber: account.mainNumber, extensionNumber: ext.number, extensionId: nil, name: ext.name, location: nil)] }
        message.faxPageCount = pages
        message.faxResolution = high ? "High" : "Low"
        if inbound {
            message.messageStatus = "Received"
        } else {
            message.readStatus = "Read"
            message.messageStatus = "Queued"
            message.coverIndex = random.chance(0.4) ? 0 : random.int(1...13)
            if message.coverIndex != 0, random.chance(0.6) { message.coverPageText = "Please find the signed pages attached. — \(ext.name)" }
            let done = message.created.adding(seconds: Double(random.int(60...900)))
            let outcome = random.unit()
            if outcome < 0.1 {
                message.changes.append(SimMessageChange(at: done, messageStatus: "SendingFailed"))
                message.faxErrorCode = random.pick(["LineBusy", "NoAnswer", "NoFaxMachine", "CallerHungUp"])
            } else {
                message.changes.append(SimMessageChange(at: done, messageStatus: "Sent"))
                if outcome < 0.3 {
                    message.changes.append(SimMessageChange(at: done.adding(seconds: Double(random.int(10...300))), messageStatus: "Delivered"))
                } else if outcome < 0.4 {
                    message.changes.append(SimMessageChange(at: done.adding(seconds: Double(random.int(10...300))), messageStatus: "DeliveryFailed"))
                    message.faxErrorCode = "SentPartially"
                }
            }
        }
        messages.append(message)
    }
}
