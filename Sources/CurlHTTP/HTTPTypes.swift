#if canImport(Glibc)
import Glibc
#endif

/// What goes on the wire. Header values may hold secrets (Authorization); nothing in this module
/// ever prints a request's headers or body.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// An overall deadline for bounded responses (JSON pages). Media downloads leave it nil and
    /// rely on the low-speed timeout instead, so a large recording on a slow link is not cut off.
    public var totalTimeoutSeconds: Double?
    /// curl follows redirects itself (dropping `Authorization` whenever the host changes); false
    /// returns a 3xx as it is, with `HTTPResponse.redirectURL`, for a caller that follows hop by hop.
    public var followRedirects = true

    public init(method: Method = .get, url: String, headers: [(name: String, value: String)] = [],
                body: [UInt8]? = nil, totalTimeoutSeconds: Double? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.totalTimeoutSeconds = totalTimeoutSeconds
    }
}

/// Response headers with case-insensitive lookup, in received order.
public struct HTTPHeaders: Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    public mutating func append(name: String, value: String) { fields.append((name, value)) }

    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.last { $0.name.lowercased() == lowered }?.value
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Where a response body goes.
public enum ResponseSink: Sendable {
    /// Kept in memory, refused beyond `limit` bytes (JSON pages are small; a runaway body is an error).
    case memory(limit: Int)
    /// Streamed to an open file descriptor, hashed on the way. Only a 2xx body is written there;
    /// any other status's body is kept in memory (at most 64 KiB) for the error report.
    case file(descriptor: Int32)
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Headers of the final response (after redirects).
    public var headers: HTTPHeaders
    /// Headers of every response in the redirect chain, first to last.
    public var headerChain: [HTTPHeaders]
    /// The body when the sink was memory, or a non-2xx body when it was a file.
    public var body: [UInt8]
    /// Bytes written to the file sink.
    public var bytesWritten: Int64
    /// SHA-256 (hex) of what was written to the file sink; nil for memory sinks.
    public var sha256: String?
    /// The final URL with any `access_token` query parameter removed.
    public var effectiveURL: String
    public var redirectCount: Int
    /// Where a 3xx not followed points, absolute (resolved by curl); nil otherwise. May hold secrets
    /// a server put in it: never printed.
    public var redirectURL: String?

    public var isSuccess: Bool { (200..<300).contains(status) }
    public var contentType: String? { headers["Content-Type"] }
}

/// A failure below HTTP: nothing usable came back. `isRetryable` marks the transient kinds
/// (timeouts, resets, truncated bodies) that a caller may retry with backoff.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case couldNotResolve, couldNotConnect, timedOut, connectionReset, truncatedBody, tls,
             bodyTooLarge, localWriteFailed, tooManyRedirects, invalidRequest, cancelled, stalled, other
    }

    public let kind: Kind
    public let curlCode: Int32
    /// curl's message; never contains request headers or bodies.
    public let message: String
    /// Where it failed, `access_token` removed.
    public let url: String
    /// For `localWriteFailed`: the errno of the failed write (ENOSPC for a full disk).
    public var localErrno: Int32?

    public init(kind: Kind, curlCode: Int32, message: String, url: String, localErrno: Int32? = nil) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
        self.url = url
        self.localErrno = localErrno
    }

    public var isRetryable: Bool {
        switch kind {
        case .timedOut, .connectionReset, .truncatedBody, .couldNotConnect: true
        default: false
        }
    }

    public var description: String {
        if kind == .stalled {
            return "the transfer stalled (below the low-speed limit for too long) at \(url); abandoned for this run"
        }
        if kind == .bodyTooLarge {
            return "the response is larger than ringlog accepts (\(message)) at \(url); abandoned"
        }
        if kind == .localWriteFailed, let localErrno {
            return "writing the download to the local file failed: \(String(cString: strerror(localErrno))) (for \(url))"
        }
        return "transport error (\(kind.rawValue), curl \(curlCode)) for \(url): \(message)"
    }
}
