#ifndef GENLEDGER_CPOSTGRESQL_SHIM_H
#define GENLEDGER_CPOSTGRESQL_SHIM_H

// libpq's declarations (Debian's libpq-dev): a PostgreSQL ledger's connection. The library
// itself is not linked: the functions GenLedger calls are defined by CPostgreSQLLoader, which
// loads libpq on first use.
#include <postgresql/libpq-fe.h>

#endif
