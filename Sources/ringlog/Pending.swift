import ArgumentParser
import ArchiveStore
import ArchiveSync
import RinglogSupport

struct Pending: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List media waiting to be fetched, and quarantined media with the reason.",
        discussion: """
            Pending items are retried by later syncs with growing backoff; after 8
            attempts they are quarantined. `ringlog sync --retry-pending` tries all of
            them at once.
            """)

    @OptionGroup var root: RootOption
    @Option(help: "This tenant only.") var tenant: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let tenants = try withConfigurationErrors("pending") { try ArchiveRoot.open(root.path).tenants(selecting: tenant) }
        var output: [JSON] = []
        for marker in tenants {
            let archive = try withConfigurationErrors("pending") { try ArchiveRoot.open(root.path) }
            let queue = try withConfigurationErrors("pending") { try archive.store(for: marker.tenantId).loadPending() }
            if json {
                var object = queue.json.objectValue ?? JSONObject()
                object["tenantId"] = .string(marker.tenantId)
                output.append(.object(object))
                continue
            }
            print("tenant \(marker.tenantId): \(queue.pending.count) pending, \(queue.quarantined.count) quarantined")
            for item in queue.pending.sorted(by: { $0.startTime < $1.startTime }) {
                print("  pending     \(item.kind.rawValue) \(item.mediaId)  call start \(item.startTime.iso8601Seconds)  attempts \(item.attempts)  next \(item.nextAttemptAt.iso8601Seconds)  \(item.lastError)")
            }
            for item in queue.quarantined.sorted(by: { $0.startTime < $1.startTime }) {
                print("  quarantined \(item.kind.rawValue) \(item.mediaId)  \(item.sidecar)  \(item.lastError)")
            }
        }
        if json { print(JSON.array(output).serialized(.pretty)) }
    }
}
