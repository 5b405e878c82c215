import CurlHTTP
import RingCentral
import RinglogSupport
import RinglogTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A media body larger than the bound (declared or streamed) is abandoned, not archived: a typed
/// error the sync turns into a pending entry with the reason.
@Suite struct MediaBoundTests {
    @Test func aRecordingLargerThanTheBoundIsAbandoned() async throws {
        let sim = try await LiveSimulator.start { $0.days = 2; $0.futureDays = 0 }
        let recording = try #require(sim.truth.first { $0["kind"] == "recording" })
        let id = try #require(recording["recordingId"]?.stringValue)
        let size = try #require(recording["size"]?.int64Value)
        var curl = CurlConfiguration()
        curl.maximumMediaBytes = size - 1
        let client = RingCentralClient(credentials: sim.credentials(), http: CurlHTTPClient(configuration: curl))
        let uri = sim.mediaURL + "/restapi/v1.0/account/~/recording/\(id)/content"  // media is served on the media host
        let path = "/tmp/ringlog-media-bound-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        defer { close(descriptor); unlink(path) }
        await #expect {
            _ = try await blocking { try client.downloadRecording(contentURI: uri, to: descriptor) }
        } throws: { error in
            guard case RingCentralError.transport(let transport, _) = error else { return false }
            return transport.kind == .bodyTooLarge && "\(transport)".contains("larger than ringlog accepts")
        }
        curl.maximumMediaBytes = size
        let fits = RingCentralClient(credentials: sim.credentials(), http: CurlHTTPClient(configuration: curl))
        let download = try await blocking { try fits.downloadRecording(contentURI: uri, to: descriptor) }
        #expect(download.bytes == size)
    }
}
