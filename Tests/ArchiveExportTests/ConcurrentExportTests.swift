import ArchiveExport
import ArchiveStore
import Dispatch
import Foundation
import RinglogSupport
import Synchronization
import Testing

/// Two tar.gz exports at once in one process (a test runner, later a web admin) both finish. With
/// the system's gzip, libarchive gives each child pipes without close-on-exec; a second child
/// started while the first runs inherited the first one's stdin, so the first gzip never saw the
/// end of its input and both exports waited for ever.
@Suite struct ConcurrentExportTests {
    @Test func twoGzipExportsAtOnceBothFinish() throws {
        let tree = try TreeFixture()
        for day in 1...9 { _ = try tree.addCall("Conc\(day)", start: "2026-11-0\(day)T10:00:00Z", recordings: 2) }
        let request = try tree.request(format: .tarGzip)
        let fixture = UncheckedFixture(tree)
        // The children must be started at nearly the same instant for the pipes to cross: many rounds.
        for round in 0..<25 {
            let outcomes = Mutex<[String]>([])
            let finished = DispatchSemaphore(value: 0)
            for index in 0..<4 {
                Thread.detachNewThread {
                    do {
                        let summary = try fixture.tree.export(request, to: fixture.tree.scratch.path + "/export-\(round)-\(index).tar.gz")
                        outcomes.withLock { $0.append("ok \(summary.files)") }
                    } catch {
                        outcomes.withLock { $0.append("failed: \(error)") }
                    }
                    finished.signal()
                }
            }
            // A deadlock shows as a failure after a generous minute, never as a hung test run.
            let deadline = DispatchTime.now() + 60
            var done = 0
            for _ in 0..<4 where finished.wait(timeout: deadline) == .success { done += 1 }
            #expect(done == 4, "round \(round): every export finished: \(outcomes.withLock { $0 })")
            #expect(outcomes.withLock { $0 }.allSatisfy { $0.hasPrefix("ok") }, "\(outcomes.withLock { $0 })")
            guard done == 4 else { return }
            let first = try DurableFiles.read(tree.scratch.path + "/export-\(round)-0.tar.gz")
            for index in 1..<4 { #expect(try DurableFiles.read(tree.scratch.path + "/export-\(round)-\(index).tar.gz") == first, "byte-identical") }
        }
    }
}

/// The fixture is only read by the export threads (each writes its own output file).
private struct UncheckedFixture: @unchecked Sendable {
    let tree: TreeFixture
    init(_ tree: TreeFixture) { self.tree = tree }
}
