/*
 * What counts as a secret in a config: the rules, as pure functions, that
 * the loader (config.c, confmap.c) applies to decide which values reports
 * and logs must not show. A value is secret when it came from a variable
 * whose name says so, from a variable listed under `secrets:`, or from a
 * secret position (a DSN's password, a credential header, a webhook URL).
 * The rule is documented for operators in docs/secrets.md. Also the one
 * way secrets are taken out of text (secret_redact).
 */
#ifndef UPKEEP_SECRET_H
#define UPKEEP_SECRET_H

#include <stdbool.h>

#include "util/strv.h"

/*
 * Values shorter than this are never redacted: replacing every "ab" would
 * garble all output, and a two-character password protects nothing.
 */
#define SECRET_MIN_LEN 3

/* What a secret is replaced with. */
#define SECRET_MARKER "<redacted>"

/*
 * A copy of s with every secret replaced by SECRET_MARKER, in one pass,
 * the longest secret first at each position: a secret that is part of
 * another, or of the marker itself, cannot leak a piece or loop.
 */
char *secret_redact(const struct strv *secrets, const char *s);

/*
 * True when a variable or header name says its value is secret: one of its
 * components (split at '_', '-', '.' and camelCase humps, case ignored) is
 * a secret word (PASSWORD, TOKEN, KEY, ...; see secret.c and
 * docs/secrets.md), or ends in one of the long ones (PGPASSWORD).
 */
bool secret_name(const char *name);

/*
 * Appends to out the password of a PostgreSQL connection string, both as
 * libpq reads it (key=value with its quotes and backslash escapes, URI
 * forms percent-decoded) and as it is written (percent-encoded, quoted),
 * so it is redacted from libpq's own messages too. The text is searched
 * for "password=" and a URI's "user:password@" (up to the first '@', as
 * libpq reads it, and up to the last, as a person meant it), so a dsn
 * libpq cannot parse still has its password found; no libpq call, so that
 * loading a config does not load libpq. Appends nothing when there is no
 * password.
 */
void secret_dsn_passwords(const char *dsn, struct strv *out);

/*
 * Appends to out the secret parts of an HTTP header when its name is a
 * credential (Authorization, Proxy-Authorization, Cookie, or any name
 * secret_name() accepts, like X-Api-Key): the whole value and, for
 * "Scheme credentials", the credentials alone.
 */
void secret_header(const char *name, const char *value, struct strv *out);

#endif
