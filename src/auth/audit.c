#include "auth/audit.h"

#include "core/log.h"

void audit_record(struct store *st, const struct auth_store_audit *a)
{
    struct socc_error err;
    char actor[160], company[160], target[160];

    socc_error_clear(&err);
    log_event(LOG_INFO, "auth", "audit", a->request_id,
              "action=%s outcome=%s actor=%s company=%s target=%s addr=%s",
              a->action, a->outcome,
              log_quote(actor, sizeof(actor), a->actor),
              log_quote(company, sizeof(company),
                        a->company ? a->company : "-"),
              log_quote(target, sizeof(target), a->target ? a->target : "-"),
              a->address ? a->address : "-");
    if (auth_store_audit_add(st, a, &err) != SOCC_OK)
        log_event(LOG_ERROR, "auth", "audit_lost", a->request_id,
                  "action=%s err=%s", a->action, socc_err_name(err.code));
}
