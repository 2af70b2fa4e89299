/*
 * libpq, loaded when first needed (see util/lazylib.h): pg_lib and one
 * stub per libpq function upkeep calls. Not linked at start: `upkeep
 * check` or the idle daemon need none of libpq's twenty-odd libraries
 * (Kerberos, LDAP, OpenSSL). pg.c loads it before its first connection;
 * a new libpq call elsewhere needs a line here (the link fails without).
 */
#include "pg.h"

#include <libpq-events.h>
#include <libpq-fe.h>

#include "util/lazylib.h"

struct lazylib pg_lib = {
	.soname = "libpq.so.5",
	.package = "libpq5",
	.needed_for = "PostgreSQL steps and checks",
};

int pg_lib_load(void)
{
	return lazylib_load(&pg_lib);
}

#define PQ_FN(ret, name, params, args) \
	LAZYLIB_FN(pg_lib, ret, name, params, args)
#define PQ_FNV(name, params, args) LAZYLIB_VOID(pg_lib, name, params, args)

PQ_FN(int, PQcancel, (PGcancel *a, char *b, int c), (a, b, c))
PQ_FNV(PQclear, (PGresult *a), (a))
PQ_FN(PostgresPollingStatusType, PQconnectPoll, (PGconn *a), (a))
PQ_FN(PGconn *, PQconnectStart, (const char *a), (a))
PQ_FN(PGconn *, PQconnectStartParams, (const char *const *a,
	const char *const *b, int c), (a, b, c))
PQ_FNV(PQconninfoFree, (PQconninfoOption *a), (a))
PQ_FN(PQconninfoOption *, PQconninfoParse, (const char *a, char **b), (a, b))
PQ_FN(int, PQconsumeInput, (PGconn *a), (a))
PQ_FN(char *, PQdb, (const PGconn *a), (a))
PQ_FN(char *, PQerrorMessage, (const PGconn *a), (a))
PQ_FN(char *, PQescapeIdentifier, (PGconn *a, const char *b, size_t c), (a, b,
	c))
PQ_FNV(PQfinish, (PGconn *a), (a))
PQ_FN(int, PQflush, (PGconn *a), (a))
PQ_FNV(PQfreeCancel, (PGcancel *a), (a))
PQ_FNV(PQfreemem, (void *a), (a))
PQ_FN(PGcancel *, PQgetCancel, (PGconn *a), (a))
PQ_FN(PGresult *, PQgetResult, (PGconn *a), (a))
PQ_FN(int, PQgetisnull, (const PGresult *a, int b, int c), (a, b, c))
PQ_FN(char *, PQgetvalue, (const PGresult *a, int b, int c), (a, b, c))
PQ_FN(char *, PQhost, (const PGconn *a), (a))
PQ_FN(void *, PQinstanceData, (const PGconn *a, PGEventProc b), (a, b))
PQ_FN(int, PQisBusy, (PGconn *a), (a))
PQ_FN(int, PQnfields, (const PGresult *a), (a))
PQ_FN(int, PQntuples, (const PGresult *a), (a))
PQ_FN(const char *, PQparameterStatus, (const PGconn *a, const char *b), (a,
	b))
PQ_FN(char *, PQport, (const PGconn *a), (a))
PQ_FN(int, PQregisterEventProc, (PGconn *a, PGEventProc b, const char *c,
	void *d), (a, b, c, d))
PQ_FN(char *, PQresStatus, (ExecStatusType a), (a))
PQ_FN(char *, PQresultErrorField, (const PGresult *a, int b), (a, b))
PQ_FN(char *, PQresultErrorMessage, (const PGresult *a), (a))
PQ_FN(ExecStatusType, PQresultStatus, (const PGresult *a), (a))
PQ_FN(int, PQsendQuery, (PGconn *a, const char *b), (a, b))
PQ_FN(int, PQsendQueryParams, (PGconn *a, const char *b, int c, const Oid *d,
	const char *const *e, const int *f, const int *g, int h), (a, b, c, d,
	e, f, g, h))
PQ_FN(int, PQserverVersion, (const PGconn *a), (a))
PQ_FN(int, PQsetInstanceData, (PGconn *a, PGEventProc b, void *c), (a, b, c))
PQ_FN(PQnoticeReceiver, PQsetNoticeReceiver, (PGconn *a, PQnoticeReceiver b,
	void *c), (a, b, c))
PQ_FN(int, PQsetnonblocking, (PGconn *a, int b), (a, b))
PQ_FN(int, PQsocket, (const PGconn *a), (a))
PQ_FN(ConnStatusType, PQstatus, (const PGconn *a), (a))
