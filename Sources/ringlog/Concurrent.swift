import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(0)`, …, `body(count - 1)` on `width` threads of their own and returns when every call
/// has. Each thread takes the next index when it finishes one, so at most `width` run at once, in
/// index order. Dedicated threads rather than GCD's pool or Swift tasks: each body is a synchronous
/// tenant sync that blocks in libcurl and fsync for minutes, which would starve a pool sized to
/// the cores.
func runConcurrently(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    let width = max(1, min(width, count))
    guard width > 1 else {
        for index in 0..<count { body(index) }
        return
    }
    let next = Counter()
    var threads: [pthread_t] = []
    for _ in 0..<width {
        let worker = ThreadBody {
            while let index = next.take(below: count) { body(index) }
        }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(worker).toOpaque()
        let created = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        if created == 0 {
            threads.append(thread)
        } else {
            // No thread (resource limits): this one does the work of the missing worker.
            Unmanaged<ThreadBody>.fromOpaque(box).takeRetainedValue().run()
        }
    }
    for thread in threads { pthread_join(thread, nil) }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

private final class Counter: Sendable {
    private let value = Mutex(0)

    func take(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// The terminal and pipes that concurrent tenant runs share. Every write is one whole block under
/// one lock, so lines from two tenants never interleave mid-line; on a terminal the progress line
/// (redrawn in place) is cleared before a block is printed, and the next update draws it below.
final class Console: Sendable {
    private struct State {
        var progressShown: String?
    }
    private let state = Mutex(State())
    /// Progress is drawn in place (a terminal) rather than printed one line each (`--progress`, a pipe).
    let drawsInPlace: Bool

    init(drawsInPlace: Bool) { self.drawsInPlace = drawsInPlace }

    /// A complete block for standard output (a tenant's summary).
    func output(_ text: String) { emit(text, to: 1) }

    /// A complete block for standard error (an error line).
    func error(_ text: String) { emit(text, to: 2) }

    /// One progress line: drawn in place over the previous one on a terminal, else printed as a line.
    func progress(_ line: String) {
        state.withLock { state in
            if drawsInPlace {
                let shown = String(line.prefix(120))
                writeAll(2, "\u{1B}[2K\r" + shown)
                state.progressShown = shown
            } else {
                writeAll(2, line + "\n")
            }
        }
    }

    /// Removes the progress line from the terminal (before the final output).
    func clearProgress() {
        state.withLock { state in
            if state.progressShown != nil { writeAll(2, "\u{1B}[2K\r") }
            state.progressShown = nil
        }
    }

    private func emit(_ text: String, to descriptor: Int32) {
        let block = text.hasSuffix("\n") ? text : text + "\n"
        state.withLock { state in
            if state.progressShown != nil { writeAll(2, "\u{1B}[2K\r") }
            fflush(nil)  // whatever print() buffered goes first
            writeAll(descriptor, block)
            state.progressShown = nil  // the next progress update draws it again, below the block
        }
    }
}

/// Writes all of `text` to `descriptor` (retrying short writes and EINTR).
func writeAll(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
    bytes.removeAll()
}
