import Foundation
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Testing

@Suite struct ArchiveNamesTests {
    @Test func caseSafeCallIdsAreUniqueIgnoringCaseAndReversible() throws {
        let a = try ArchiveNames.caseSafe(callId: "IVWtSyis720zMEA")
        let b = try ArchiveNames.caseSafe(callId: "IVWtSyis720zMeA")
        #expect(a == "ivwtsyis720zmea.7017" && b == "ivwtsyis720zmea.5017")
        #expect(a.lowercased() != b.lowercased())
        for id in ["IXtVRs-3B7A_PfE", "a", "Z", String(repeating: "Q", count: 64), "x-_y"] {
            #expect(ArchiveNames.callId(fromCaseSafe: try ArchiveNames.caseSafe(callId: id)) == id)
        }
    }

    @Test(arguments: ["", "../x", "a/b", "a\u{0}b", "a b", "é", "a.b", String(repeating: "A", count: 65)])
    func hostileCallIdsAreRefusedNamingTheField(id: String) {
        #expect(throws: ArchiveNames.InvalidIdentifier.self) { try ArchiveNames.callId(id) }
        do { _ = try ArchiveNames.callId(id) } catch { #expect(error.description.hasPrefix("call id")) }
    }

    @Test(arguments: ["", "12a", "-1", "1.0", "../1", String(repeating: "9", count: 21)])
    func numericIdsAreDigitsOnly(id: String) {
        #expect(throws: ArchiveNames.InvalidIdentifier.self) { try ArchiveNames.numericId(id, field: "recording id") }
    }

    @Test func fileNamesFollowLayoutV1() throws {
        let start = try #require(Timestamp(iso8601: "2026-03-05T07:08:09.999Z"))
        #expect(try ArchiveNames.recordingFile(start: start, recordingId: "1662272004", fileExtension: .mp3) == "20260305T070809Z_1662272004.mp3")
        #expect(try ArchiveNames.callSidecarFile(start: start, callId: "IXtVRs-3B7A_PfE") == "20260305T070809Z_call.ixtvrs-3b7a_pfe.551b.json")
        #expect(try ArchiveNames.voicemailFile(created: start, messageId: "9007199254740993", fileExtension: .wav) == "20260305T070809Z_vm.9007199254740993.wav")
        #expect(try ArchiveNames.transcriptionFile(created: start, messageId: "9007199254740993") == "20260305T070809Z_vm.9007199254740993.txt")
        #expect(try ArchiveNames.voicemailSidecarFile(created: start, messageId: "9007199254740993") == "20260305T070809Z_vm.9007199254740993.json")
        #expect(ArchiveNames.dayFolder(start) == "2026-03-05" && ArchiveNames.monthShard(start) == "2026-03")
        // The longest possible name, plus the temporary prefix, stays within 255 bytes.
        let longest = try ArchiveNames.callSidecarFile(start: start, callId: String(repeating: "W", count: 64))
        #expect(longest.utf8.count + ArchiveNames.temporaryPrefix.utf8.count + 9 <= 255)
    }

    @Test func extensionFolders() throws {
        #expect(try ArchiveNames.extensionFolder(extensionId: "62000001", extensionNumber: "101") == "101")
        #expect(try ArchiveNames.extensionFolder(extensionId: "62000001", extensionNumber: nil) == "id-62000001")
        #expect(try ArchiveNames.extensionFolder(extensionId: "62000001", extensionNumber: "../../etc") == "id-62000001")
        #expect(try ArchiveNames.extensionFolder(extensionId: nil, extensionNumber: nil) == "_account")
        #expect(throws: ArchiveNames.InvalidIdentifier.self) { try ArchiveNames.extensionFolder(extensionId: "../9", extensionNumber: nil) }
    }

    @Test func mediaExtensionComesFromTheContentType() {
        #expect(MediaExtension(contentType: "audio/mpeg") == .mp3)
        #expect(MediaExtension(contentType: "audio/wav") == .wav)
        #expect(MediaExtension(contentType: "audio/x-wav") == .wav)
        #expect(MediaExtension(contentType: "text/plain; charset=utf-8") == .txt)
        #expect(MediaExtension(contentType: "text/html") == nil)
        #expect(MediaExtension(contentType: nil) == nil)
    }
}

@Suite struct DurableFilesTests {
    @Test func unchangedContentIsNotRewritten() throws {
        let scratch = ScratchDirectory()
        let path = scratch.path + "/file.json"
        #expect(try DurableFiles.writeAtomically(path, Array("one".utf8)))
        var before = stat()
        stat(path, &before)
        #expect(try DurableFiles.writeAtomically(path, Array("one".utf8)) == false)
        var after = stat()
        stat(path, &after)
        #expect(before.st_ino == after.st_ino && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec)
        #expect(try DurableFiles.writeAtomically(path, Array("two".utf8)))
        #expect(try DurableFiles.read(path) == Array("two".utf8))
        #expect(DurableFiles.list(scratch.path) == ["file.json"], "no temporary file left behind")
    }

    @Test func temporaryFilesOfOtherWritersAreSweptTheHoldersOwnKept() throws {
        let scratch = ScratchDirectory()
        let crashed = scratch.path + "/" + ArchiveNames.temporaryPrefix + "0123456789abcdef.1.x.mp3"
        let mine = scratch.path + "/" + ArchiveNames.temporaryPrefix + "fedcba9876543210.2.y.mp3"
        try DurableFiles.writeAtomically(crashed, [1])
        try DurableFiles.writeAtomically(mine, [2])
        #expect(DurableFiles.sweepTemporaryFiles(in: scratch.path, keeping: "fedcba9876543210") == 1)
        #expect(!DurableFiles.exists(crashed) && DurableFiles.exists(mine))
    }
}

@Suite struct TenantRegistryTests {
    @Test func tenantIdsAreNeverReusedAndRemovalKeepsData() throws {
        let scratch = ScratchDirectory()
        let root = try ArchiveRoot.initialize(scratch.path + "/a")
        let first = try root.addTenant(name: "One", server: "https://platform.ringcentral.com", since: nil)
        #expect(ArchiveNames.isTenantId(first.tenantId))
        try root.removeTenant(first.tenantId)
        #expect(DurableFiles.exists(root.tenantDirectory(first.tenantId) + "/tenant.json"), "data stays")
        #expect(try root.tenants(selecting: nil).isEmpty)
        #expect(throws: ConfigurationError.self) { try root.tenants(selecting: first.tenantId) }
        let ids = try (0..<20).map { _ in try root.addTenant(name: "n", server: "https://x", since: nil).tenantId }
        #expect(Set(ids + [first.tenantId]).count == 21)
        #expect(try root.registry().filter(\.removed).map(\.tenantId) == [first.tenantId])
    }

    @Test func aMissingRootOrMarkerIsRefused() throws {
        let scratch = ScratchDirectory()
        #expect(throws: ConfigurationError.self) { _ = try ArchiveRoot.open(scratch.path + "/nope") }
        #expect(throws: ConfigurationError.self) { _ = try ArchiveRoot.open(scratch.path) }
    }
}
