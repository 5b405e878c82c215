import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 stand-in on 127.0.0.1 for answers the simulator never gives: absurd
/// `Retry-After` and `X-Rate-Limit-*` values, odd `expires_in`, a web server that is not RingCentral.
/// One request per connection (`Connection: close`), served one at a time on its own thread; the
/// handler maps (method, path) to a reply, and every request is counted.
final class ScriptedServer: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String

        init(_ status: Int, headers: [(String, String)] = [], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }

        static func json(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Reply {
            Reply(status, headers: [("Content-Type", "application/json")] + headers, body: body)
        }

        /// A successful RingCentral token answer with the given `expires_in` literal.
        static func token(expiresIn: String = "3600") -> Reply {
            .json(200, #"{"access_token":"scripted-token","token_type":"bearer","expires_in":\#(expiresIn),"scope":"ReadAccounts"}"#)
        }

        static let account = Reply.json(200, #"{"id":"400131000008","uri":"x","mainNumber":"+15551234567","status":"Confirmed"}"#)
    }

    typealias Handler = @Sendable (_ method: String, _ path: String, _ count: Int) -> Reply

    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }
    private let listener: Int32
    private let handler: Handler
    /// Requests seen per "METHOD /path" (query stripped).
    let requests = Mutex<[String: Int]>([:])
    private let finished = Mutex(false)

    init(_ handler: @escaping Handler) throws {
        self.handler = handler
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && listen(descriptor, 16) == 0 }
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        guard bound else {
            close(descriptor)
            throw ScriptedServerError()
        }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    deinit { stop() }

    func stop() {
        let already = finished.withLock { value in defer { value = true }; return value }
        guard !already else { return }
        shutdown(listener, Int32(SHUT_RDWR))  // wakes the blocked accept()
        close(listener)
    }

    func count(_ key: String) -> Int { requests.withLock { $0[key] ?? 0 } }
    var total: Int { requests.withLock { $0.values.reduce(0, +) } }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                return
            }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            received.append(contentsOf: buffer[0..<count])
            if headerEnd == nil, let end = find([13, 10, 13, 10], in: received) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, received.count >= headerEnd + contentLength { break }
        }
        let requestLine = String(decoding: received.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let method = requestLine.first.map(String.init) ?? ""
        let target = requestLine.count > 1 ? String(requestLine[1]) : "/"
        let path = String(target.prefix { $0 != "?" })
        let key = "\(method) \(path)"
        let number = requests.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key]!
        }
        let reply = handler(method, path, number)
        var head = "HTTP/1.1 \(reply.status) Scripted\r\n"
        for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
        let body = Array(reply.body.utf8)
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            sent += count
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

struct ScriptedServerError: Error {}
