#ifndef GENLEDGER_CPOSTGRESQL_LOADER_H
#define GENLEDGER_CPOSTGRESQL_LOADER_H

// libpq is loaded on first use (dlopen), not at every start of genledger: linked, it and the
// libraries it needs (Kerberos, LDAP, GnuTLS, p11-kit: 19 of them) cost every process about
// 5 ms before main, whether or not it ever opens a PostgreSQL ledger (docs/BENCHMARKS.md).
// The PQ* functions GenLedger calls are defined in LibPQ.c with libpq's own prototypes and
// forward to the loaded library.

// NULL once libpq is loaded (on the first call, then at once); otherwise why it could not be.
const char *genledger_libpq_load(void);

#endif
