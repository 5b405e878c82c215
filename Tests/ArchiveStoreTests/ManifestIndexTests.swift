@testable import ArchiveStore
import RinglogSupport
import Testing

/// A shard's index reads each line through `IndexedLine`, which checks and reads a line as ringlog
/// writes it in one pass and leaves any other to `JSON.parse`: whatever the line, it must index what
/// `JSON.parse(line)` and `json[name]?.stringValue` give (nothing for a line that is not JSON).
@Suite struct ManifestIndexTests {
    static func reference(_ line: String) -> [String?]? {
        guard let json = try? JSON.parse(line) else { return nil }
        let kind = json["kind"]?.stringValue
        guard let kind, ["call", "message", "recording", "messageLink"].contains(kind) else { return [kind, nil, nil, nil, nil] }
        return [kind] + ["path", "callId", "messageId", "recordingId"].map { json[$0]?.stringValue }
    }

    static func indexed(_ line: String) -> [String?]? {
        var scratch: [Range<Int>] = []
        guard let indexed = IndexedLine(ArraySlice(Array(line.utf8)), scratch: &scratch) else { return nil }
        return [indexed.kind, indexed.path, indexed.callId, indexed.messageId, indexed.recordingId]
    }

    static let call = #"{"kind":"call","path":"101/2026-11-20/20261120T190918Z_call.8lbky0pgjnqdupp.43c0.json","callId":"8lbkY0PGJnqDUPP","extensionId":"400131045349","startTime":"2026-11-20T19:09:18.123Z","revision":1,"lastModifiedTime":null,"archivedAt":"2026-12-02T06:31:34.503Z"}"#

    static let lines: [String] = [
        call,
        #"{"kind":"recording","path":"101/2026-11-20/20261120T190918Z_1662271937.wav","callId":"8lbkY0PGJnqDUPP","extensionId":"400131045349","recordingId":"1662271937","startTime":"2026-11-20T19:09:18.123Z","sha256":"ab","size":1234,"contentType":"audio/wav","archivedAt":"2026-12-02T06:31:34.503Z"}"#,
        #"{"kind":"message","path":"101/x.json","messageId":"9007199254764287","extensionId":"1","revision":2,"lastModifiedTime":"t"}"#,
        #"{"kind":"messageLink","path":"101/y.json","callId":"A","messageId":"9"}"#,
        #"{"kind":"text","path":"101/z.txt","messageId":"9","attachmentId":"9","size":33}"#,
        #"  {"kind" : "call" , "path":"p","callId":"c"}  "#,  // spaces around the grammar
        #"{"path":"p","callId":"c","kind":"call"}"#,  // another order
        #"{"kind":"call","path":"p","callId":"c","callId":"d"}"#,  // a duplicate: not JSON to JSON.parse
        #"{"kind":"call","path":"p","callId":"c","startTime":"s","startTime":"s"}"#,  // a duplicate among the others
        #"{"kind":"call","path":"p\/q","callId":"c"}"#,  // an escape
        #"{"kind":"call","path":"p\u0041","callId":"c"}"#,
        #"{"kind":"call","path":"p\","callId":"c"}"#,  // an escape that ends nowhere
        "{\"kind\":\"call\",\"path\":\"pé\",\"callId\":\"c\"}",  // not ASCII
        "{\"kind\":\"call\",\"path\":\"p\",\"callId\":\"c\"\t}",  // a tab
        "{\"kind\":\"call\",\"path\":\"p\u{7F}\",\"callId\":\"c\"}",
        #"{"kind":"call","path":"p","callId":"c","revision":01}"#,  // numbers
        #"{"kind":"call","path":"p","callId":"c","revision":-0.5e+3}"#,
        #"{"kind":"call","path":"p","callId":"c","revision":1.}"#,
        #"{"kind":"call","path":"p","callId":"c","revision":-}"#,
        #"{"kind":"call","path":"p","callId":"c","revision":1e}"#,
        #"{"kind":"call","path":"p","callId":"c","revision":+1}"#,
        #"{"kind":"call","path":"p","callId":"c","ok":true,"no":false,"none":null}"#,  // literals
        #"{"kind":"call","path":"p","callId":"c","ok":tru}"#,
        #"{"kind":"call","path":"p","callId":"c","ok":nul}"#,
        #"{"kind":"call","path":"p","callId":"c","nested":{"a":1}}"#,  // nesting
        #"{"kind":"call","path":"p","callId":["c"]}"#,
        #"{"kind":"call","path":7,"callId":"c"}"#,  // a path that is not a string
        #"{"kind":7,"path":"p","callId":"c"}"#,
        #"{"kind":"call","path":"p","callId":"c"}x"#,  // trailing bytes
        #"{"kind":"call","path":"p","callId":"c",}"#,
        #"{"kind":"call","path":"p","callId":"c""#,  // torn
        #"{"kind":"call","path":"p","callId""#,
        #"{"kind":"call""path":"p"}"#,
        #"{}"#,
        #"[]"#,
        #""kind""#,
        "",
    ]

    @Test(arguments: lines) func aLineIndexesWhatJSONParseReadsInIt(line: String) {
        let expected = Self.reference(line), actual = Self.indexed(line)
        #expect(actual?.map { $0 ?? "<nil>" } == expected?.map { $0 ?? "<nil>" }, "\(line)")
    }

    /// Every cut of a real line, and every byte of it replaced by each interesting byte.
    @Test func everyCutAndByteOfARealLineIndexesWhatJSONParseReads() {
        let bytes = Array(Self.call.utf8)
        var variants: [[UInt8]] = (0...bytes.count).map { Array(bytes[..<$0]) }
        for index in bytes.indices {
            for replacement in Array(#"{}[]":,\ 0-.eE+tn"#.utf8) + [0x09, 0x7F, 0xC3] {
                var changed = bytes
                changed[index] = replacement
                variants.append(changed)
            }
        }
        for variant in variants {
            let line = String(decoding: variant, as: UTF8.self)
            guard Array(line.utf8) == variant else { continue }  // not UTF-8: JSON.parse(String) would see other bytes
            let expected = Self.reference(line), actual = Self.indexed(line)
            #expect(actual?.map { $0 ?? "<nil>" } == expected?.map { $0 ?? "<nil>" }, "\(line)")
        }
    }
}

/// The loaded shard's tables (paths packed, `Manifest.Shard`): what a shard read back from disk
/// answers equals what the run that wrote it recorded, including a message linked by several calls.
@Suite struct ManifestShardTests {
    @Test func aShardLoadedFromDiskAnswersAsTheOneThatWasRecorded() throws {
        let fixture = try TenantFixture()
        let manifest = Manifest(tenantDirectory: fixture.store.directory)
        let start = Timestamp(iso8601: "2026-11-17T10:09:09.733Z")!
        // Lines as `record` writes them; three calls link message 9, one of them twice.
        var lines: [String] = []
        for index in 0..<50 {
            lines.append(#"{"kind":"call","path":"101/2026-11-17/c\#(index).json","callId":"C\#(index)","startTime":"2026-11-17T10:09:09.733Z"}"#)
            lines.append(#"{"kind":"recording","path":"101/2026-11-17/r\#(index).mp3","callId":"C\#(index)","recordingId":"\#(1000 + index)"}"#)
            lines.append(#"{"kind":"message","path":"101/2026-11-17/m\#(index).json","messageId":"\#(9000 + index)"}"#)
        }
        for path in ["101/2026-11-17/c1.json", "101/2026-11-17/c2.json", "101/2026-11-17/c1.json", "101/2026-11-17/c3.json"] {
            lines.append(#"{"kind":"messageLink","path":"\#(path)","callId":"X","messageId":"9"}"#)
        }
        try DurableFiles.createDirectories(manifest.directory)
        try DurableFiles.writeAtomically(manifest.shardPath("2026-11"), Array(lines.map { $0 + "\n" }.joined().utf8))
        for index in 0..<50 {
            #expect(try manifest.callSidecarPath(callId: "C\(index)", start: start) == "101/2026-11-17/c\(index).json")
            #expect(try manifest.recordingSidecarPath(recordingId: "\(1000 + index)", near: start) == "101/2026-11-17/c\(index).json")
            #expect(try manifest.messageSidecarPath(messageId: "\(9000 + index)", created: start) == "101/2026-11-17/m\(index).json")
        }
        #expect(try manifest.callSidecarsLinking(messageId: "9", near: start)
            == ["101/2026-11-17/c1.json", "101/2026-11-17/c2.json", "101/2026-11-17/c3.json"])
        #expect(try manifest.callSidecarsLinking(messageId: "8", near: start) == [])
        #expect(try manifest.callSidecarPath(callId: "C50", start: start) == nil)
    }

    /// What `record` adds to a loaded shard (in place: the shard is a class) is found at once, under
    /// 16-digit message ids too (kept as numbers), and again after the shard was unloaded and read back.
    @Test func recordedItemsAreFoundAtOnceAndAfterTheShardIsReloaded() throws {
        let fixture = try TenantFixture()
        let writer = try fixture.store.openWriter()
        defer { writer.close() }
        let start = Timestamp(iso8601: "2026-11-20T10:00:00Z")!
        let ids = ["9007199254743023", "9007199254743024", "09007199254743023", "7"]
        for (index, id) in ids.enumerated() {
            let sidecar = Sidecar(kind: .message, record: ["id": .string(id)], item: ["messageId": .string(id), "startTime": .string(start.iso8601)],
                                  startTime: start, archivedAt: start)
            try writer.saveSidecar(sidecar, at: "101/2026-11-20/m\(index).json", changed: true)
        }
        let (call, callPath) = DeferredSyncTests.call("A", month: 11)
        try writer.saveSidecar(call, at: callPath, changed: true)
        func check(_ when: String) throws {
            for (index, id) in ids.enumerated() {
                #expect(try writer.manifest.messageSidecarPath(messageId: id, created: start) == "101/2026-11-20/m\(index).json", "\(when): \(id)")
            }
            #expect(try writer.manifest.messageSidecarPath(messageId: "9007199254743025", created: start) == nil)
            #expect(try writer.manifest.callSidecarPath(callId: "A", start: call.startTime) == callPath, "\(when)")
        }
        try check("recorded")
        for month in 1...Manifest.maximumLoadedShards {  // other months loaded: November's shard is unloaded
            _ = try writer.manifest.callSidecarPath(callId: "A", start: Timestamp(iso8601: String(format: "2026-%02d-10T00:00:00Z", month))!)
        }
        try check("read back from disk")
    }
}
