import ArchiveStore
import RinglogSupport

/// What the retention and exclusion passes keep in the tenant directory, as the export reports it
/// in EXPORT.json. Both files are optional (a tenant without a policy keeps everything; without
/// rules nothing is excluded). Each is read by one small function so that the shapes can follow
/// the retention/exclusion pass's layout without touching the export.
public enum GovernanceInputs {
    public static let policyFileName = "policy.json"
    public static let exclusionsFileName = "exclusions.jsonl"

    /// `<tenant>/policy.json` as it is (an object), or nil when there is none. A file that is not a
    /// JSON object is an error naming it: an export must not claim "no policy" for a damaged one.
    public static func policy(tenantDirectory: String) throws -> JSON? {
        let path = DurableFiles.join(tenantDirectory, policyFileName)
        guard let bytes = try DurableFiles.readIfPresent(path) else { return nil }
        guard let json = try? JSON.parse(bytes), case .object = json else {
            throw ExportError.damaged(path: policyFileName, reason: "is not a JSON object")
        }
        return json
    }

    /// How many exclusion rules are in force: `<tenant>/exclusions.jsonl` replayed (`added` events
    /// minus `removed` ones, by rule id); 0 when there is no file.
    public static func exclusionRulesInForce(tenantDirectory: String) throws -> Int {
        var active = Set<String>()
        var anonymous = 0
        try DurableFiles.forEachLine(DurableFiles.join(tenantDirectory, exclusionsFileName)) { line in
            guard let event = try? JSON.parse(line) else {
                throw ExportError.damaged(path: exclusionsFileName, reason: "has a line that is not JSON")
            }
            let id = event["ruleId"]?.stringValue ?? event["id"]?.stringValue
            switch event["event"]?.stringValue {
            case "added": if let id { active.insert(id) } else { anonymous += 1 }
            case "removed": if let id { active.remove(id) }
            default: break
            }
        }
        return active.count + anonymous
    }
}
