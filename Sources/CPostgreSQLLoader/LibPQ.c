// The PQ* functions GenLedger uses, each forwarding to libpq loaded with dlopen on first use
// (see include/CPostgreSQLLoader.h). libpq-fe.h is included so the compiler checks every
// definition here against libpq's own prototype.

#include "CPostgreSQLLoader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <postgresql/libpq-fe.h>

// name, return type, parameters, arguments
#define GENLEDGER_LIBPQ_FUNCTIONS(X) \
    X(PQconnectdb, PGconn *, (const char *conninfo), (conninfo)) \
    X(PQstatus, ConnStatusType, (const PGconn *conn), (conn)) \
    X(PQfinish, void, (PGconn *conn), (conn)) \
    X(PQreset, void, (PGconn *conn), (conn)) \
    X(PQerrorMessage, char *, (const PGconn *conn), (conn)) \
    X(PQtransactionStatus, PGTransactionStatusType, (const PGconn *conn), (conn)) \
    X(PQexec, PGresult *, (PGconn *conn, const char *query), (conn, query)) \
    X(PQprepare, PGresult *, (PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes), \
      (conn, stmtName, query, nParams, paramTypes)) \
    X(PQsendQueryParams, int, \
      (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, \
       const int *paramLengths, const int *paramFormats, int resultFormat), \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat)) \
    X(PQsendQueryPrepared, int, \
      (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues, const int *paramLengths, \
       const int *paramFormats, int resultFormat), \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat)) \
    X(PQenterPipelineMode, int, (PGconn *conn), (conn)) \
    X(PQexitPipelineMode, int, (PGconn *conn), (conn)) \
    X(PQpipelineSync, int, (PGconn *conn), (conn)) \
    X(PQgetResult, PGresult *, (PGconn *conn), (conn)) \
    X(PQclear, void, (PGresult *res), (res)) \
    X(PQresultStatus, ExecStatusType, (const PGresult *res), (res)) \
    X(PQresultErrorField, char *, (const PGresult *res, int fieldcode), (res, fieldcode)) \
    X(PQresultErrorMessage, char *, (const PGresult *res), (res)) \
    X(PQntuples, int, (const PGresult *res), (res)) \
    X(PQnfields, int, (const PGresult *res), (res)) \
    X(PQmakeEmptyPGresult, PGresult *, (PGconn *conn, ExecStatusType status), (conn, status)) \
    X(PQgetisnull, int, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(PQgetlength, int, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(PQgetvalue, char *, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num)) \
    X(PQftype, Oid, (const PGresult *res, int field_num), (res, field_num)) \
    X(PQcmdStatus, char *, (PGresult *res), (res))

#define GENLEDGER_LIBPQ_POINTER(name, result, parameters, arguments) static result(*loaded_##name) parameters;
GENLEDGER_LIBPQ_FUNCTIONS(GENLEDGER_LIBPQ_POINTER)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];

static void load(void) {
    // The soname Debian's libpq5 installs (the major version has been 5 since PostgreSQL 8),
    // or the file GENLEDGER_LIBPQ names.
    const char *path = getenv("GENLEDGER_LIBPQ");
    if (path == NULL || path[0] == 0) path = "libpq.so.5";
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_error, sizeof load_error, "cannot load libpq (%s), needed for a PostgreSQL ledger: %s", path, dlerror());
        return;
    }
#define GENLEDGER_LIBPQ_RESOLVE(name, result, parameters, arguments) \
    *(void **)(&loaded_##name) = dlsym(library, #name); \
    if (loaded_##name == NULL) { \
        snprintf(load_error, sizeof load_error, "the libpq loaded has no %s (PostgreSQL 14 or later is needed): %s", #name, dlerror()); \
        return; \
    }
    GENLEDGER_LIBPQ_FUNCTIONS(GENLEDGER_LIBPQ_RESOLVE)
}

const char *genledger_libpq_load(void) {
    pthread_once(&load_once, load);
    return load_error[0] == 0 ? NULL : load_error;
}

// Callers load first (a PostgreSQL connection does); a call before that loads here, and a
// libpq that cannot be loaded then ends the process with the reason rather than a null call.
static void require_loaded(void) {
    const char *error = genledger_libpq_load();
    if (error != NULL) {
        fprintf(stderr, "genledger: %s\n", error);
        abort();
    }
}

#define GENLEDGER_LIBPQ_FORWARD(name, result, parameters, arguments) \
    result name parameters { \
        require_loaded(); \
        return loaded_##name arguments; \
    }
GENLEDGER_LIBPQ_FUNCTIONS(GENLEDGER_LIBPQ_FORWARD)
