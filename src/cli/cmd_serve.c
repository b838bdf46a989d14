#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "http/api_tus.h"
#include "http/server.h"
#include "store/backup.h"
#include "ops/ops.h"
#include "store/store.h"

/* How often the database's WAL is folded back while serving. */
#define CHECKPOINT_MS 5000u
/* Descriptors asked for at most (Linux's default fs.nr_open). */
#define NOFILE_MAX ((rlim_t)1 << 20)

static int fail(const struct socc_error *err)
{
    fprintf(stderr, "socc: %s: %s\n", socc_err_name(err->code),
            err->detail[0] ? err->detail : socc_err_message(err->code));
    return socc_err_exit(err->code);
}

/*
 * Block SIGINT and SIGTERM in this thread before any other starts, so
 * every server thread inherits the mask and only sigwait() sees them.
 */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * Raise the soft descriptor limit to the hard one, so the server can hold
 * as many connections as the system lets this process have.
 */
static void raise_nofile(void)
{
    struct rlimit rl;
    rlim_t was;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
        return;
    was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max < NOFILE_MAX ? rl.rlim_max : NOFILE_MAX;
    if (rl.rlim_cur <= was)
        return;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        log_event(LOG_WARN, "http", "nofile_not_raised", NULL,
                  "soft=%llu hard=%llu", (unsigned long long)was,
                  (unsigned long long)rl.rlim_max);
}

static int wait_for_stop(const sigset_t *set)
{
    int sig = 0;

    while (sigwait(set, &sig) != 0)
        ;
    return sig;
}

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Graceful stop: refuse new work, give running uploads until the
 * deadline (a second signal cuts it short), then stop, which aborts
 * what is left.  The store's checkpointer folds the WAL in at close.
 * LIMIT: only uploads are waited for; a download still running when the
 * uploads are done is cut.
 */
static void drain(struct server *srv, const sigset_t *set)
{
    long long until = mono_ms() + server_shutdown_ms(srv), t0 = mono_ms();
    struct timespec tick = { 0, 50 * 1000000L };
    int again = 0, waited;

    server_quiesce(srv);
    while (server_busy(srv) && mono_ms() < until && !again)
        again = sigtimedwait(set, NULL, &tick) > 0;
    waited = server_busy(srv);
    log_event(waited ? LOG_WARN : LOG_INFO, "http", "drained", NULL,
              "ms=%lld aborted=%d second_signal=%d", mono_ms() - t0, waited,
              again);
    server_stop(srv);
}

int cmd_serve(int argc, char **argv)
{
    struct config cfg;
    struct socc_error err;
    struct store *st = NULL;
    struct server *srv = NULL;
    struct backup *bk = NULL;
    sigset_t set;
    unsigned port;
    int sig, rc = 0, lock;

    if (argc > 1) {
        fprintf(stderr, "socc: BAD_REQUEST: serve takes no arguments; "
                        "use SOCC_LISTEN and SOCC_DATA_DIR\n");
        return socc_err_exit(SOCC_E_BAD_REQUEST);
    }
    (void)argv;
    log_init_from_env();
    socc_error_clear(&err);
    if (config_load(&cfg, &err) != SOCC_OK)
        return fail(&err);
    block_signals(&set);
    raise_nofile();
    mkdir(cfg.data_dir, 0750);
    lock = cli_data_lock(cfg.data_dir, 0);
    if (lock == -2) {
        socc_error_set(&err, SOCC_E_UNAVAILABLE, "a restore is running on "
                       "%s; start the server when it has finished",
                       cfg.data_dir);
        return fail(&err);
    }
    if (cli_db_sound(cfg.data_dir, &err) != SOCC_OK ||
        store_open(cfg.data_dir, &st, &err) != SOCC_OK ||
        store_lock_dir(st, &err) != SOCC_OK ||
        cli_backup_open(st, &bk, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out_store;
    }
    /* blobs a crash left behind go now: those no upload, kept backup or
     * kept journal line names (backup_prune() knows all three) */
    if (backup_prune(bk, &err) != SOCC_OK)
        log_event(LOG_WARN, "backup", "prune_failed", NULL, "detail=\"%s\"",
                  err.detail);
    socc_error_clear(&err);
    if (backup_start(bk) != 0)
        log_event(LOG_WARN, "backup", "schedule_failed", NULL, "errno=%d",
                  errno);
    if (store_start_checkpointer(st, CHECKPOINT_MS) != 0)
        log_event(LOG_WARN, "http", "checkpointer_failed", NULL,
                  "interval_ms=%u", CHECKPOINT_MS);
    if (api_tus_start(&cfg, st, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out_store;
    }
    if (ops_start(st, &cfg, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out_tus;
    }
    if (server_start(&cfg, st, bk, &srv, &err) != SOCC_OK) {
        rc = fail(&err);
        goto out_ops;
    }
    /* after the bind: a server that cannot start prints no password */
    rc = cmd_user_bootstrap(st);
    if (rc != 0) {
        server_stop(srv);
        goto out_ops;
    }
    ops_set_ready(1);
    port = server_port(srv);
    log_event(LOG_INFO, "http", "started", NULL,
              "listen=%s port=%u schema=%d", cfg.listen, port,
              store_schema_version(st));
    sig = wait_for_stop(&set);
    log_event(LOG_INFO, "http", "stopping", NULL, "signal=%s",
              sig == SIGINT ? "SIGINT" : "SIGTERM");
    ops_set_ready(0);
    drain(srv, &set);
    log_event(LOG_INFO, "http", "stopped", NULL, "port=%u", port);

out_ops:
    ops_stop();
out_tus:
    api_tus_stop();
out_store:
    backup_close(bk);
    store_close(st);
    if (lock >= 0)
        close(lock);
    return rc;
}
