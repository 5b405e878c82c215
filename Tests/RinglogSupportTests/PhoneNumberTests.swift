import Testing
@testable import RinglogSupport

@Suite struct HMACTests {
    @Test func matchesRFC4231() {
        // RFC 4231 test case 2.
        #expect(hexString(HMACSHA256.mac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 1: a 20-byte key of 0x0b.
        #expect(hexString(HMACSHA256.mac(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test func hexRoundTrips() {
        #expect(bytes(fromHex: "00ff10Ab") == [0, 255, 16, 171])
        #expect(bytes(fromHex: "abc") == nil)
        #expect(bytes(fromHex: "zz") == nil)
    }
}

@Suite struct PhoneNumberTests {
    let us = PhoneNumbers.country("US")!

    @Test(arguments: [
        "+18661234567", "18661234567", "8661234567", "(866)123-4567", "(866) 123-4567", "866.123.4567", "866-123-4567",
        "+1 866 123 4567", "1-866-123-4567", "+1 (866) 123-4567 x123", "866-123-4567 ext. 42", "866 123 4567 ext 9",
        "8661234567#77", "tel:+1-866-123-4567", "011 1 866 123 4567", "001 866 123 4567", "  +1.866.123.4567  ",
        "+1 866 123 4567;ext=5",
    ])
    func northAmericanFormsAllNormaliseToOneNumber(_ text: String) {
        #expect(PhoneNumbers.normalize(text, country: us) == .e164("+18661234567"), "\(text)")
    }

    @Test func nationalFormsUseTheCountry() {
        func e164(_ text: String, _ iso: String) -> String? { PhoneNumbers.normalize(text, country: PhoneNumbers.country(iso)!).e164 }
        #expect(e164("020 7946 0958", "GB") == "+442079460958")
        #expect(e164("0044 20 7946 0958", "US") == "+442079460958")  // 00 is international wherever you are
        #expect(e164("+44 (0)20 7946 0958", "US") == "+442079460958")  // the bracketed trunk 0 is dropped
        #expect(e164("030 1234567", "DE") == "+49301234567")
        #expect(e164("01 23 45 67 89", "FR") == "+33123456789")
        #expect(e164("06 1234 5678", "IT") == "+390612345678")  // Italy keeps its leading 0
        #expect(e164("612 34 56 78", "ES") == "+34612345678")
        #expect(e164("(02) 9876 5432", "AU") == "+61298765432")
        #expect(e164("0011 44 20 7946 0958", "AU") == "+442079460958")
        #expect(e164("03-1234-5678", "JP") == "+81312345678")
        #expect(e164("010 44 20 7946 0958", "JP") == "+442079460958")
        #expect(e164("6123 4567", "SG") == "+6561234567")
        #expect(e164("098765 43210", "IN") == "+919876543210")
        #expect(e164("021 123 4567", "ZA") == "+27211234567")
        #expect(e164("(11) 91234-5678", "BR") == "+5511912345678")
        #expect(e164("55 1234 5678", "MX") == "+525512345678")
        #expect(e164("044 55 1234 5678", "MX") == "+525512345678")
        #expect(e164("416 555 0199", "CA") == "+14165550199")
        #expect(e164("09 123 4567", "NZ") == "+6491234567")
        #expect(e164("01 234 5678", "IE") == "+35312345678")
        #expect(e164("020 123 4567", "NL") == "+31201234567")
        #expect(e164("044 668 18 00", "CH") == "+41446681800")
        #expect(e164("01 234567", "AT") == "+431234567")
        #expect(e164("02 123 45 67", "BE") == "+3221234567")
        #expect(e164("08-123 456 78", "SE") == "+46812345678")
        #expect(e164("22 12 34 56", "NO") == "+4722123456")
        #expect(e164("33 12 34 56", "DK") == "+4533123456")
    }

    @Test func maskedNumbersNeverNormalise() {
        #expect(PhoneNumbers.normalize("+3351234XXXX", country: us) == .masked)
        #expect(PhoneNumbers.normalize("+33512XX34", country: us) == .masked)
        #expect(PhoneNumbers.normalize("(866) 123-XXXX", country: us) == .masked)
        #expect(PhoneNumbers.candidates("+3351234XXXX", country: us).isEmpty)
        #expect(PhoneNumbers.normalizePrefix("+33XX", country: us) == .masked)
    }

    @Test func garbageIsInvalidWithAReason() {
        for text in ["", "hello", "+1+2", "12345", "86612345678901234", "+0 123 4567", "866-123-456"] {
            guard case .invalid(let reason) = PhoneNumbers.normalize(text, country: us) else {
                Issue.record("\(text.debugDescription) should be invalid")
                continue
            }
            #expect(!reason.isEmpty)
        }
    }

    @Test func prefixes() {
        #expect(PhoneNumbers.normalizePrefix("+1 900", country: us) == .e164("+1900"))
        #expect(PhoneNumbers.normalizePrefix("900", country: us) == .e164("+1900"))
        #expect(PhoneNumbers.normalizePrefix("0044", country: us) == .e164("+44"))
        #expect(PhoneNumbers.normalizePrefix("020", country: PhoneNumbers.country("GB")!) == .e164("+4420"))
    }

    @Test func recordCandidatesReadBareInternationalDigits() {
        let gb = PhoneNumbers.country("GB")!
        #expect(PhoneNumbers.candidates("18662130006", country: gb).contains("+18662130006"))
        #expect(PhoneNumbers.candidates("18662130006", country: us) == ["+18662130006"])
        #expect(PhoneNumbers.candidates("+2055551234", country: us) == ["+2055551234"])
    }

    @Test func countryOfANumber() {
        #expect(PhoneNumbers.country(ofE164: "+16505551000")?.iso == "US")
        #expect(PhoneNumbers.country(ofE164: "+442079460958")?.iso == "GB")
        #expect(PhoneNumbers.country(ofE164: "+353112345")?.iso == "IE")
        #expect(PhoneNumbers.lastDigits("+18661234567") == "67")
    }
}
