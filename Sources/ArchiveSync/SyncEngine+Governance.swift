import ArchiveStore
import RingCentral
import RinglogSupport

/// What sync must not write: excluded numbers and items a retention or exclusion pass removed.
/// Asked first for every call, voicemail and media file, before any temporary file, sidecar, media
/// or log line; an excluded item leaves no trace but the run's count ("excluded N", no number).
extension SyncEngine {
    /// Loads the tenant's exclusion rules (with their key) and tombstone index. A damaged
    /// `exclusions.jsonl` or a missing key stops the run (exit 2) rather than archive what a rule forbids.
    func loadGovernance() throws {
        let keyPath = ExclusionKeyFile.path(tenantId: tenant.tenantId, secretsDirectory: options.secretsDirectory ?? "/nonexistent-ringlog-secrets")
        let key = options.secretsDirectory == nil ? nil : try ExclusionKeyFile.load(keyPath)
        governance = try TenantGovernance.load(store: store, marker: tenant, key: key, keyPath: keyPath)
    }

    /// False when the call must not reach the disk: an exclusion rule matches a number in it, or a pass removed it.
    func admitsCall(_ record: CallLogRecord) throws -> Bool {
        guard let governance else { return true }
        if governance.exclusion(of: .object(record.raw), extensionFolder: try? extensionFolder(record.extensionId)) != nil {
            countSkipped("excluded", key: "call:" + record.id)
            return false
        }
        if let id = try? ArchiveNames.callId(record.id), try governance.isRemoved(kind: .call, id: id, start: record.startTime) {
            countSkipped("tombstoned", key: "call:" + id)
            return false
        }
        return true
    }

    /// False when the voicemail must not reach the disk.
    func admitsMessage(_ message: MessageRecord, ext: ExtensionInfo) throws -> Bool {
        guard let governance else { return true }
        if governance.exclusion(of: .object(message.raw), extensionFolder: try? extensionFolder(ext.id)) != nil {
            countSkipped("excluded", key: "message:" + message.id)
            return false
        }
        if message.creationTime.millisecondsSinceEpoch != 0, try governance.isRemoved(kind: .message, id: message.id, start: message.creationTime) {
            countSkipped("tombstoned", key: "message:" + message.id)
            return false
        }
        return true
    }

    /// A record that could not be decoded is kept under `_unfiled/`, unless it carries an excluded number.
    func admitsRejected(_ raw: JSON) -> Bool {
        guard let governance, governance.exclusion(of: raw, extensionFolder: nil) != nil else { return true }
        countSkipped("excluded", key: "unfiled:" + SHA256Hasher.hex(of: raw.serializedBytes()))
        return false
    }

    /// True when a pass removed the sidecar a pending download was for: the entry leaves the queue
    /// (no error; counted as "not archived again").
    func pendingSidecarWasRemoved(_ item: PendingItem) throws -> Bool {
        guard let governance, try governance.isRemoved(path: item.sidecar, start: item.startTime) else { return false }
        removePending(item.key)
        countSkipped("tombstoned", key: item.key)
        return true
    }

    /// True when a pass removed this media file: it is not fetched again (and leaves the pending queue).
    func mediaWasRemoved(_ task: MediaTask) throws -> Bool {
        guard let governance else { return false }
        // Media kinds and their manifest (and tombstone) kinds share their names.
        guard let kind = ManifestLine.Kind(rawValue: task.kind.rawValue) else { return false }
        guard try governance.isRemoved(kind: kind, id: task.mediaId, start: task.startTime) else { return false }
        removePending(task.key)
        countSkipped("tombstoned", key: task.key)
        return true
    }

    /// The country of the account's main number, kept in tenant.json as the default for national
    /// numbers in exclusion rules (`tenant set --country` overrides it).
    func accountCountry(_ account: AccountInfo) -> String? {
        if let iso = account.raw["regionalSettings"]?["homeCountry"]?["isoCode"]?.stringValue, PhoneNumbers.country(iso) != nil { return iso.uppercased() }
        guard let main = account.raw["mainNumber"]?.stringValue, let number = PhoneNumbers.normalize(main, country: PhoneNumbers.defaultCountry).e164 else { return nil }
        return PhoneNumbers.country(ofE164: number)?.iso
    }

    func countSkipped(_ counter: String, key: String) {
        // The same item can arrive twice in one run (FSync and the list overlap): count it once.
        if governanceSkipped.insert(counter + "|" + key).inserted { report.count(counter) }
    }
}
