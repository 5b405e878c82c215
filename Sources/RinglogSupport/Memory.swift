#if canImport(Glibc)
import CMalloc
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
}
