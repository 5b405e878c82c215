import ArchiveExport
import ArchiveStore
import Foundation
import RinglogSupport
import RinglogTestSupport
import Testing

/// The real `ringlog export` and `ringlog verify` binaries: exit codes, standard output, signals,
/// a file-size limit. Shell redirections carry binary output (runRinglog decodes text).
@Suite struct CommandTests {
    let ringlog = LiveSimulator.executablePath("ringlog")

    func shell(_ script: String) async throws -> (status: Int32, output: String, error: String) {
        try await blocking {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script]
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }
    }

    func temporaries(_ directory: String) -> [String] { DurableFiles.list(directory).filter { $0.hasPrefix(".ringlog-tmp.") } }

    @Test func standardOutputCarriesTheSameBytesAsAFile() async throws {
        let tree = try TreeFixture.standard()
        let base = "'\(ringlog)' export --root '\(tree.root.path)' --tenant \(tree.tenantId) --period 2026-11"
        let out = tree.scratch.path
        let toFile = try await shell("\(base) -o '\(out)/file.tar.zst'")
        #expect(toFile.status == 0, "\(toFile.error)")
        #expect(toFile.error.contains("13 files"), "\(toFile.error)")
        let toPipe = try await shell("\(base) --format tar.zst -o - | cat > '\(out)/pipe.tar.zst'")
        #expect(toPipe.status == 0, "\(toPipe.error)")
        #expect(try DurableFiles.read(out + "/file.tar.zst") == DurableFiles.read(out + "/pipe.tar.zst"))
        let plain = try await shell("\(base) -o - > '\(out)/plain'")
        #expect(plain.status == 0)
        #expect(try #require(try runTool("tar", ["-tf", out + "/plain"])).status == 0, "-o - defaults to plain tar")
    }

    @Test func exportExitStatuses() async throws {
        let tree = try TreeFixture.standard()
        let base = "'\(ringlog)' export --root '\(tree.root.path)' --tenant \(tree.tenantId)"
        let out = tree.scratch.path
        #expect(try await shell("\(base) --period 2026-11 -o '\(out)/a.tar'").status == 0)
        let exists = try await shell("\(base) --period 2026-11 -o '\(out)/a.tar'")
        #expect(exists.status == 2 && exists.error.contains("--force"), "\(exists)")
        #expect(try await shell("\(base) --period 2026-11 -o '\(out)/a.tar' --force").status == 0)
        let unknownSuffix = try await shell("\(base) --period 2026-11 -o '\(out)/a.zip'")
        #expect(unknownSuffix.status == 2 && unknownSuffix.error.contains("--format"))
        let mismatch = try await shell("\(base) --period 2026-11 --format tar -o '\(out)/b.tar.gz'")
        #expect(mismatch.status == 2)
        #expect(try await shell("\(base) --period 2026-1 -o '\(out)/c.tar'").status == 2)
        #expect(try await shell("\(base) -o '\(out)/c.tar'").status == 64, "a period is required")
        #expect(try await shell("'\(ringlog)' export --root '\(tree.root.path)' --tenant 0000000000000000 --period 2026-11 -o '\(out)/d.tar'").status == 2)
        let recording = try #require(tree.files.first { $0.hasSuffix(".mp3") && $0.contains("2026-11-06") })
        try tree.flipBytes(recording)
        let damaged = try await shell("\(base) --period 2026-11 -o '\(out)/e.tar.gz'")
        #expect(damaged.status == 6, "\(damaged)")
        #expect(damaged.error.contains(recording))
        #expect(!DurableFiles.exists(out + "/e.tar.gz") && temporaries(out).isEmpty)
    }

    @Test func aFullDiskFailsTheExportAndRemovesItsTemporaryFile() async throws {
        let tree = try TreeFixture()
        for day in 1...4 { try tree.addCall("big\(day)", start: "2026-11-0\(day)T10:00:00Z", recordings: 2, size: 300_000) }
        let out = tree.scratch.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // ulimit -f: writes past 1 MB fail (EFBIG), as on a disk that filled up.
        let result = try await shell("ulimit -f 1024; exec '\(ringlog)' export --root '\(tree.root.path)' --tenant \(tree.tenantId) "
                                     + "--period 2026-11 -o '\(out)/full.tar'")
        #expect(result.status == 1, "\(result)")
        #expect(result.error.contains("\(out)/full.tar"), "the message names the file: \(result.error)")
        #expect(DurableFiles.list(out).isEmpty, "left behind: \(DurableFiles.list(out))")
    }

    @Test func aKilledExportLeavesNoFileAndAnInterruptedOneNothingAtAll() async throws {
        let tree = try TreeFixture()
        for day in 1...8 { try tree.addCall("big\(day)", start: "2026-11-0\(day)T10:00:00Z", recordings: 4, size: 2_000_000) }
        let out = tree.scratch.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (signal, expected) in [(SIGKILL, Int32(-1)), (SIGTERM, Int32(143))] {
            var caughtMidway = false
            // On a loaded machine the export may finish before the signal lands: then try again.
            for _ in 0..<3 where !caughtMidway {
                unlink(out + "/e.tar.gz")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: ringlog)
                process.arguments = ["export", "--root", tree.root.path, "--tenant", tree.tenantId, "--period", "2026-11", "-o", out + "/e.tar.gz"]
                process.standardError = FileHandle.nullDevice
                try process.run()
                let pid = process.processIdentifier
                // Freeze it as soon as its temporary file is there, so the signal surely lands mid-export.
                _ = try await blocking { () -> Bool in
                    let deadline = monotonicSeconds() + 30
                    while monotonicSeconds() < deadline {
                        if DurableFiles.list(out).contains(where: { $0.hasPrefix(".ringlog-tmp.export.") }) {
                            kill(pid, SIGSTOP)
                            return true
                        }
                        usleep(500)
                    }
                    return false
                }
                kill(pid, signal)
                kill(pid, SIGCONT)
                try await blocking { process.waitUntilExit() }
                if process.terminationStatus == 0 && process.terminationReason == .exit { continue }
                caughtMidway = true
                #expect(!DurableFiles.exists(out + "/e.tar.gz"), "a partial tarball under the final name")
                if expected > 0 {
                    #expect(process.terminationStatus == expected)
                    #expect(temporaries(out).isEmpty, "SIGTERM removes the temporary file")
                } else {
                    #expect(temporaries(out).count == 1, "kill -9 leaves only the temporary file (removable)")
                    for name in temporaries(out) { unlink(out + "/" + name) }
                }
            }
            #expect(caughtMidway, "the export always finished before signal \(signal) arrived")
        }
    }

    @Test func verifyExitStatusesLogAndJSON() async throws {
        let tree = try TreeFixture.standard()
        let base = "'\(ringlog)' verify --root '\(tree.root.path)'"
        let clean = try await shell("\(base) --tenant \(tree.tenantId)")
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.output.contains("clean"))
        let audio = try #require(tree.files.first { $0.hasSuffix(".wav") })
        unlink(tree.path(audio))
        let damaged = try await shell("\(base) --all --json")
        #expect(damaged.status == 6, "\(damaged)")
        let reports = try #require(try JSON.parse(damaged.output).arrayValue)
        #expect(reports.count == 1 && reports[0]["status"] == "damaged")
        #expect(reports[0]["problems"]?[0]?["path"]?.stringValue == audio && reports[0]["problems"]?[0]?["problem"] == "missing")
        let text = try await shell(base)
        #expect(text.status == 6 && text.output.contains("missing  \(audio)"), "\(text.output)")
        let log = String(decoding: try DurableFiles.read(tree.path("logs/verify.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 3)
        #expect(try await shell("\(base) --tenant 0000000000000000").status == 1, "an unknown tenant: could not run")
        #expect(try await shell("'\(ringlog)' verify --root '\(tree.scratch.path)/nowhere'").status == 1)
        #expect(try await shell("\(base) --sample 0").status == 64)
        let timed = try await shell("\(base) --max-duration 60 --sample 50 --json")
        #expect(timed.status == 6)
        let report = try #require(try JSON.parse(timed.output)[0])
        #expect(report["coverage"]?["timeBoxed"] == .bool(true) && report["coverage"]?["passComplete"] == .bool(true))
        #expect(report["sample"]?["percent"]?.int64Value == 50)
    }
}
