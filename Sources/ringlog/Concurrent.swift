import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
