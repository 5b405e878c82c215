import ArchiveStore
import RinglogSupport

/// `.ringlog/verify/cursor.json`: how far the current time-boxed pass got, so that a nightly
/// `verify --max-duration` covers a large archive over several nights (layout-spec §16.3).
/// Written atomically by the verify that holds `.ringlog/verify/lease.*`, after its run.
struct VerifyCursor: Sendable {
    static let fileName = "cursor.json"
    static let directoryName = "verify"

    struct Pass: Sendable {
        var startedAt: Timestamp
        var runs: Int
        /// Everything up to here is checked; nil: nothing yet.
        var position: VerifyPosition?
        var problems: Int
    }

    struct CompletedPass: Sendable {
        var startedAt: Timestamp
        var completedAt: Timestamp
        var runs: Int
        var problems: Int
    }

    var pass: Pass?
    var lastCompletedPass: CompletedPass?
    var lastRunAt: Timestamp?
    var extra = JSONObject()

    static func load(_ path: String) throws -> VerifyCursor {
        guard let bytes = try DurableFiles.readIfPresent(path) else { return VerifyCursor() }
        guard let json = try? JSON.parse(bytes), let object = json.objectValue, json["format"]?.stringValue == "ringlog-verify-cursor" else {
            throw ControlFileError(path, "not a ringlog-verify-cursor file")
        }
        guard json["layoutVersion"]?.int64Value == Int64(ArchiveNames.layoutVersion) else {
            throw ControlFileError(path, "layout version \(json["layoutVersion"]?.serialized() ?? "missing") is not v\(ArchiveNames.layoutVersion)")
        }
        func time(_ value: JSON?) -> Timestamp? { value?.stringValue.flatMap { Timestamp(iso8601: $0) } }
        var cursor = VerifyCursor()
        if let pass = json["pass"], let started = time(pass["startedAt"]) {
            cursor.pass = Pass(startedAt: started, runs: Int(pass["runs"]?.int64Value ?? 0), position: VerifyPosition(json: pass["position"]),
                               problems: Int(pass["problems"]?.int64Value ?? 0))
        }
        if let done = json["lastCompletedPass"], let started = time(done["startedAt"]), let completed = time(done["completedAt"]) {
            cursor.lastCompletedPass = CompletedPass(startedAt: started, completedAt: completed, runs: Int(done["runs"]?.int64Value ?? 0),
                                                     problems: Int(done["problems"]?.int64Value ?? 0))
        }
        cursor.lastRunAt = time(json["lastRunAt"])
        cursor.extra = JSONObject(object.members.filter { !["format", "layoutVersion", "pass", "lastCompletedPass", "lastRunAt"].contains($0.key) }
            .map { ($0.key, $0.value) })
        return cursor
    }

    var bytes: [UInt8] {
        var object = JSONObject()
        object["format"] = "ringlog-verify-cursor"
        object["layoutVersion"] = .int(ArchiveNames.layoutVersion)
        object["pass"] = pass.map { pass in
            ["startedAt": .string(pass.startedAt.iso8601), "runs": .int(pass.runs), "position": pass.position?.json ?? .null,
             "problems": .int(pass.problems)]
        } ?? .null
        object["lastCompletedPass"] = lastCompletedPass.map { done in
            ["startedAt": .string(done.startedAt.iso8601), "completedAt": .string(done.completedAt.iso8601), "runs": .int(done.runs),
             "problems": .int(done.problems)]
        } ?? .null
        object["lastRunAt"] = lastRunAt.map { .string($0.iso8601) } ?? .null
        for member in extra.members where object[member.key] == nil { object[member.key] = member.value }
        return JSON.object(object).serializedBytes(.pretty) + [0x0A]
    }
}
