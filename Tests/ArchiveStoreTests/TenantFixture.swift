import ArchiveStore
import RinglogTestSupport

/// A fresh archive holding one tenant, for the tests that write through its `TenantWriter`.
struct TenantFixture {
    let scratch = ScratchDirectory()
    let root: ArchiveRoot
    let store: TenantStore

    init() throws {
        root = try ArchiveRoot.initialize(scratch.path + "/archive")
        let tenant = try root.addTenant(name: "t", server: "https://platform.example", since: nil)
        store = root.store(for: tenant.tenantId)
    }
}
