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
