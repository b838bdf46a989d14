#ifndef SOCC_AUDIT_H
#define SOCC_AUDIT_H

/*
 * The audit log: who did what to which company, when, from where.  Each
 * event goes to the database (readable by admins: GET /api/audit) and to
 * the log as ev=audit.  Logins, failed logins, uploads, deletes,
 * rollbacks, restores, token and user changes.
 */

#include "store/auth_store.h"
#include "store/store.h"

/*
 * Record one event (a's strings are borrowed).  A database failure is
 * logged at error level and otherwise ignored: the action it describes
 * has already happened.
 */
void audit_record(struct store *st, const struct auth_store_audit *a);

#endif
