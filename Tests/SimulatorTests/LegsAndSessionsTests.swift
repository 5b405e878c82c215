import RinglogSupport
import Testing
@testable import RingSimulator

/// The Detailed-view shapes real RingCentral payloads show: a recording only on a non-master leg, the
/// same recording on every leg, transfers (several records, one telephony session, a recording each),
/// `extension` only on legs; and the ground truth that lists each distinct recording once.
@Suite struct LegsAndSessionsTests {
    /// Four days on from the default start, so that every call of the default world is visible with
    /// its recording and final result.
    static func driverWithEverythingVisible(_ configure: (inout SimulatorConfiguration) -> Void = { _ in }) throws -> EngineDriver {
        var driver = EngineDriver(configure)
        try driver.login()
        _ = driver.post("/__sim/advance", [("seconds", String(4 * 86_400))])
        return driver
    }

    static func detailedRecords(_ driver: EngineDriver) throws -> [String: JSON] {
        let (status, list) = try driver.getJSON(driver.accountPath + "/call-log",
                                                [("dateFrom", "2026-11-01T00:00:00Z"), ("dateTo", "2026-12-01T00:00:00Z"),
                                                 ("view", "Detailed"), ("perPage", "1000")])
        #expect(status == 200)
        var byId: [String: JSON] = [:]
        for record in list["records"]?.arrayValue ?? [] { byId[record["id"]?.stringValue ?? ""] = record }
        return byId
    }

    static func legs(_ record: JSON?) -> [JSON] { record?["legs"]?.arrayValue ?? [] }

    /// The default world (seed 1, default sizes) has every shape, so tests that use the defaults meet them.
    @Test func theDefaultWorldHasEveryShape() throws {
        let account = EngineDriver().engine.state.withLock { $0.world.accounts[0] }
        #expect(account.calls.contains { $0.recordingPlacement == .nonMasterLegOnly })
        #expect(account.calls.contains { $0.recordingPlacement == .everyLeg })
        #expect(account.calls.contains { $0.extensionOnLegsOnly })
        let transfers = Dictionary(grouping: account.calls.filter { $0.transfer != nil }, by: \.telephonySessionId)
        #expect(!transfers.isEmpty)
        #expect(transfers.values.allSatisfy { (2...3).contains($0.count) && $0.count == $0[0].transfer?.count })
        #expect(account.calls.contains { $0.internalPeerCallId != nil }, "internal pairs (two records, one recording) are on by default")
    }

    @Test func aRecordingOnlyOnANonMasterLegIsOnNeitherTheRecordNorTheMasterLegInEitherView() throws {
        let driver = try Self.driverWithEverythingVisible()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let records = try Self.detailedRecords(driver)
        let calls = account.calls.filter { $0.recordingPlacement == .nonMasterLegOnly && records[$0.id] != nil }
        #expect(!calls.isEmpty)
        for call in calls {
            let record = records[call.id]
            #expect(record?["recording"] == nil, "\(call.id): no recording on the record")
            let legs = Self.legs(record)
            #expect(legs.count >= 2)
            #expect(legs.filter { $0["master"] == true }.allSatisfy { $0["recording"] == nil }, "\(call.id): none on the master leg")
            let onLegs = legs.filter { $0["master"] == false }.compactMap { $0["recording"]?["id"]?.stringValue }
            #expect(onLegs == [call.recording?.id ?? "-"], "\(call.id): the recording sits on a non-master leg")
            let (_, simple) = try driver.getJSON(driver.accountPath + "/call-log/\(call.id)", [("view", "Simple")])
            #expect(simple["recording"] == nil && simple["legs"] == nil, "\(call.id): Simple is the record without its legs")
        }
    }

    @Test func theSameRecordingCanSitOnTheRecordAndEveryLeg() throws {
        let driver = try Self.driverWithEverythingVisible()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let records = try Self.detailedRecords(driver)
        let calls = account.calls.filter { $0.recordingPlacement == .everyLeg && records[$0.id] != nil }
        #expect(!calls.isEmpty)
        for call in calls {
            let record = records[call.id]
            let recording = try #require(record?["recording"], "\(call.id)")
            let legs = Self.legs(record)
            #expect(legs.count >= 2 && legs.allSatisfy { $0["recording"] == recording }, "\(call.id): the same object on every leg")
        }
    }

    @Test func aTransferIsSeveralRecordsOfOneSessionEachWithItsOwnRecording() throws {
        let driver = try Self.driverWithEverythingVisible()
        let records = try Self.detailedRecords(driver)
        let truth = try driver.truth()
        let recordingItems = truth.filter { $0["kind"] == "recording" }
        let sessions = Dictionary(grouping: records.values.filter { $0["action"] == "Transfer" || Self.legs($0).contains { $0["legType"] == "TransferCall" } }) {
            $0["telephonySessionId"]?.stringValue ?? ""
        }
        #expect(!sessions.isEmpty)
        for (session, transferred) in sessions {
            let group = records.values.filter { $0["telephonySessionId"]?.stringValue == session }
            #expect((2...3).contains(group.count), "\(session): \(group.count) records")
            #expect(Set(group.compactMap { $0["id"]?.stringValue }).count == group.count, "distinct record ids")
            #expect(Set(group.compactMap { $0["sessionId"]?.stringValue }).count == 1, "one session id")
            let recordingIds = group.compactMap { record in
                record["recording"]?["id"]?.stringValue ?? Self.legs(record).compactMap { $0["recording"]?["id"]?.stringValue }.first
            }
            #expect(recordingIds.count == group.count && Set(recordingIds).count == group.count, "\(session): a recording each")
            for record in group {
                let id = record["id"]?.stringValue ?? ""
                let referenced = recordingItems.filter { $0["callIds"]?.arrayValue?.contains(.string(id)) == true }
                #expect(referenced.count == 1 && referenced[0]["callIds"]?.arrayValue?.count == 1, "\(id): its own recording in the truth")
                let extensionNumbers = group.compactMap { $0["to"]?["extensionNumber"]?.stringValue }
                #expect(Set(extensionNumbers).count == extensionNumbers.count, "\(session): each part on another extension")
            }
            _ = transferred
        }
    }

    @Test func anExtensionOnlyOnLegsIsAbsentFromTheRecord() throws {
        let driver = try Self.driverWithEverythingVisible()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let records = try Self.detailedRecords(driver)
        let calls = account.calls.filter { $0.extensionOnLegsOnly && records[$0.id] != nil }
        #expect(!calls.isEmpty)
        for call in calls {
            let record = records[call.id]
            #expect(record?["extension"] == nil, "\(call.id)")
            let onLegs = Self.legs(record).compactMap { $0["extension"] }
            #expect(!onLegs.isEmpty && onLegs.allSatisfy { $0["id"] == .number(call.extensionId ?? "") && $0["uri"]?.stringValue?.hasSuffix("/extension/\(call.extensionId ?? "")") == true })
        }
        // And the truth still names the extension, so tests can tell where the call belongs.
        let truth = try driver.truth()
        #expect(calls.allSatisfy { call in truth.contains { $0["callId"]?.stringValue == call.id && $0["extensionId"]?.stringValue == call.extensionId } })
    }

    /// Internal calls listed twice share one recording: the truth lists it once, with both records.
    @Test func aRecordingReferencedByTwoRecordsIsListedOnceWithBoth() throws {
        let driver = try Self.driverWithEverythingVisible { $0.callShapes.internalCallShare = 0.5 }
        let records = try Self.detailedRecords(driver)
        let truth = try driver.truth()
        let recordingItems = truth.filter { $0["kind"] == "recording" }
        let ids = recordingItems.compactMap { $0["recordingId"]?.stringValue }
        #expect(Set(ids).count == ids.count, "each recording once")
        let shared = recordingItems.filter { ($0["callIds"]?.arrayValue?.count ?? 0) == 2 }
        #expect(!shared.isEmpty)
        for item in shared {
            let callIds = item["callIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(item["callId"]?.stringValue == callIds.first)
            let pair = callIds.compactMap { records[$0] }
            #expect(pair.count == 2)
            #expect(Set(pair.compactMap { $0["direction"]?.stringValue }) == ["Inbound", "Outbound"])
            #expect(Set(pair.compactMap { $0["sessionId"]?.stringValue }).count == 1)
            for record in pair {
                let referenced = [record["recording"]?["id"]?.stringValue].compactMap { $0 } + Self.legs(record).compactMap { $0["recording"]?["id"]?.stringValue }
                #expect(Set(referenced) == [item["recordingId"]?.stringValue ?? "-"])
            }
            // Every call item lists the recordings it references.
            for callId in callIds {
                #expect(truth.first { $0["kind"] == "call" && $0["callId"]?.stringValue == callId }?["recordingIds"] == [item["recordingId"]!])
            }
        }
    }

    /// A share of 0 everywhere gives the plain world: shapes never disturb other calls.
    @Test func sharesOnlyReshapeTheCallsTheyPick() throws {
        let plain = EngineDriver {
            $0.callShapes.recordingOnNonMasterLegShare = 0; $0.callShapes.recordingOnEveryLegShare = 0
            $0.callShapes.transferShare = 0; $0.callShapes.extensionOnLegsOnlyShare = 0
        }.engine.state.withLock { $0.world.accounts[0] }
        let shaped = EngineDriver().engine.state.withLock { $0.world.accounts[0] }
        let plainById = Dictionary(uniqueKeysWithValues: plain.calls.map { ($0.id, $0) })
        let untouched = shaped.calls.filter { $0.transfer == nil && $0.recordingPlacement == .masterLeg && !$0.extensionOnLegsOnly }
        #expect(untouched.count > 100)
        #expect(untouched.allSatisfy { call in plainById[call.id].map { $0.start == call.start && $0.recording?.id == call.recording?.id } == true })
        #expect(Set(plain.calls.map(\.id)).isSubset(of: Set(shaped.calls.map(\.id))), "transfers add records, never remove one")
    }
}
