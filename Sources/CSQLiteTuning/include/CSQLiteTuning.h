#ifndef CSQLITETUNING_H
#define CSQLITETUNING_H

/// Configures the process's SQLite library before its first use (sqlite3_config is
/// variadic, so Swift cannot call it): multi-thread mode, in which SQLite takes no
/// mutex of its own around each call on a connection, and no memory statistics, which
/// take a global mutex on every allocation. Safe because every connection is used by
/// one thread at a time (GRDB's SerializedDatabase, and SQLiteInlineReaders' checkout).
///
/// Returns 0, or SQLite's error: SQLITE_MISUSE (21) when the library was already
/// initialized in this process, in which case its defaults stay.
int multica_sqlite_configure(void);

#endif
