#ifndef GENLEDGER_CSQLITE_SHIM_H
#define GENLEDGER_CSQLITE_SHIM_H

#include <sqlite3.h>

// sqlite3_db_config is variadic, which Swift cannot call: wrap the one use we need.
static inline int genledger_sqlite3_enable_defensive(sqlite3 *db) {
    int enabled = 0;
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &enabled);
    if (rc != SQLITE_OK) return rc;
    return enabled ? SQLITE_OK : SQLITE_ERROR;
}

// sqlite3_config is variadic too. Before SQLite initializes: no allocation statistics, which
// took a process-wide mutex around every malloc and free (3 % of a projection rebuild).
static inline int genledger_sqlite3_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

// Tests play an attacker who edits the file directly: they need defensive mode off.
static inline int genledger_sqlite3_disable_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)0);
}

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
static inline int genledger_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *bytes, int count) {
    return sqlite3_bind_blob(stmt, index, bytes, count, SQLITE_TRANSIENT);
}

static inline int genledger_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int count) {
    return sqlite3_bind_text(stmt, index, text, count, SQLITE_TRANSIENT);
}

// Binds bytes owned by another statement's current row, without a copy (SQLITE_STATIC): the
// caller rebinds before every step and clears the bindings before that row goes away.
static inline int genledger_sqlite3_bind_text_static(sqlite3_stmt *stmt, int index, const void *text, int count) {
    return sqlite3_bind_text(stmt, index, (const char *)text, count, SQLITE_STATIC);
}

static inline int genledger_sqlite3_bind_blob_static(sqlite3_stmt *stmt, int index, const void *bytes, int count) {
    return sqlite3_bind_blob(stmt, index, bytes, count, SQLITE_STATIC);
}

#endif
