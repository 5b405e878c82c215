import CCurl
import Dispatch
import RinglogSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

public struct CurlConfiguration: Sendable {
    /// How many transfers may run at once (one easy handle each). Handles are reused, so their
    /// connections are too.
    public var maximumConcurrentTransfers = 4
    public var connectTimeoutSeconds = 10
    /// A transfer slower than `lowSpeedLimitBytesPerSecond` on average over this many seconds is
    /// abandoned: a media download becomes `stalled` (not retried within the run; it goes to pending).
    public var lowSpeedTimeSeconds = 60
    public var lowSpeedLimitBytesPerSecond = 1024
    /// Longest a single media transfer may take, however steadily it trickles (a slow-but-not-stalled
    /// stream would otherwise hold the run for hours): it is abandoned as `stalled`.
    public var maximumMediaSeconds = 3_600
    /// Largest media body accepted (declared or received): a runaway stream is not an archive.
    public var maximumMediaBytes: Int64 = 4 << 30
    public var maximumRedirects = 5
    public var userAgent = "ringlog/0.1 (+libcurl)"
    /// Extra CA bundle (PEM); nil uses the system's store. TLS peer and host verification are always on.
    public var caBundlePath: String?
    /// `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT` entries (curl's `--connect-to`): the URL, the Host
    /// header and TLS verification stay those of HOST; only the TCP connection goes elsewhere. Lets a
    /// test serve `https://media.ringcentral.com:443/…` from loopback without touching DNS.
    public var connectTo: [String] = []
    /// When raised, every transfer in progress aborts (within about a second) and new ones fail at
    /// once with `TransportError.Kind.cancelled`: a run that lost its lease must stop downloading.
    public var cancellation: CancellationFlag?

    public init() {}
}

/// HTTP over libcurl easy handles, kept in a small pool so that connections are reused and
/// concurrency stays bounded. Thread-safe; every call blocks its thread until the transfer ends,
/// so async callers run it off the cooperative pool.
public final class CurlHTTPClient: Sendable {
    public let configuration: CurlConfiguration
    private let idleHandles = Mutex<[EasyHandle]>([])
    private let slots: DispatchSemaphore

    public init(configuration: CurlConfiguration = CurlConfiguration()) {
        Curl.initialize()
        self.configuration = configuration
        self.slots = DispatchSemaphore(value: max(1, configuration.maximumConcurrentTransfers))
    }

    deinit {
        for handle in idleHandles.withLock({ $0 }) { curl_easy_cleanup(handle.pointer) }
    }

    public func perform(_ request: HTTPRequest, sink: ResponseSink = .memory(limit: 64 << 20)) throws(TransportError) -> HTTPResponse {
        slots.wait()
        defer { slots.signal() }
        let handle = idleHandles.withLock { $0.popLast() } ?? EasyHandle(pointer: curl_easy_init())
        defer { idleHandles.withLock { $0.append(handle) } }
        return try Transfer(handle: handle.pointer, request: request, sink: sink, configuration: configuration).run()
    }

    /// Follows redirects hop by hop, sending `Authorization` on to a hop only when `keepsAuthorization`
    /// accepts its URL (and never again after a hop that did not). curl, following by itself, drops the
    /// header on any change of host, which strips a bearer token on a redirect from one of the server's
    /// sibling hosts to another (media. → platform.) and the download fails with 401. As with curl's own
    /// following: at most `maximumRedirects` hops, http(s) only, never from https down to http.
    public func perform(_ request: HTTPRequest, sink: ResponseSink,
                        keepingAuthorizationFor keepsAuthorization: (String) -> Bool) throws(TransportError) -> HTTPResponse {
        var hop = request
        hop.followRedirects = false
        let startsSecure = URLParts(request.url)?.scheme == "https"
        var chain: [HTTPHeaders] = []
        var redirects = 0
        while true {
            var response = try perform(hop, sink: sink)
            chain += response.headerChain
            guard [301, 302, 303, 307, 308].contains(response.status), let next = response.redirectURL else {
                response.headerChain = chain
                response.redirectCount = redirects
                response.redirectURL = nil
                return response
            }
            redirects += 1
            let shown = redactingAccessToken(next)
            guard redirects <= configuration.maximumRedirects else {
                throw TransportError(kind: .tooManyRedirects, curlCode: 47, message: "more than \(configuration.maximumRedirects) redirects", url: shown)
            }
            guard let target = URLParts(next) else {
                throw TransportError(kind: .invalidRequest, curlCode: 0, message: "redirected to a URL that is not a plain http(s) URL", url: shown)
            }
            guard !startsSecure || target.scheme == "https" else {
                throw TransportError(kind: .invalidRequest, curlCode: 0, message: "refusing a redirect from https down to http", url: shown)
            }
            if !keepsAuthorization(next) { hop.headers.removeAll { $0.name.lowercased() == "authorization" } }
            hop.url = next
        }
    }
}

/// An easy handle is owned by exactly one thread at a time: `perform` takes it out of the pool under
/// the mutex, uses it, and puts it back. That hand-off is what makes moving the pointer between
/// threads safe.
private struct EasyHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { fatalError("curl_easy_init failed (out of memory)") }
        self.pointer = pointer
    }
}

enum Curl {
    // swift_once makes this run exactly once, thread-safely; Debian's libcurl 7.88 has CURL_VERSION_THREADSAFE.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    static func initialize() { precondition(globalInit == CURLE_OK, "curl_global_init failed") }
}

/// Per-transfer state reached from the C callbacks through `userdata`.
private final class TransferState {
    let sink: ResponseSink
    let handle: UnsafeMutableRawPointer
    var body: [UInt8] = []
    var headerChain: [HTTPHeaders] = []
    var bytesWritten: Int64 = 0
    var hasher: SHA256Hasher?
    var failure: TransportError.Kind?
    var failedErrno: Int32?
    let cancellation: CancellationFlag?
    let maximumMediaBytes: Int64

    init(sink: ResponseSink, handle: UnsafeMutableRawPointer, cancellation: CancellationFlag?, maximumMediaBytes: Int64) {
        self.maximumMediaBytes = maximumMediaBytes
        self.sink = sink
        self.handle = handle
        self.cancellation = cancellation
        if case .file = sink { hasher = SHA256Hasher() }
    }

    var currentStatus: Int {
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }
}

private let errorBodyLimit = 64 << 10

private let writeCallback: curl_write_callback = { data, size, count, userdata in
    guard let data, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    switch state.sink {
    case .memory(let limit):
        guard state.body.count + length <= limit else { state.failure = .bodyTooLarge; return 0 }
        state.body.append(contentsOf: bytes)
    case .file(let descriptor):
        guard (200..<300).contains(state.currentStatus) else {
            // An error page must never land in the media file; keep a bounded copy for the report.
            state.body.append(contentsOf: bytes.prefix(max(0, errorBodyLimit - state.body.count)))
            return length
        }
        guard state.bytesWritten + Int64(length) <= state.maximumMediaBytes else {
            state.failure = .bodyTooLarge
            return 0
        }
        var offset = 0
        while offset < length {
            let written = write(descriptor, data + offset, length - offset)
            if written < 0 {
                if errno == EINTR { continue }
                state.failure = .localWriteFailed
                state.failedErrno = errno
                return 0
            }
            offset += written
        }
        state.hasher?.update(bytes)
        state.bytesWritten += Int64(length)
    }
    return length
}

/// Called by libcurl about once a second and on every chunk: non-zero aborts the transfer.
private let progressCallback: curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    if state.cancellation?.isCancelled == true {
        state.failure = .cancelled
        return 1
    }
    return 0
}

private let headerCallback: curl_write_callback = { data, size, count, userdata in
    guard let data, let userdata else { return 0 }
    let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    var bytes = UnsafeRawBufferPointer(start: data, count: length)[...]
    // Trim CR/LF as bytes: as Characters, "\r\n" is one grapheme and would defeat hasSuffix("\n").
    while let last = bytes.last, last == 0x0A || last == 0x0D { bytes = bytes.dropLast() }
    let line = String(decoding: bytes, as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        state.headerChain.append(HTTPHeaders())  // a new response begins (redirects, 100-continue)
    } else if let colon = line.firstIndex(of: ":"), !state.headerChain.isEmpty {
        let name = String(line[..<colon]).trimmingSpaces
        let value = String(line[line.index(after: colon)...]).trimmingSpaces
        state.headerChain[state.headerChain.count - 1].append(name: name, value: value)
        // A body kept in memory (a call-log page) gets its declared size at once: growing by doubling
        // held the old and the new buffer together, up to three times the page, at the run's peak.
        if case .memory(let limit) = state.sink, name.lowercased() == "content-length", let declared = Int(value), declared > 0 {
            state.body.reserveCapacity(min(declared, limit))
        }
    }
    return length
}

private struct Transfer {
    let handle: UnsafeMutableRawPointer
    let request: HTTPRequest
    let sink: ResponseSink
    let configuration: CurlConfiguration

    init(handle: UnsafeMutableRawPointer, request: HTTPRequest, sink: ResponseSink, configuration: CurlConfiguration) {
        self.handle = handle
        self.request = request
        self.sink = sink
        self.configuration = configuration
    }

    func fail(_ kind: TransportError.Kind, _ code: CURLcode, _ message: String) -> TransportError {
        TransportError(kind: kind, curlCode: Int32(code.rawValue), message: message, url: redactingAccessToken(request.url))
    }

    func run() throws(TransportError) -> HTTPResponse {
        if configuration.cancellation?.isCancelled == true {
            throw TransportError(kind: .cancelled, curlCode: 0, message: configuration.cancellation?.reason ?? "cancelled",
                                 url: redactingAccessToken(request.url))
        }
        curl_easy_reset(handle)  // keeps the connection cache, clears every option
        let state = TransferState(sink: sink, handle: handle, cancellation: configuration.cancellation,
                                  maximumMediaBytes: configuration.maximumMediaBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        var connectList: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(headerList)
            curl_slist_free_all(connectList)
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = withExtendedLifetime(state) {
            errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                let userdata = Unmanaged.passUnretained(state).toOpaque()
                _ = ccurl_setopt_str(handle, CURLOPT_URL, request.url)
                _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
                _ = ccurl_setopt_long(handle, CURLOPT_MAXREDIRS, configuration.maximumRedirects)
                _ = ccurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                // A redirect may never step down from https to http (where a bearer or a recording
                // would travel in clear); curl itself drops Authorization when the host changes.
                let startsSecure = URLParts(request.url)?.scheme == "https"
                _ = ccurl_setopt_str(handle, CURLOPT_REDIR_PROTOCOLS_STR, startsSecure ? "https" : "http,https")
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
                if let bundle = configuration.caBundlePath { _ = ccurl_setopt_str(handle, CURLOPT_CAINFO, bundle) }
                for entry in configuration.connectTo { connectList = curl_slist_append(connectList, entry) }
                if connectList != nil { _ = ccurl_setopt_slist(handle, CURLOPT_CONNECT_TO, connectList) }
                _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.connectTimeoutSeconds)
                _ = ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, configuration.lowSpeedLimitBytesPerSecond)
                _ = ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, configuration.lowSpeedTimeSeconds)
                if case .file = sink {
                    // A declared Content-Length above the bound fails before any byte is written.
                    _ = ccurl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(configuration.maximumMediaBytes))
                    _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT, max(1, configuration.maximumMediaSeconds))
                }
                if let total = request.totalTimeoutSeconds {
                    _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, total.isFinite && total > 0 ? Int(min(total, 86_400) * 1000) : 0)
                }
                _ = ccurl_setopt_str(handle, CURLOPT_USERAGENT, configuration.userAgent)
                _ = ccurl_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, "")  // whatever curl can decode
                _ = ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                _ = ccurl_setopt_write_cb(handle, CURLOPT_WRITEFUNCTION, writeCallback)
                _ = ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, userdata)
                _ = ccurl_setopt_write_cb(handle, CURLOPT_HEADERFUNCTION, headerCallback)
                _ = ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, userdata)
                if configuration.cancellation != nil {
                    _ = ccurl_setopt_xferinfo_cb(handle, CURLOPT_XFERINFOFUNCTION, progressCallback)
                    _ = ccurl_setopt_ptr(handle, CURLOPT_XFERINFODATA, userdata)
                    _ = ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                }
                for header in request.headers {
                    headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
                }
                if request.method == .post {
                    let body = request.body ?? []
                    _ = ccurl_setopt_long(handle, CURLOPT_POST, 1)
                    _ = ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    body.withUnsafeBufferPointer { pointer in
                        // COPYPOSTFIELDS copies now; a zero-length body still needs a valid pointer.
                        _ = ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: pointer.baseAddress ?? UnsafePointer(bitPattern: 1)!))
                    }
                    headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
                } else {
                    _ = ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
                }
                _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                let result = curl_easy_perform(handle)
                // Drop the options that point into this frame before the handle goes back to the pool.
                _ = ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
                _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, nil)
                _ = ccurl_setopt_slist(handle, CURLOPT_CONNECT_TO, nil)
                return result
            }
        }

        if code != CURLE_OK {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            var kind = state.failure ?? Self.kind(of: code)
            // A file sink has no overall deadline: a timeout there is the low-speed limit, a stalled stream.
            if kind == .timedOut, case .file = sink { kind = .stalled }
            var error = fail(kind, code, message)
            error.localErrno = state.failedErrno
            throw error
        }

        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var redirects = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &redirects)
        var effective: UnsafePointer<CChar>?
        _ = ccurl_getinfo_str(handle, CURLINFO_EFFECTIVE_URL, &effective)
        var location: UnsafePointer<CChar>?
        _ = ccurl_getinfo_str(handle, CURLINFO_REDIRECT_URL, &location)
        let isSuccess = (200..<300).contains(status)
        var response = HTTPResponse(
            status: status,
            headers: state.headerChain.last ?? HTTPHeaders(),
            headerChain: state.headerChain,
            body: state.body,
            bytesWritten: state.bytesWritten,
            sha256: isSuccess ? state.hasher?.finalizeHex() : nil,
            effectiveURL: redactingAccessToken(effective.map { String(cString: $0) } ?? request.url),
            redirectCount: redirects)
        if !request.followRedirects, (300..<400).contains(status) { response.redirectURL = location.map { String(cString: $0) } }
        return response
    }

    static func kind(of code: CURLcode) -> TransportError.Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .couldNotResolve
        case CURLE_COULDNT_CONNECT: .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: .timedOut
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: .connectionReset
        case CURLE_PARTIAL_FILE: .truncatedBody
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: .tls
        case CURLE_TOO_MANY_REDIRECTS: .tooManyRedirects
        case CURLE_FILESIZE_EXCEEDED: .bodyTooLarge
        case CURLE_WRITE_ERROR: .localWriteFailed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: .invalidRequest
        default: .other
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
