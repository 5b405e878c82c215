@testable import RinglogSupport
import Testing

/// `strippingAccessTokens` decides which strings to redact by `namesAccessToken`, which searches an
/// ASCII string's bytes in place: the same answer as `text.lowercased().contains(…)` for every string,
/// and a value without a token comes back as it was.
@Suite struct AccessTokenNameTests {
    static func reference(_ text: String) -> Bool {
        text.lowercased().contains("access_token") || text.lowercased().contains("access%5ftoken")
    }

    static let texts: [String] = [
        "", "a", "access", "access_toke", "access_token", "ACCESS_TOKEN", "Access_Token", "aCcEsS%5FtOkEn", "access%5ftoken",
        "access%5Ftoken", "access%5_token", "accessXtoken", "aaccess_token", "access_tokenn", "acccess_token",
        "https://media.example/r/1/content?access_token=abc&x=1", "https://media.example/r/1/content?x=1&Access%5FToken=abc",
        "https://media.example/r/1/content?x=1", "access_to\u{212A}en",  // KELVIN SIGN lower-cases to k
        "access_token\u{301}", "é access_token", "access_tokén", "\r\naccess_token\r\n", "access\u{0}_token",
        String(repeating: "a", count: 300) + "ccess_token",
    ]

    @Test(arguments: texts) func theSameAnswerAsLowercasedContains(text: String) {
        #expect(namesAccessToken(text) == Self.reference(text), "\(text.debugDescription)")
    }

    @Test func aValueWithoutATokenComesBackAsItWasAndOneWithATokenIsRedacted() throws {
        let clean = try JSON.parse(#"{"id":"1","recording":{"contentUri":"https://media.example/r/1/content"},"legs":[{"a":1},null,true]}"#)
        #expect(strippingAccessTokens(clean) == clean)
        let carrying = try JSON.parse(#"{"id":"1","legs":[{"recording":{"contentUri":"https://media.example/r/1/content?access_token=abc"}}]}"#)
        let stripped = strippingAccessTokens(carrying)
        #expect(stripped["legs"]?.arrayValue?.first?["recording"]?["contentUri"]?.stringValue == "https://media.example/r/1/content")
        #expect(stripped["id"]?.stringValue == "1")
    }
}
