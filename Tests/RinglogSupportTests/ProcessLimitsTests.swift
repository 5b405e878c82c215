import RinglogSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ProcessLimitsTests {
    /// The soft limit of open descriptors is raised to the hard one (at most 65,536); lowered here by one
    /// only, so the tests running beside this one are never short of descriptors.
    @Test func theOpenFileLimitIsRaisedToTheHardLimit() throws {
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let wanted = min(limit.rlim_max, 65_536)
        limit.rlim_cur = wanted - 1
        try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        ProcessLimits.raiseOpenFileLimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(limit.rlim_cur == wanted)
    }
}
