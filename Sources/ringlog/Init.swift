import ArgumentParser
import ArchiveStore
import ArchiveSync

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an archive root (marker file and empty tenant registry).",
        discussion: """
            Safe to repeat: an existing archive is left as it is. Sync refuses to write
            into a directory without the marker, so an unmounted share is never filled
            by mistake.

            Example:
              ringlog init /mnt/nas/ringcentral-archive
            """)

    @Argument(help: "Directory to create or mark as an archive root.") var root: String

    func run() throws {
        let archive = try withConfigurationErrors("init") { try ArchiveRoot.initialize(root) }
        print("archive root ready: \(archive.path)")
    }
}
