#if canImport(Glibc)
import Glibc

@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Keeps glibc's allocator from handing memory back to the kernel after every unit of
/// work.
///
/// Why: each group commit makes SQLite allocate and free a few hundred KiB (savepoint
/// journals, the pager of a statement's temporary b-tree). With glibc's default 128 KiB
/// trim threshold the writer thread's arena shrinks after each free (`madvise`) and
/// grows back at the next commit, page-faulting the same memory in again: about a fifth
/// of the writer's time under `PUT /api/issues/{id}` load. A 64 MiB threshold keeps that
/// memory in the arena; resident memory stays bounded by the largest burst. Fixing the
/// trim threshold also freezes glibc's mmap threshold, so that is raised to 4 MiB too
/// (else every allocation over 128 KiB would be its own mmap and page faults again).
///
/// Process-wide and idempotent; the server applies it once when it is built. A no-op off
/// glibc.
enum MallocTuning {
    static let trimThreshold: Int32 = 64 << 20
    static let mmapThreshold: Int32 = 4 << 20

    static func apply() { _ = applied }

    private static let applied: Bool = {
        #if canImport(Glibc)
        // M_TRIM_THRESHOLD and M_MMAP_THRESHOLD (malloc.h).
        return glibcMallopt(-1, trimThreshold) == 1 && glibcMallopt(-3, mmapThreshold) == 1
        #else
        return false
        #endif
    }()
}
