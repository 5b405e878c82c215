import Testing
@testable import RinglogSupport

@Suite struct JSONTests {
    @Test func keepsMemberOrderAndNumberLiterals() throws {
        let text = #"{"z":1,"a":9007199254740993,"m":[1.50,-0,2e10],"s":"x"}"#
        let value = try JSON.parse(text)
        #expect(value.objectValue?.keys == ["z", "a", "m", "s"])
        #expect(value["a"]?.int64Value == 9_007_199_254_740_993)  // 2^53 + 1 survives: no Double on the way
        #expect(value.serialized() == text)  // byte-identical round trip, "1.50" and "-0" kept
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSON.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#)
        #expect(value.stringValue == "a\"b\\c/d\né😀")
        #expect(value.serialized() == #""a\"b\\c/d\né😀""#)
    }

    @Test func controlCharactersAreEscapedOnOutput() {
        #expect(JSON.string("a\u{01}b").serialized() == #""a\u0001b""#)
    }

    @Test(arguments: [
        ("{\"a\":1,}", "expected a member name"),
        ("[1 2]", "expected ',' or ']'"),
        ("01", "trailing characters"),
        ("\"abc", "unterminated string"),
        ("{\"a\":1,\"a\":2}", "duplicate member name"),
        ("\"\\ud800\"", "unpaired high surrogate"),
        ("-", "expected a digit"),
        ("1.", "expected a digit after '.'"),
    ])
    func rejectsInvalidInputNamingTheProblem(input: String, reason: String) {
        #expect {
            try JSON.parse(input)
        } throws: { error in
            (error as? JSONParseError)?.reason.contains(reason) == true
        }
    }

    @Test func reportsTheByteOffset() {
        do {
            _ = try JSON.parse("[1, 2, x]")
            Issue.record("accepted invalid JSON")
        } catch {
            #expect(error.offset == 7)
        }
    }

    @Test func prettyOutputIsStableAndParsesBack() throws {
        let value: JSON = ["b": [1, 2], "a": ["nested": true, "empty": [:]], "n": nil]
        let pretty = value.serialized(.pretty)
        #expect(pretty == "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": {\n    \"nested\": true,\n    \"empty\": {}\n  },\n  \"n\": null\n}")
        #expect(try JSON.parse(pretty) == value)
    }

    @Test func settingAKeyKeepsItsPositionAndRemovalReindexes() {
        var object = JSONObject([("a", 1), ("b", 2), ("c", 3)])
        object["b"] = "two"
        #expect(object.keys == ["a", "b", "c"])
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object["c"] == 3)
        object["d"] = 4
        #expect(object.keys == ["b", "c", "d"])
    }

    @Test func rejectsExcessiveNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }
}

/// `JSON.parse(_:selecting:)`: the selected members exactly as the full parse gives them, and every
/// document the full parse refuses refused too, wherever the fault hides.
@Suite struct SelectiveParseTests {
    let selection = JSONSelection.members(["format": .whole, "record": .members(["id": .whole, "duration": .whole]), "missing": .whole])

    @Test func theSelectedMembersAreWhatTheFullParseGives() throws {
        let text = #"{"format": "ringlog-call", "layoutVersion": 1, "record": {"uri": "x", "id": "Ab\u00e9\"", "duration": 12.50, "legs": [{"a": [1, 2, {"b": null}]}, true, false, -0.5e-3]}, "archive": {"item": {"x": "\ud83d\ude00 ü"}}}"#
        let full = try JSON.parse(text)
        let partial = try JSON.parse(Array(text.utf8), selecting: selection)
        #expect(partial.objectValue?.members.map(\.key) == ["format", "record"])
        #expect(partial["format"] == full["format"] && partial["record"]?["id"] == full["record"]?["id"])
        #expect(partial["record"]?["duration"] == .number("12.50") && partial["record"]?["legs"] == nil)
        #expect(try JSON.parse(Array("[1, {\"a\": 2}]".utf8), selecting: selection) == JSON.parse("[1, {\"a\": 2}]"))
        #expect(try JSON.parse(Array("{\"record\": 5}".utf8), selecting: selection)["record"] == .number("5"))
    }

    @Test(arguments: [
        #"{"format": "x", "legs": [1, 2"#, #"{"legs": [1 2]}"#, #"{"legs": {"a" 1}}"#, #"{"legs": "\q"}"#, #"{"legs": "\ud800"}"#,
        #"{"legs": "\udc00"}"#, #"{"legs": "\ud800\u0041"}"#, #"{"legs": 01}"#, #"{"legs": 1.}"#, #"{"legs": -}"#, #"{"legs": tru}"#,
        #"{"legs": nul}"#, #"{"legs": [1,]}"#, #"{"legs": {}} x"#, #"{"record": {"id": "a", "id": "b"}}"#, "{\"legs\": \"a\u{01}b\"}",
    ])
    func faultsAnywhereAreRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        #expect(throws: JSONParseError.self) { try JSON.parse(Array(text.utf8), selecting: selection) }
    }

    @Test(arguments: [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xC3], [0x80],
                      [0xE2, 0x82]] as [[UInt8]])
    func invalidUTF8InASkippedStringIsRefused(_ sequence: [UInt8]) {
        let bytes = Array("{\"legs\": \"a".utf8) + sequence + Array("b\"}".utf8)
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes) }
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes, selecting: selection) }
        let valid = Array("{\"legs\": \"a€😀ü\"}".utf8)
        #expect((try? JSON.parse(valid, selecting: selection)) != nil)
    }

    /// Objects of every size around the index threshold (a parsed object is stored at its exact
    /// count; large ones get an index, small ones are scanned): each member is found, in order,
    /// a duplicate is refused wherever it is, and setting and removing keys keeps the lookups right.
    @Test(arguments: [0, 1, 5, 31, 32, 33, 34, 64, 200])
    func objectsOfEverySizeParseLookUpAndRefuseDuplicates(count: Int) throws {
        let members = (0..<count).map { "\"k\($0)\": \($0)" }
        let parsed = try JSON.parse("{" + members.joined(separator: ", ") + "}")
        guard case .object(var object) = parsed else { Issue.record("not an object"); return }
        #expect(object.keys == (0..<count).map { "k\($0)" })
        for index in 0..<count { #expect(object["k\(index)"] == .int(index)) }
        #expect(object["k\(count)"] == nil)
        for duplicate in [0, count / 2, count - 1] where count > 0 {
            let text = "{" + (members + ["\"k\(duplicate)\": true"]).joined(separator: ",") + "}"
            #expect { try JSON.parse(text) } throws: { ($0 as? JSONParseError)?.reason.contains("duplicate member name \"k\(duplicate)\"") == true }
        }
        object["extra"] = .bool(true)
        object["k0"] = nil
        #expect(object["extra"] == .bool(true) && object["k0"] == nil)
        for index in 1..<max(1, count) { #expect(object["k\(index)"] == .int(index)) }
        #expect(parsed == .object(JSONObject((0..<count).map { ("k\($0)", JSON.int($0)) })), "as built member by member")
    }

    /// A page's `records` left as ranges: each range parses to the element a whole parse builds, the
    /// rest of the object is built, and what is not an array of `records` is built as `parse` builds it.
    @Test func deferredElementsAreTheRangesOfWhatAWholeParseBuilds() throws {
        let text = "{\"uri\":\"u\", \"records\" : [ {\"id\":\"A\",\"note\":\"é \\u00e9 \\\"q\\\"\"} ,\n {\"id\":2,\"legs\":[{\"a\":[1,2]}]}, \"s\", 3 ],\n \"navigation\":{\"nextPage\":{\"uri\":\"n\"}}}"
        let bytes = Array(text.utf8)
        let (page, ranges) = try JSON.parse(bytes, deferringElementsOf: "records")
        let whole = try JSON.parse(text)
        let elements = try #require(whole["records"]?.arrayValue)
        let found = try #require(ranges)
        #expect(try found.map { try JSON.parse(bytes[$0]) } == elements)
        #expect(page["records"] == .array([]) && page["navigation"] == whole["navigation"] && page["uri"] == whole["uri"])
        #expect(try JSON.parse(Array(#"{"records":{"a":1}}"#.utf8), deferringElementsOf: "records") == (try JSON.parse(#"{"records":{"a":1}}"#), nil))
        #expect(try JSON.parse(Array("[1]".utf8), deferringElementsOf: "records") == (.array([.int(1)]), nil))
        #expect(try JSON.parse(Array(#"{"records":[]}"#.utf8), deferringElementsOf: "records").1 == [])
        for bad in [#"{"records":[1,]}"#, #"{"records":[1 2]}"#, #"{"records":["\x"]}"#, #"{"records":[],"records":[]}"#, #"{"records":[1]} x"#] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSON.parse(Array(bad.utf8), deferringElementsOf: "records") }
        }
    }
}
