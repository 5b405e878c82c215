#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// Keeps a long run's resident memory at what it holds, not at the sum of its peaks.
public enum Memory {
    /// Hands the pages malloc keeps free back to the system (`malloc_trim(0)`: every arena, not only
    /// the top of the main heap). A first sync parses a page of 1,000 records at a time on three
    /// threads, and glibc keeps what each page's objects freed, scattered between the few that stay, so
    /// the process's RSS grew with every page though its live heap did not. Called once per page: a
    /// walk over the free lists, some milliseconds against a page's seconds of work.
    public static func returnFreePages() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }

    /// At most `count` malloc arenas from now on (`mallopt(M_ARENA_MAX)`), set before the threads
    /// that allocate start. glibc gives each thread that meets contention an arena of its own, and
    /// each arena keeps its own peak resident: a first sync's three parts held the sum of three peaks.
    /// A tenant's parts do most local work one at a time (the engine lock); a page's parse runs with
    /// the lock released, beside another part's work, and then the two take turns at malloc — speed
    /// only, unmeasurable in P2. Measured on a 25,000-call first sync: 50.9 → 48.5 MB.
    public static func limitArenas(to count: Int) {
        #if canImport(Glibc)
        _ = mallopt(M_ARENA_MAX, Int32(max(1, min(count, 64))))
        #endif
    }
}

/// Limits of the process that a long run depends on.
public enum ProcessLimits {
    /// Raises the soft limit of open descriptors to the hard one (at most 65,536). `sync --all` runs
    /// several tenants at once, each with its connections, a download, the manifest and up to 16 files
    /// being fsynced together by its write batch: headroom over a shell's default soft limit (1,024)
    /// for many tenants. Nothing is lowered.
    public static func raiseOpenFileLimit() {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        #endif
    }
}
