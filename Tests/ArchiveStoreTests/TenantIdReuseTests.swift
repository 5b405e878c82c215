import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

@Suite struct TenantIdReuseTests {
    /// layout-spec §3.2: an id in the registry (a removed tenant included) or present as a directory
    /// under the root (a crash before the registry line) is never issued again.
    @Test func anIdInTheRegistryOrOnDiskIsNeverIssuedAgain() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let removed = try root.addTenant(name: "a", server: "https://platform.example", since: nil, randomBits: { 0x1 })
        #expect(removed.tenantId == "0000000000000001")
        try root.removeTenant(removed.tenantId)
        // Its directory deleted by hand afterwards: only the registry still knows the id.
        try FileManager.default.removeItem(atPath: root.tenantDirectory(removed.tenantId))
        try DurableFiles.createDirectories(root.path + "/0000000000000002")  // unregistered, left by a crash
        var draws: [UInt64] = [0x1, 0x2, 0xabc]
        let issued = try root.addTenant(name: "b", server: "https://platform.example", since: nil, randomBits: { draws.removeFirst() })
        #expect(issued.tenantId == "0000000000000abc", "the removed tenant's id and the directory's were skipped")
        #expect(draws.isEmpty, "both taken ids were drawn and refused")
        let entries = try root.registry().filter { $0.tenantId == "0000000000000001" }
        #expect(entries.count == 1 && entries[0].removed, "issued once, removed, never re-added")
    }
}
