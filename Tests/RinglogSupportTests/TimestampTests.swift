import Testing
@testable import RinglogSupport

@Suite struct TimestampTests {
    @Test func parsesRingCentralFormsAndOffsets() {
        #expect(Timestamp(iso8601: "2016-03-10T18:07:52.534Z")?.millisecondsSinceEpoch == 1_457_633_272_534)
        #expect(Timestamp(iso8601: "2016-03-10T18:07:52Z")?.millisecondsSinceEpoch == 1_457_633_272_000)
        #expect(Timestamp(iso8601: "2016-03-10T18:07:52.5Z")?.millisecondsSinceEpoch == 1_457_633_272_500)
        #expect(Timestamp(iso8601: "2016-03-10T18:07:52.123456Z")?.millisecondsSinceEpoch == 1_457_633_272_123)
        #expect(Timestamp(iso8601: "2016-03-10T13:07:52-05:00")?.millisecondsSinceEpoch == 1_457_633_272_000)
        #expect(Timestamp(iso8601: "2016-03-10T23:37:52+0530")?.millisecondsSinceEpoch == 1_457_633_272_000)
        #expect(Timestamp(iso8601: "2016-03-10")?.millisecondsSinceEpoch == 1_457_568_000_000)
    }

    @Test(arguments: ["", "2016-3-10", "2016-02-30T00:00:00Z", "2016-03-10T25:00:00Z", "2016-03-10T18:07:52",
                      "2016-03-10T18:07:52.Z", "2016-03-10T18:07:52Zjunk", "garbage"])
    func rejectsMalformedOrImpossibleInstants(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func formatsWithMillisecondsInUTC() {
        let value = Timestamp(millisecondsSinceEpoch: 1_457_633_272_034)
        #expect(value.iso8601 == "2016-03-10T18:07:52.034Z")
        #expect(value.iso8601Seconds == "2016-03-10T18:07:52Z")
        #expect(Timestamp(iso8601: value.iso8601) == value)
        #expect(Timestamp(millisecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }
}
