import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(0)`, …, `body(count - 1)` on `width` threads of their own and returns when every call
/// has. Each thread takes the next index when it finishes one, so at most `width` run at once, in
/// index order. Dedicated threads rather than GCD's pool or Swift tasks: each body blocks (a tenant
/// sync in libcurl and fsync for minutes, an fsync of a batch of files), which would starve a pool
/// sized to the cores.
public func runConcurrently(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> Void) {
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
