import ArchiveStore
import RinglogSupport

#if canImport(Glibc)
import Glibc
#endif

/// The walk itself: month by month, item folder by item folder (day, then extension folder), one
/// listing per directory, at most one month's manifest lines in memory.
final class TreeCheck {
    typealias Unit = VerifyPosition  // (day, extensionFolder), file nil

    let store: TenantStore
    let options: VerifyOptions
    var report: VerifyReport
    /// The writer lease as it was when the run began.
    let startLease: LeaseObservation?
    let sampleSeed: UInt64
    private(set) var stopped = false
    private(set) var stoppedAt: VerifyPosition?
    private var lastCompleted: VerifyPosition?
    private var progress = VerifyProgress()
    private var lastProgress = 0.0
    private let hashing: HashPipeline
    /// Set by the first job the deadline stopped: nothing after it counts, in this collection or a
    /// later one, so the position never moves past a file that was not checked.
    private var stoppedHashing = false
    /// A live writer's files (mtime on or after its lease was taken, less this slack for clocks of a
    /// share's server) are not judged while it runs.
    static let clockSlackSeconds = 120.0

    init(store: TenantStore, options: VerifyOptions, report: VerifyReport) {
        self.store = store
        self.options = options
        self.report = report
        startLease = Lease.observe(in: store.controlDirectory, leaseSeconds: options.leaseSeconds)
        sampleSeed = options.sampleSeed ?? UInt64.random(in: 0...UInt64.max)
        if let percent = options.samplePercent {
            self.report.samplePercent = percent
            self.report.sampleSeed = sampleSeed
        }
        progress.tenantId = store.tenantId
        let deadline = options.deadline, clock = options.clock, cancellation = options.cancellation
        hashing = HashPipeline(pastDeadline: { deadline.map { clock() >= $0 } ?? false }, cancelled: { cancellation?.isCancelled == true })
    }

    /// Takes in the hashes finished so far (all of them with `waiting`): each is compared with what
    /// its sidecar or manifest line records, and the position advances past it.
    private func collectHashes(waiting: Bool = false) throws {
        for (job, outcome) in waiting ? hashing.drain() : hashing.take() {
            guard !stoppedHashing else { continue }
            switch outcome {
            case .marker: break
            case .stopped:
                stoppedHashing = true
                continue
            case .unreadable(let reason):
                add(VerifyProblem(path: job.file!.relative, kind: .unreadable, detail: reason))
            case .hashed(let sha256, let size):
                let file = job.file!
                report.hashedFiles += 1
                report.hashedBytes += size
                if sha256 != file.sha256 {
                    add(VerifyProblem(path: file.relative, kind: .sha256Mismatch,
                                      detail: "has sha256 \(sha256), but \(file.source) records \(file.sha256): its bytes changed"))
                } else if size != file.size {
                    add(VerifyProblem(path: file.relative, kind: .sizeMismatch, detail: "read \(size) bytes; \(file.source) records \(file.size)"))
                }
            }
            lastCompleted = job.position
        }
        progress.hashedBytes = hashing.hashedBytes
        if stoppedHashing { throw StopRun() }
    }

    // MARK: Reporting

    private func add(_ problem: VerifyProblem) {
        report.problems.append(problem)
        options.onProblem?(store.tenantId, problem)
    }

    /// Reports `problem` unless a re-check no longer finds it, or a writer that is live (or came and
    /// went during the re-check) may be in the middle of writing `files`.
    private func confirm(_ problem: VerifyProblem, files: [String], stillWrong: () -> Bool) {
        let before = Lease.observe(in: store.controlDirectory, leaseSeconds: options.leaseSeconds)
        guard stillWrong() else { return }
        let after = Lease.observe(in: store.controlDirectory, leaseSeconds: options.leaseSeconds)
        var active = [before, after].compactMap { $0 }.filter(\.live)
        if let after, before?.generation != after.generation { active.append(after) }
        if !active.isEmpty {
            let since = active.map { $0.acquiredAt ?? Timestamp(millisecondsSinceEpoch: 0) }.min()!.adding(seconds: -Self.clockSlackSeconds)
            for file in files {
                var info = stat()
                guard lstat(store.path(file), &info) == 0 else {
                    report.skippedConcurrent += 1
                    return
                }
                let modified = Timestamp(millisecondsSinceEpoch: Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec / 1_000_000))
                if modified >= since {
                    report.skippedConcurrent += 1
                    return
                }
            }
        }
        add(problem)
    }

    /// Stops at the deadline, but not before the run finished something (a file or a folder), so
    /// that a pass always advances; a signal stops at once.
    private func checkStop() throws {
        if options.cancellation?.isCancelled == true { throw StopRun() }
        if let deadline = options.deadline, hashing.hasCompleted, options.clock() >= deadline { throw StopRun() }
    }

    private func tick(files: Int = 0) {
        progress.files += files
        progress.hashedBytes = hashing.hashedBytes
        guard let callback = options.progress else { return }
        let now = monotonicSeconds()
        if now - lastProgress >= 0.2 {
            lastProgress = now
            callback(progress)
        }
    }

    // MARK: The walk

    func run(resumeAfter: VerifyPosition?, freshPass: Bool) throws {
        do {
            if freshPass { try checkTopLevel() }
            let resumeMonth = resumeAfter.map { String($0.day.prefix(7)) }
            for month in try months() where resumeMonth.map({ month >= $0 }) ?? true {
                progress.month = month
                try checkMonth(month, resumeAfter: resumeAfter)
            }
            try collectHashes(waiting: true)
        } catch is StopRun {
            _ = try? collectHashes(waiting: true)  // what finished before the stop still counts
            stopped = true
            stoppedAt = lastCompleted ?? resumeAfter
        } catch {
            _ = try? collectHashes(waiting: true)
            throw error
        }
    }

    /// Extension folders that are real directories (a symlink is reported at the pass's start, never followed).
    private var extensionFolders: [String] {
        get throws {
            try (DurableFiles.listing(store.directory) ?? []).filter { ArchiveReader.isExtensionFolder($0) && Self.isRealDirectory(store.path($0)) }
        }
    }

    static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Months with a day folder, a manifest shard or a tombstone shard.
    private func months() throws -> [String] {
        var months = Set<String>()
        for folder in try extensionFolders {
            for day in try DurableFiles.listing(store.path(folder)) ?? [] where ArchiveReader.isDayFolder(day) { months.insert(String(day.prefix(7))) }
        }
        for directory in [Manifest.directoryName, TenantStore.tombstoneDirectoryName] {
            for name in try DurableFiles.listing(store.path(directory)) ?? [] where name.hasSuffix(".jsonl") && Self.isMonth(String(name.dropLast(6))) {
                months.insert(String(name.dropLast(6)))
            }
        }
        return months.sorted()
    }

    static func isMonth(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 7 && bytes[4] == 0x2D && bytes.enumerated().allSatisfy { $0.offset == 4 || ($0.element >= 0x30 && $0.element <= 0x39) }
    }

    // MARK: Pass start: control files, stray files, _unfiled

    private func checkTopLevel() throws {
        do { _ = try store.marker() } catch { add(VerifyProblem(path: TenantMarker.fileName, kind: .controlFileInvalid, detail: "\(error)")) }
        do { _ = try store.loadState() } catch {
            add(VerifyProblem(path: ".ringlog/\(SyncState.fileName)", kind: .controlFileInvalid, detail: "\(error)"))
        }
        do { _ = try store.loadPending() } catch {
            add(VerifyProblem(path: ".ringlog/\(PendingQueue.fileName)", kind: .controlFileInvalid, detail: "\(error)"))
        }
        do { _ = try GovernanceInputs.policy(tenantDirectory: store.directory) } catch {
            add(VerifyProblem(path: GovernanceInputs.policyFileName, kind: .controlFileInvalid, detail: "\(error)"))
        }
        for directory in ["", TenantStore.controlDirectoryName, TenantStore.logDirectoryName, Manifest.directoryName, TenantStore.tombstoneDirectoryName] {
            for name in try DurableFiles.listing(store.path(directory)) ?? [] where name.hasPrefix(ArchiveNames.temporaryPrefix) {
                checkTemporary(DurableFiles.join(directory, name))
            }
        }
        for directory in [Manifest.directoryName, TenantStore.tombstoneDirectoryName] {
            for name in try DurableFiles.listing(store.path(directory)) ?? [] where !name.hasPrefix(".") {
                if !(name.hasSuffix(".jsonl") && Self.isMonth(String(name.dropLast(6)))) {
                    add(VerifyProblem(path: DurableFiles.join(directory, name), kind: .orphan, detail: "is not a YYYY-MM.jsonl shard"))
                }
            }
        }
        for name in try DurableFiles.listing(store.directory) ?? [] where ArchiveReader.isExtensionFolder(name) && !Self.isRealDirectory(store.path(name)) {
            add(VerifyProblem(path: name, kind: .notRegularFile, detail: "an extension folder name that is not a directory (a symlink?); not followed"))
        }
        for folder in try extensionFolders {
            for name in try DurableFiles.listing(store.path(folder)) ?? [] where !ArchiveReader.isDayFolder(name) {
                let relative = DurableFiles.join(folder, name)
                if name.hasPrefix(ArchiveNames.temporaryPrefix) { checkTemporary(relative) }
                else if !name.hasPrefix(".") { add(VerifyProblem(path: relative, kind: .orphan, detail: "is not a day folder (YYYY-MM-DD)")) }
            }
        }
        try checkUnfiled()
    }

    /// Each `_unfiled/<day>/<sha256>.json` parses and is named by the hash of its record (§6.5).
    private func checkUnfiled() throws {
        let directory = TenantWriter.unfiledDirectoryName
        for day in try DurableFiles.listing(store.path(directory)) ?? [] {
            let dayRelative = DurableFiles.join(directory, day)
            if day.hasPrefix(ArchiveNames.temporaryPrefix) { checkTemporary(dayRelative); continue }
            if day.hasPrefix(".") { continue }
            guard ArchiveReader.isDayFolder(day), DurableFiles.isDirectory(store.path(dayRelative)) else {
                add(VerifyProblem(path: dayRelative, kind: .orphan, detail: "is not a day folder (YYYY-MM-DD)"))
                continue
            }
            for name in try DurableFiles.listing(store.path(dayRelative)) ?? [] {
                let relative = DurableFiles.join(dayRelative, name)
                if name.hasPrefix(ArchiveNames.temporaryPrefix) { checkTemporary(relative); continue }
                if name.hasPrefix(".") { continue }
                try checkStop()
                let problem: String?
                if let bytes = try? DurableFiles.read(store.path(relative)), let json = try? JSON.parse(bytes) {
                    if json["format"]?.stringValue != "ringlog-unfiled" || json["layoutVersion"]?.int64Value != 1 {
                        problem = "is not a ringlog-unfiled v1 file"
                    } else if let record = json["record"], SHA256Hasher.hex(of: record.serializedBytes()) + ".json" != name {
                        problem = "is not named by the SHA-256 of its record (\(SHA256Hasher.hex(of: record.serializedBytes()))): edited or damaged"
                    } else {
                        problem = json["record"] == nil ? "has no record" : nil
                    }
                } else {
                    problem = "cannot be read as JSON"
                }
                if let problem { add(VerifyProblem(path: relative, kind: .unfiledInvalid, detail: problem)) }
            }
        }
    }

    /// A temporary file is a live writer's (its owner token is the current lease's, or it is fresh),
    /// or a leftover of a run that crashed or was fenced.
    private func checkTemporary(_ relative: String) {
        let name = DurableFiles.fileName(of: relative)
        let owner = name.dropFirst(ArchiveNames.temporaryPrefix.count).split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
        confirm(VerifyProblem(path: relative, kind: .temporaryFile,
                              detail: "a temporary file of writer \(owner.debugDescription) that no live run owns (a crashed or stopped run left it; the next sync or reindex removes it)"),
                files: [relative]) {
            guard DurableFiles.exists(store.path(relative)) else { return false }
            if let current = Lease.observe(in: store.controlDirectory, leaseSeconds: options.leaseSeconds), current.live, current.token == owner {
                return false
            }
            // Writers outside the tenant lease (tenant add, a lease renewal) finish within seconds.
            var info = stat()
            return lstat(store.path(relative), &info) == 0 && Double(time(nil) - info.st_mtim.tv_sec) > Self.clockSlackSeconds
        }
    }

    // MARK: One month

    /// A manifest line as read: its text, parsed only when needed, and its line number.
    typealias RecordedLine = (raw: String, line: ManifestLine?, number: Int)

    /// The `path` of a line ringlog serialised (`{"kind":"…","path":"…",`), without parsing it; nil for
    /// any other shape (then the line is parsed in full).
    static func fastPath(_ bytes: ArraySlice<UInt8>) -> String? {
        let marker: [UInt8] = Array(#","path":""#.utf8)
        guard bytes.first == UInt8(ascii: "{") else { return nil }
        var start: Int?
        var index = bytes.startIndex
        let limit = bytes.endIndex - marker.count
        search: while index <= limit {
            if bytes[index] == marker[0] {
                var offset = 1
                while offset < marker.count && bytes[index + offset] == marker[offset] { offset += 1 }
                if offset == marker.count {
                    start = index + marker.count
                    break search
                }
            }
            index += 1
        }
        guard let start else { return nil }
        guard let end = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
            bytes[end] == UInt8(ascii: "\"")
        else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private struct MonthLines {
        var manifest: [Unit: [RecordedLine]] = [:]
        var tombstones: [Unit: [String: Tombstone]] = [:]
    }

    private func unit(of path: String, month: String) -> Unit? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, ArchiveReader.isExtensionFolder(parts[0]), ArchiveReader.isDayFolder(parts[1]), parts[1].hasPrefix(month + "-"),
            !parts[2].isEmpty
        else { return nil }
        return Unit(day: parts[1], extensionFolder: parts[0], file: nil)
    }

    private func loadMonth(_ month: String, reportProblems: Bool) throws -> MonthLines {
        var lines = MonthLines()
        let manifestPath = DurableFiles.join(Manifest.directoryName, "\(month).jsonl")
        var number = 0
        try DurableFiles.forEachLine(store.path(manifestPath)) { bytes in
            number += 1
            // Most lines are byte-identical to a line a sidecar implies, which proves them well-formed:
            // only their path is needed now, and a full parse waits until a line is not implied.
            if let path = Self.fastPath(bytes), let unit = unit(of: path, month: month) {
                if reportProblems { report.manifestLines += 1 }
                lines.manifest[unit, default: []].append((String(decoding: bytes, as: UTF8.self), nil, number))
                return
            }
            guard let json = try? JSON.parse(bytes), let line = ManifestLine(json: json) else {
                if reportProblems {
                    add(VerifyProblem(path: manifestPath, kind: .shardLineInvalid,
                                      detail: "line \(number) is not a manifest line: \(String(decoding: bytes.prefix(120), as: UTF8.self).debugDescription)"))
                }
                return
            }
            guard let unit = unit(of: line.path, month: month) else {
                if reportProblems {
                    add(VerifyProblem(path: manifestPath, kind: .shardLineInvalid, detail: "line \(number): path \(line.path.debugDescription) is not an item path of \(month)"))
                }
                return
            }
            if reportProblems { report.manifestLines += 1 }
            lines.manifest[unit, default: []].append((String(decoding: bytes, as: UTF8.self), line, number))
        }
        let tombstonePath = DurableFiles.join(TenantStore.tombstoneDirectoryName, "\(month).jsonl")
        number = 0
        try DurableFiles.forEachLine(store.path(tombstonePath)) { bytes in
            number += 1
            guard let json = try? JSON.parse(bytes), let tombstone = Tombstone(json: json), let unit = unit(of: tombstone.path, month: month) else {
                if reportProblems {
                    add(VerifyProblem(path: tombstonePath, kind: .shardLineInvalid, detail: "line \(number) is not a tombstone of \(month)"))
                }
                return
            }
            if reportProblems { report.tombstones += 1 }
            lines.tombstones[unit, default: [:]][tombstone.path] = tombstone
        }
        return lines
    }

    private func checkMonth(_ month: String, resumeAfter: VerifyPosition?) throws {
        let enteredMidMonth = resumeAfter.map { $0.day.hasPrefix(month + "-") } ?? false
        let lines = try loadMonth(month, reportProblems: !enteredMidMonth)
        var units = Set<Unit>(lines.manifest.keys).union(lines.tombstones.keys)
        for folder in try extensionFolders {
            for day in try DurableFiles.listing(store.path(folder)) ?? [] where ArchiveReader.isDayFolder(day) && day.hasPrefix(month + "-") {
                units.insert(Unit(day: day, extensionFolder: folder, file: nil))
            }
        }
        for unit in units.sorted() {
            var resumeFile: String?
            if let resumeAfter, resumeAfter.day == unit.day, resumeAfter.extensionFolder == unit.extensionFolder {
                guard let file = resumeAfter.file else { continue }  // that folder was complete
                resumeFile = file
            } else if let resumeAfter, unit < resumeAfter {
                continue
            }
            try checkUnit(unit, manifest: lines.manifest[unit] ?? [], tombstones: lines.tombstones[unit] ?? [:], resumeAfterFile: resumeFile)
            hashing.submit(HashPipeline.Job(position: unit, file: nil))
            try collectHashes()
        }
    }

    // MARK: One item folder

    /// Whether a tombstone names `path`: the month's shard as loaded, then (`reread`, before a
    /// finding is reported) the shard as it is now.
    private func isTombstoned(_ path: String, _ tombstones: [String: Tombstone], reread: Bool = false) -> Bool {
        if tombstones[path] != nil { return true }
        guard reread else { return false }
        // A purge appends the tombstone before it removes the file: read the shard again before judging.
        let parts = path.split(separator: "/")
        guard parts.count >= 2, ArchiveReader.isDayFolder(String(parts[1])) else { return false }
        let month = String(parts[1].prefix(7))
        var found = false
        try? store.forEachTombstone(month: month) { if $0.path == path { found = true } }
        return found
    }

    private func checkUnit(_ unit: Unit, manifest: [RecordedLine], tombstones: [String: Tombstone],
                           resumeAfterFile: String?) throws {
        try checkStop()
        let dayRelative = DurableFiles.join(unit.extensionFolder, unit.day)
        var names: [String] = []
        var info = stat()
        if lstat(store.path(dayRelative), &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                add(VerifyProblem(path: dayRelative, kind: .notRegularFile, detail: "is not a directory"))
                return
            }
            do { names = try DurableFiles.listing(store.path(dayRelative)) ?? [] } catch {
                add(VerifyProblem(path: dayRelative, kind: .unreadable, detail: "\(error)"))
                return
            }
        }
        let present = Set(names)

        // Sidecars: parse, place, and collect what they reference and the manifest lines they imply.
        var referenced: [String: (sidecar: String, media: MediaEntry)] = [:]
        var derived = Set<String>()
        var parsedSidecars = Set<String>()
        for name in names where ItemFileName(name)?.isSidecar == true {
            let relative = DurableFiles.join(dayRelative, name)
            report.sidecars += 1
            tick(files: 1)
            guard lstat(store.path(relative), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                add(VerifyProblem(path: relative, kind: .notRegularFile, detail: "a sidecar name that is not a regular file"))
                continue
            }
            if isTombstoned(relative, tombstones) {
                confirm(VerifyProblem(path: relative, kind: .tombstonedPresent, detail: tombstoneDetail(tombstones[relative])), files: [relative]) {
                    DurableFiles.exists(store.path(relative)) && stillTombstonedLeaseAllowing(tombstones[relative])
                }
                continue
            }
            let sidecar: Sidecar
            do {
                guard let loaded = try store.loadSidecar(relative) else { continue }  // removed meanwhile: the manifest check below judges
                sidecar = loaded
            } catch let error as SidecarError {
                add(VerifyProblem(path: relative, kind: .sidecarInvalid, detail: error.reason))
                continue
            }  // out of descriptors or memory: verify fails, it does not call the sidecar invalid
            parsedSidecars.insert(relative)
            let day = ArchiveReader.DayFolder(extensionFolder: unit.extensionFolder, day: unit.day, names: [])
            if let problem = SidecarPlacement.problem(sidecar, fileName: name, in: day, tenantId: store.tenantId) {
                add(VerifyProblem(path: relative, kind: .sidecarMisplaced, detail: problem))
            }
            for media in sidecar.media where !media.file.contains("/") && media.file != "." && media.file != ".." && !media.file.isEmpty {
                referenced[media.file] = (relative, media)
            }
            for line in Manifest.lines(for: sidecar, at: relative) { derived.insert(line.serialized()) }
        }

        // The manifest against the sidecars.
        let recorded = Set(manifest.map(\.raw))
        var missingLines: [String: Int] = [:]
        for line in derived where !recorded.contains(line) {
            if let path = (try? JSON.parse(line))?["path"]?.stringValue { missingLines[path, default: 0] += 1 }
        }
        for (path, count) in missingLines.sorted(by: { $0.key < $1.key }) {
            let sidecarPath = referencedSidecar(of: path, referenced) ?? path
            confirm(VerifyProblem(path: path, kind: .manifestLineMissing,
                                  detail: "\(count) line\(count == 1 ? "" : "s") its sidecar implies \(count == 1 ? "is" : "are") not in manifest/\(unit.day.prefix(7)).jsonl (`ringlog reindex` rebuilds it)"),
                    files: [sidecarPath]) {
                let current = (try? Manifest.currentLines(tenantDirectory: store.directory, month: String(unit.day.prefix(7)))) ?? []
                return derived.contains { line in (try? JSON.parse(line))?["path"]?.stringValue == path && !current.contains(line) }
            }
        }
        var unexplained: [String: [ManifestLine]] = [:]
        var manifestOnlyMedia: [String: ManifestLine] = [:]
        for (raw, parsed, number) in manifest where !derived.contains(raw) {
            guard let line = parsed ?? (try? JSON.parse(Array(raw.utf8))).flatMap(ManifestLine.init(json:)) else {
                add(VerifyProblem(path: DurableFiles.join(Manifest.directoryName, "\(unit.day.prefix(7)).jsonl"), kind: .shardLineInvalid,
                                  detail: "line \(number) is not a manifest line: \(String(raw.prefix(120)).debugDescription)"))
                continue
            }
            guard !isTombstoned(line.path, tombstones) else { continue }
            unexplained[line.path, default: []].append(line)
        }
        for (path, lines) in unexplained.sorted(by: { $0.key < $1.key }) {
            let name = DurableFiles.fileName(of: path)
            let first = lines[0]
            let what = "\(first.kind.rawValue) \(first.callId ?? first.messageId ?? "")\(first.mediaId.map { " media \($0)" } ?? "")"
            if !present.contains(name) {
                confirm(VerifyProblem(path: path, kind: .missing, detail: "listed in manifest/\(unit.day.prefix(7)).jsonl (\(what)) but not in the tree"),
                        files: []) {
                    !DurableFiles.exists(store.path(path)) && !isTombstoned(path, tombstones, reread: true)
                }
            } else if first.isMedia {
                if let reference = referenced[name] {
                    add(VerifyProblem(path: path, kind: .manifestLineUnexplained,
                                      detail: "the manifest records it (sha256 \(first.sha256 ?? "?"), \(first.size ?? -1) bytes) unlike its sidecar \(reference.sidecar) (sha256 \(reference.media.sha256), \(reference.media.size) bytes)"))
                } else {
                    manifestOnlyMedia[name] = first
                    add(VerifyProblem(path: path, kind: .manifestLineUnexplained, detail: "the manifest lists it (\(what)) but no sidecar does"))
                }
            } else if parsedSidecars.contains(path) {
                add(VerifyProblem(path: path, kind: .manifestLineUnexplained,
                                  detail: "\(lines.count) manifest line\(lines.count == 1 ? "" : "s") (revision \(lines.compactMap(\.revision).map(String.init).joined(separator: ", "))) the sidecar does not imply: it lost a revision, or the line was edited"))
            }
        }

        // Every file of the folder.
        for name in names {
            let relative = DurableFiles.join(dayRelative, name)
            if name.hasPrefix(ArchiveNames.temporaryPrefix) { checkTemporary(relative); continue }
            if name.hasPrefix(".") || ItemFileName(name)?.isSidecar == true { continue }
            if isTombstoned(relative, tombstones) {
                confirm(VerifyProblem(path: relative, kind: .tombstonedPresent, detail: tombstoneDetail(tombstones[relative])), files: [relative]) {
                    DurableFiles.exists(store.path(relative)) && stillTombstonedLeaseAllowing(tombstones[relative])
                }
                continue
            }
            let expected: (sha256: String, size: Int64, source: String)
            if let reference = referenced[name] {
                expected = (reference.media.sha256, reference.media.size, "its sidecar \(reference.sidecar)")
            } else if let line = manifestOnlyMedia[name], let sha = line.sha256, let size = line.size {
                expected = (sha, size, "the manifest")
            } else {
                // A name that is not UTF-8 reads with U+FFFD in place of its bytes and cannot be looked
                // up again by it: it is reported as it was listed.
                let undecodable = name.contains("\u{FFFD}") && !DurableFiles.exists(store.path(relative))
                confirm(VerifyProblem(path: relative, kind: .orphan, detail: undecodable ? "its name is not valid UTF-8 (shown with U+FFFD)" : orphanDetail(name)),
                        files: undecodable ? [] : [relative]) {
                    undecodable || (DurableFiles.exists(store.path(relative)) && !referencedNow(name, in: dayRelative))
                }
                continue
            }
            report.mediaFiles += 1
            guard lstat(store.path(relative), &info) == 0 else { continue }  // gone since the listing: judged as missing below next time
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                add(VerifyProblem(path: relative, kind: .notRegularFile, detail: "is not a regular file (a symlink or a device?); \(expected.source) lists it"))
                continue
            }
            if Int64(info.st_size) != expected.size {
                add(VerifyProblem(path: relative, kind: .sizeMismatch, detail: "has \(info.st_size) bytes; \(expected.source) records \(expected.size)"))
                markDone(unit, name)
                continue
            }
            if let resumeAfterFile, !resumeAfterFile.utf8.lexicographicallyPrecedes(name.utf8) {
                continue  // hashed by an earlier run of this pass
            }
            guard isSampled(relative) else {
                report.notSampled += 1
                markDone(unit, name)
                continue
            }
            try checkStop()
            hashing.submit(HashPipeline.Job(position: VerifyPosition(day: unit.day, extensionFolder: unit.extensionFolder, file: name),
                                            file: (store.path(relative), relative, expected.sha256, expected.size, expected.source)))
            tick()
        }

        // What the sidecars list that is not there.
        for (file, reference) in referenced.sorted(by: { $0.key < $1.key }) where !present.contains(file) {
            let path = DurableFiles.join(dayRelative, file)
            guard !isTombstoned(path, tombstones) else { continue }
            confirm(VerifyProblem(path: path, kind: .missing,
                                  detail: "listed by its sidecar \(reference.sidecar) (\(reference.media.kind.rawValue) \(reference.media.id), \(reference.media.size) bytes) but not in the tree"),
                    files: [reference.sidecar]) {
                !DurableFiles.exists(store.path(path)) && !isTombstoned(path, tombstones, reread: true)
            }
        }
    }

    /// The position advances past `name` once everything submitted before it is done.
    private func markDone(_ unit: Unit, _ name: String) {
        hashing.submit(HashPipeline.Job(position: VerifyPosition(day: unit.day, extensionFolder: unit.extensionFolder, file: name), file: nil))
    }

    private func referencedSidecar(of path: String, _ referenced: [String: (sidecar: String, media: MediaEntry)]) -> String? {
        referenced[DurableFiles.fileName(of: path)]?.sidecar
    }

    /// Re-reads the folder's sidecars: does one list `name` now (a sync wrote it since)?
    private func referencedNow(_ name: String, in dayRelative: String) -> Bool {
        for sidecarName in (try? DurableFiles.listing(store.path(dayRelative))) ?? [] where ItemFileName(sidecarName)?.isSidecar == true {
            if let sidecar = try? store.loadSidecar(DurableFiles.join(dayRelative, sidecarName)), sidecar.media.contains(where: { $0.file == name }) {
                return true
            }
        }
        return false
    }

    /// A tombstoned file still present is an unfinished removal; while a writer that took its lease
    /// before the tombstone was written is live (the purge itself), it is not judged.
    private func stillTombstonedLeaseAllowing(_ tombstone: Tombstone?) -> Bool {
        guard let current = Lease.observe(in: store.controlDirectory, leaseSeconds: options.leaseSeconds), current.live else { return true }
        guard let tombstone, let acquired = current.acquiredAt else { return false }
        return tombstone.removedAt < acquired.adding(seconds: -Self.clockSlackSeconds)
    }

    private func tombstoneDetail(_ tombstone: Tombstone?) -> String {
        let why = tombstone.map { "a tombstone (\($0.reason.rawValue), rule \($0.rule.debugDescription), \($0.removedAt.iso8601Seconds))" } ?? "a tombstone"
        return "\(why) says it was removed, yet it is in the tree (an interrupted purge? the next purge finishes it)"
    }

    private func orphanDetail(_ name: String) -> String {
        switch ItemFileName(name) {
        case .some: "no sidecar and no manifest line lists it (a sync that stopped before writing its sidecar leaves this; the next sync adopts it)"
        case .none: "is not an item file name of the layout (§4.4)"
        }
    }

    /// The sample: a keyed hash of the path (FNV-1a 64 over the seed and the path) below the share.
    private func isSampled(_ relative: String) -> Bool {
        guard let percent = options.samplePercent, percent < 100 else { return true }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var seed = sampleSeed
        for _ in 0..<8 {
            hash = (hash ^ (seed & 0xFF)) &* 0x100_0000_01b3
            seed >>= 8
        }
        for byte in relative.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Double(hash % 1_000_000) < percent * 10_000
    }
}
