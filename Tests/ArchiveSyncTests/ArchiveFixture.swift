import Foundation
import ArchiveStore
import ArchiveSync
import RinglogSupport
import RinglogTestSupport
import Testing

/// An archive root with one tenant pointed at a simulator, driven through the real `ringlog` binary.
struct ArchiveFixture {
    let sim: LiveSimulator
    let scratch: ScratchDirectory
    let tenantId: String
    var root: String { scratch.path + "/archive" }
    var tenantDirectory: String { root + "/" + tenantId }

    static func create(_ sim: LiveSimulator, since: String? = nil) async throws -> ArchiveFixture {
        let scratch = ScratchDirectory()
        let root = scratch.path + "/archive"
        let initialized = try await runRinglog(["init", root])
        #expect(initialized.status == 0, "\(initialized.standardError)")
        var arguments = ["tenant", "add", "Test Tenant", "--root", root, "--server", sim.baseURL]
        if let since { arguments += ["--since", since] }
        let added = try await runRinglog(arguments)
        #expect(added.status == 0, "\(added.standardError)")
        return ArchiveFixture(sim: sim, scratch: scratch, tenantId: added.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private init(sim: LiveSimulator, scratch: ScratchDirectory, tenantId: String) {
        self.sim = sim
        self.scratch = scratch
        self.tenantId = tenantId
    }

    func sync(_ extra: [String] = [], account: Int = 0) async throws -> RinglogResult {
        try await runRinglog(["sync", "--root", root, "--json"] + extra, environment: sim.environment(account: account))
    }

    /// The run's JSON report (the CLI prints an array of one per tenant).
    func report(_ result: RinglogResult) throws -> JSON {
        try #require(try JSON.parse(result.standardOutput)[0], "no JSON report in: \(result.standardOutput) \(result.standardError)")
    }

    var manifestLines: [JSON] {
        let directory = tenantDirectory + "/manifest"
        return DurableFiles.list(directory).filter { $0.hasSuffix(".jsonl") }.flatMap { name in
            String(decoding: (try? DurableFiles.read(directory + "/" + name)) ?? [], as: UTF8.self)
                .split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
        }
    }

    var manifestLineSet: Set<String> {
        let directory = tenantDirectory + "/manifest"
        return Set(DurableFiles.list(directory).filter { $0.hasSuffix(".jsonl") }.flatMap { name in
            String(decoding: (try? DurableFiles.read(directory + "/" + name)) ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
        })
    }

    /// Every regular file under the archive root with its modification time, size and inode.
    func snapshot() -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            guard lstat(root + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            result[relative] = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_size) \(info.st_ino)"
        }
        return result
    }

    func sidecar(_ relative: String) throws -> JSON { try JSON.parse(try DurableFiles.read(tenantDirectory + "/" + relative)) }

    /// Every item of the simulator's ground truth is archived exactly once, with the same sha256,
    /// and nothing else is: the archive and the truth agree.
    func expectMatchesTruth(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let truth = sim.truth
        let lines = manifestLines
        var callPaths: [String: Set<String>] = [:]
        for line in lines where line["kind"] == "call" {
            callPaths[line["callId"]?.stringValue ?? "", default: []].insert(line["path"]?.stringValue ?? "")
        }
        let truthCalls = Set(truth.filter { $0["kind"] == "call" }.compactMap { $0["callId"]?.stringValue })
        let missing = truthCalls.subtracting(callPaths.keys).count, unexpected = Set(callPaths.keys).subtracting(truthCalls).count
        #expect(Set(callPaths.keys) == truthCalls, "calls: \(missing) missing, \(unexpected) unexpected", sourceLocation: sourceLocation)
        #expect(callPaths.values.allSatisfy { $0.count == 1 }, "a call has more than one sidecar", sourceLocation: sourceLocation)
        for (callId, paths) in callPaths {
            let sidecar = try self.sidecar(try #require(paths.first))
            #expect(sidecar["record"]?["id"]?.stringValue == callId, sourceLocation: sourceLocation)
        }
        func media(_ kind: String, idKey: String, truthKey: String) throws {
            let archived = lines.filter { $0["kind"]?.stringValue == kind }
            let byId = Dictionary(grouping: archived) { $0[idKey]?.stringValue ?? "" }
            let expected = truth.filter { $0["kind"]?.stringValue == kind }
            #expect(byId.count == expected.count, "\(kind): \(byId.count) archived, \(expected.count) in truth", sourceLocation: sourceLocation)
            for item in expected {
                let id = item[truthKey]?.stringValue ?? ""
                let entries = byId[id] ?? []
                #expect(entries.count == 1, "\(kind) \(id) archived \(entries.count) times", sourceLocation: sourceLocation)
                guard let entry = entries.first, let path = entry["path"]?.stringValue else { continue }
                #expect(entry["sha256"] == item["sha256"], "\(kind) \(id) sha256", sourceLocation: sourceLocation)
                let bytes = try DurableFiles.read(tenantDirectory + "/" + path)
                #expect(SHA256Hasher.hex(of: bytes) == item["sha256"]?.stringValue, "\(path) on disk", sourceLocation: sourceLocation)
            }
        }
        try media("recording", idKey: "recordingId", truthKey: "recordingId")
        try media("voicemail", idKey: "attachmentId", truthKey: "attachmentId")
        try media("transcription", idKey: "attachmentId", truthKey: "attachmentId")
    }

    /// Paths of every file under the tenant directory whose name marks it temporary.
    /// The holder named by the tenant's current lease file, unless it was released.
    var liveLeaseHolder: String? {
        let directory = tenantDirectory + "/.ringlog"
        guard let name = DurableFiles.list(directory).filter({ $0.hasPrefix(Lease.filePrefix) }).last,
            let json = try? JSON.parse(DurableFiles.read(directory + "/" + name)), json["released"] == nil
        else { return nil }
        return json["holder"]?.stringValue
    }

    var temporaryFiles: [String] { snapshot().keys.filter { $0.split(separator: "/").last?.hasPrefix(ArchiveNames.temporaryPrefix) == true } }
}
