import RinglogSupport
import Testing
@testable import RingSimulator

/// Two User extensions can carry one extension number; `sharedExtensionNumberPairs` says how many pairs.
@Suite struct SharedExtensionNumberTests {
    static func sharedNumbers(_ account: SimAccount) -> [String: [SimExtension]] {
        Dictionary(grouping: account.extensions.filter { $0.number != nil }, by: { $0.number! }).filter { $0.value.count > 1 }
    }

    @Test func theDefaultWorldHasOnePairPerAccountNeverTheOwner() throws {
        let accounts = EngineDriver { $0.accounts = 3 }.engine.state.withLock { $0.world.accounts }
        for account in accounts {
            let shared = Self.sharedNumbers(account)
            #expect(shared.count == 1 && shared.values.allSatisfy { $0.count == 2 && $0.allSatisfy { $0.type == "User" } }, "\(account.id)")
            #expect(shared.values.allSatisfy { $0.allSatisfy { $0.id != account.ownerExtensionId } })
        }
        let again = EngineDriver { $0.accounts = 3 }.engine.state.withLock { $0.world.accounts }
        #expect(accounts.map { Self.sharedNumbers($0).keys.sorted() } == again.map { Self.sharedNumbers($0).keys.sorted() }, "from the seed")
    }

    @Test(arguments: [0, 2, 9])
    func thePairCountIsControllable(_ pairs: Int) throws {
        let account = EngineDriver { $0.sharedExtensionNumberPairs = pairs }.engine.state.withLock { $0.world.accounts[0] }
        // Six users: the owner never shares, so at most two pairs.
        #expect(Self.sharedNumbers(account).count == min(pairs, 2))
    }

    @Test func theSharedNumberShowsInTheListCallsVoicemailAndTruth() throws {
        var driver = EngineDriver { $0.days = 30; $0.sharedExtensionNumberPairs = 2 }
        try driver.login()
        let account = driver.engine.state.withLock { $0.world.accounts[0] }
        let (_, list) = try driver.getJSON(driver.accountPath + "/extension")
        let numbers = list["records"]?.arrayValue?.compactMap { $0["extensionNumber"]?.stringValue } ?? []
        #expect(numbers.count - Set(numbers).count == 2, "two numbers appear twice: \(numbers)")
        let sharers = Self.sharedNumbers(account).values.flatMap { $0 }
        let ids = Set(sharers.map(\.id))
        #expect(account.calls.contains { ids.contains($0.to.extensionId ?? "") || ids.contains($0.from.extensionId ?? "") })
        for call in account.calls {
            for party in [call.to, call.from] {
                if let id = party.extensionId, ids.contains(id) {
                    #expect(party.extensionNumber == sharers.first { $0.id == id }?.number)
                }
            }
        }
        let truth = try driver.truth()
        for item in truth where ids.contains(item["extensionId"]?.stringValue ?? "") {
            #expect(item["extensionNumber"]?.stringValue == sharers.first { $0.id == item["extensionId"]?.stringValue }?.number)
        }
        #expect(truth.contains { ids.contains($0["extensionId"]?.stringValue ?? "") }, "the sharers have items")
    }
}
