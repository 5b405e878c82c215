import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// Sidecars edited by hand (or by bit rot in a text field) that still parse as JSON: verify must not
/// call such a tree clean.
@Suite struct EditedSidecarTests {
    /// Rewrites the sidecar at `relative` with `edit` applied to its parsed object (pretty JSON, as a
    /// person with an editor or `jq` would leave it).
    func edit(_ tree: TreeFixture, _ relative: String, _ edit: (inout [String: Any]) -> Void) throws {
        let path = tree.path(relative)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
    }

    func sidecar(_ tree: TreeFixture, containing part: String) throws -> String {
        try #require(tree.files.first { $0.hasSuffix(".json") && $0.contains(part) })
    }

    @Test func aCallRecordWhoseIdNoLongerMatchesItsItemIsFound() throws {
        let tree = try TreeFixture.standard()
        let relative = try sidecar(tree, containing: "norecording1")
        try edit(tree, relative) { object in
            var record = object["record"] as! [String: Any]
            record["id"] = "someOtherCall"
            object["record"] = record
        }
        let report = tree.verify()
        #expect(report.status == .damaged)
        #expect(report.problems.contains { $0.path == relative && $0.kind.rawValue == "sidecar-misplaced" }, "\(report.problems)")
    }

    @Test func aVoicemailRecordWhoseIdNoLongerMatchesItsItemIsFound() throws {
        let tree = try TreeFixture.standard()
        let relative = try sidecar(tree, containing: "_vm.")
        try edit(tree, relative) { object in
            var record = object["record"] as! [String: Any]
            record["id"] = 12345
            object["record"] = record
        }
        let report = tree.verify()
        #expect(report.problems.contains { $0.path == relative && $0.kind.rawValue == "sidecar-misplaced" }, "\(report.problems)")
    }

    @Test func anUneditedTreeRewrittenByJSONSerializationIsStillClean() throws {
        // The edit helper itself must not be what verify objects to (key order, spacing).
        let tree = try TreeFixture.standard()
        let relative = try sidecar(tree, containing: "norecording1")
        try edit(tree, relative) { _ in }
        #expect(tree.verify().status == .clean, "\(tree.verify().problems)")
    }

    @Test(.disabled("""
        finding: an edited sidecar field that no other file repeats (record.to.phoneNumber, record.duration, \
        record.startTime, archive.revision, archive.archivedAt, archive.item.accountId) goes unnoticed: \
        the manifest's call/message lines carry no digest of the sidecar, so verify has nothing to compare \
        the record with. Needs a layout decision (e.g. a `sidecarSha256` on each revision line, the latest \
        one compared with the file's bytes) — not a small fix.
        """))
    func anEditedRecordFieldIsFound() throws {
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("to.phoneNumber", { object in
                var record = object["record"] as! [String: Any]
                record["to"] = ["phoneNumber": "+16505550999"]
                object["record"] = record
            }),
            ("record.startTime", { object in
                var record = object["record"] as! [String: Any]
                record["startTime"] = "2026-11-04T11:00:01Z"
                object["record"] = record
            }),
            ("archive.revision", { object in
                var archive = object["archive"] as! [String: Any]
                archive["revision"] = 2
                object["archive"] = archive
            }),
            ("archive.item.accountId", { object in
                var archive = object["archive"] as! [String: Any]
                var item = archive["item"] as! [String: Any]
                item["accountId"] = "1"
                archive["item"] = item
                object["archive"] = archive
            }),
        ]
        for (name, change) in edits {
            let tree = try TreeFixture.standard()
            let relative = try sidecar(tree, containing: "norecording1")
            try edit(tree, relative, change)
            let report = tree.verify()
            #expect(report.status == .damaged, "an edited \(name) went unnoticed")
        }
    }
}
