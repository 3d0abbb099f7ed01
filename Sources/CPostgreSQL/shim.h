#ifndef GENLEDGER_CPOSTGRESQL_SHIM_H
#define GENLEDGER_CPOSTGRESQL_SHIM_H

// libpq, PostgreSQL's client library (Debian's libpq-dev): a PostgreSQL ledger's connection.
#include <libpq-fe.h>

#endif
