/*
 * socc upload --url URL --company C --tool T FILE...: send files to a
 * socc server by tus 1.0.0, resumably.  Each file is created, then sent
 * in chunks (PATCH with a sha256 checksum each); after a failure the
 * offset is asked again (HEAD) and the upload goes on from there.  The
 * upload URL is remembered per file content (upload_state.h), so running
 * the command again after an interruption sends only the rest.
 *
 * Failures that may pass (no connection, timeouts, 5xx, 423, 429, a
 * checksum refused) are retried with exponential backoff and full
 * jitter, honouring Retry-After; refusals of the request (other 4xx) are
 * final at once.  A circuit breaker stops trying further files after
 * several files in a row found no working server.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/backoff.h"
#include "cli/breaker.h"
#include "cli/cli.h"
#include "cli/tus_client.h"
#include "cli/upload_state.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/sha256.h"
#include "http/upload.h"

#define CHUNK_DEFAULT (4u << 20)
#define CHUNK_MIN 1024u
#define CHUNK_MAX (256u << 20)
#define BREAKER_THRESHOLD 3u
#define BREAKER_COOLDOWN_MS 30000u
#define RETRY_AFTER_MAX_S 600L

/* What the command line asks for; strings borrowed from argv. */
struct opts {
    const char *url, *company, *tool;
    unsigned long chunk;
    unsigned retries, base_ms, max_ms;
    long connect_s, idle_s, limit_rate;
    unsigned breaker_k, cooldown_ms;
    int quiet, help, first_file;
};

/* One run of the command. */
struct run {
    struct opts o;
    struct tus_client cl;
    struct backoff bo;
    struct breaker br;
    char state_path[1100];       /* "" when no state file can be kept */
    int bar;                     /* draw a progress bar on stderr */
    unsigned char *buf;          /* one chunk, owned */
};

/* One file being sent. */
struct job {
    const char *file;            /* as given */
    const char *name;            /* base name, sent as metadata */
    int fd;
    uint64_t size;
    char sha[65];
    char state_key[65];          /* what the state file knows it by */
    char url[1100];              /* the upload, "" before creation */
    uint64_t resumed_at;         /* offset found at the start */
    int resumed;
    uint64_t sent;               /* body bytes sent in all */
    uint64_t chunk_at;           /* offset of the chunk in flight */
    int64_t drawn_ms;            /* last progress bar redraw */
    struct run *run;             /* borrowed */
};

/* How a file ended. */
struct outcome {
    enum socc_err code;
    int no_server;               /* retries ran out: counts for the breaker */
    char detail[400];
    struct tus_answer fin;       /* the last answer, owned */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- progress ----------------------------------------------------------- */

static void draw(struct job *j, uint64_t done, int final)
{
    char bar[31];
    unsigned pct = j->size ? (unsigned)(done * 100 / j->size) : 100, i;

    for (i = 0; i < 30; i++)
        bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%-30.30s [%s] %3u%% %.1f/%.1f MB%s", j->name, bar, pct,
            (double)done / 1e6, (double)j->size / 1e6, final ? "\n" : "");
    fflush(stderr);
}

static void on_progress(void *ctx, uint64_t sent)
{
    struct job *j = ctx;
    int64_t t = now_ms();

    if (t - j->drawn_ms < 100)
        return;
    j->drawn_ms = t;
    draw(j, j->chunk_at + sent, 0);
}

/* ---- one file ----------------------------------------------------------- */

/*
 * LIMIT: the file is read once to hash it before sending (the hash names
 * its remembered upload), so a 50 MB file costs a local read first.
 */
static enum socc_err open_file(struct job *j, struct socc_error *err)
{
    struct stat sb;
    const char *slash = strrchr(j->file, '/');

    j->name = slash ? slash + 1 : j->file;
    j->fd = open(j->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (j->fd < 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "cannot open: %s",
                              strerror(errno));
    if (fstat(j->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "not a regular file");
    j->size = (uint64_t)sb.st_size;
    if (sha256_file_hex(j->file, j->sha) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "cannot read: %s",
                              strerror(errno));
    return SOCC_OK;
}

/* The server's error code in a refusal, or fallback. */
static enum socc_err answer_code(const struct tus_answer *a,
                                 enum socc_err fallback)
{
    char name[64];
    enum socc_err e;

    if (tus_answer_field(a, "error", "code", name, sizeof(name)) == 0 &&
        socc_err_from_name(name, &e) == 0)
        return e;
    return fallback;
}

/* 1 when the answer is a failure that may pass if tried again. */
static int retryable(const struct tus_answer *a)
{
    if (a->curl != CURLE_OK)
        return 1;
    if (a->status == 507)
        return 0;   /* a full disk does not empty itself in seconds */
    return a->status >= 500 || a->status == 408 || a->status == 423 ||
           a->status == 429 || a->status == 460;
}

/* Words for a failed answer into out. */
static void describe(const struct tus_answer *a, char *out, size_t n)
{
    char msg[300];

    if (a->curl != CURLE_OK)
        snprintf(out, n, "%s", a->curl_err);
    else if (tus_answer_field(a, "error", "message", msg, sizeof(msg)) == 0)
        snprintf(out, n, "HTTP %ld: %s", a->status, msg);
    else
        snprintf(out, n, "HTTP %ld", a->status);
}

static void forget(struct job *j)
{
    if (j->run->state_path[0] && j->url[0])
        upload_state_del(j->run->state_path, j->url);
}

/* A final refusal: the outcome from the answer (moved into o). */
static enum socc_err refused(struct job *j, struct tus_answer *a,
                             struct outcome *o)
{
    o->code = answer_code(a, SOCC_E_BAD_REQUEST);
    describe(a, o->detail, sizeof(o->detail));
    tus_answer_release(&o->fin);
    o->fin = *a;
    a->body = NULL;
    forget(j);
    return o->code;
}

/*
 * Wait before retry number *tries, or give up when they ran out.  0 to
 * go on, else the outcome is set.
 */
static int wait_retry(struct job *j, struct tus_answer *a, unsigned *tries,
                      struct outcome *o)
{
    struct run *x = j->run;
    char why[400];
    int64_t delay;

    describe(a, why, sizeof(why));
    if (*tries >= x->o.retries) {
        o->code = a->status >= 500 ? answer_code(a, SOCC_E_UNAVAILABLE)
                                   : SOCC_E_UNAVAILABLE;
        o->no_server = 1;
        snprintf(o->detail, sizeof(o->detail), "gave up after %u retries: "
                 "%.300s; run the command again to resume", *tries, why);
        return -1;
    }
    delay = backoff_delay(&x->bo, *tries);
    if (a->retry_after_s >= 0)
        delay = (a->retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S
                                                      : a->retry_after_s) *
                1000;
    (*tries)++;
    if (x->bar)
        fputc('\n', stderr);
    fprintf(stderr, "socc: retry %u/%u for %s in %lld ms: %s\n", *tries,
            x->o.retries, j->file, (long long)delay, why);
    sleep_ms(delay);
    return 0;
}

/*
 * POST a creation; 0 with j->url set, 1 to retry, -1 when final, -2 when
 * out of memory.
 */
static int create(struct job *j, struct tus_answer *a, struct outcome *o)
{
    struct run *x = j->run;

    if (tus_client_create(&x->cl, j->size, j->name, x->o.company, x->o.tool,
                          a) != 0)
        return -2;
    if (a->status == 201 && a->location[0] && a->offset <= 0) {
        snprintf(j->url, sizeof(j->url), "%s", a->location);
        if (x->state_path[0] &&
            upload_state_put(x->state_path, j->state_key, j->size,
                             j->url) != 0)
            fprintf(stderr, "socc: warning: cannot remember the upload in "
                    "%s; an interrupted upload will start over\n",
                    x->state_path);
        return 0;
    }
    if (a->status == 201 || retryable(a))
        return 1;
    refused(j, a, o);
    return -1;
}

/* PATCH the chunk at *offset; the answer in a. */
static int send_chunk(struct job *j, uint64_t offset, struct tus_answer *a)
{
    struct run *x = j->run;
    size_t n = j->size - offset < x->o.chunk ? (size_t)(j->size - offset)
                                             : x->o.chunk;
    ssize_t r = n ? pread(j->fd, x->buf, n, (off_t)offset) : 0;

    if (r != (ssize_t)n)
        return -1;
    j->chunk_at = offset;
    x->cl.on_progress = x->bar ? on_progress : NULL;
    x->cl.progress_ctx = j;
    if (tus_client_patch(&x->cl, j->url, offset, x->buf, n,
                         offset + n == j->size, a) != 0)
        return -1;
    j->sent += a->sent;
    return 0;
}

/*
 * Where to go on after a HEAD: *offset, or no URL (create anew) when the
 * server does not have the upload any more.  0: go on at once.
 */
static int after_head(struct job *j, const struct tus_answer *a,
                      int64_t *offset)
{
    if (a->status == 200 && a->offset >= 0 &&
        (uint64_t)a->offset <= j->size) {
        *offset = a->offset;
        if (!j->resumed && a->offset > 0) {
            j->resumed = 1;
            j->resumed_at = (uint64_t)a->offset;
        }
        return 0;
    }
    forget(j);   /* expired, removed, or not ours: start over */
    j->url[0] = '\0';
    return 0;
}

/*
 * What a PATCH answer means: 2 done (the answer moved into o), 0 go on
 * (at *offset, -1 to ask), 1 retry, -1 final refusal.
 */
static int after_patch(struct job *j, struct tus_answer *a, int64_t *offset,
                       unsigned *tries, struct outcome *o)
{
    if (a->status == 201) {
        o->code = SOCC_OK;
        tus_answer_release(&o->fin);
        o->fin = *a;
        a->body = NULL;
        forget(j);
        return 2;
    }
    if (a->status == 204 && a->offset > *offset) {
        *offset = a->offset;
        *tries = 0;   /* progress: the retry budget starts again */
        return 0;
    }
    if (a->status == 409 &&
        answer_code(a, SOCC_E_OK) == SOCC_E_OFFSET_MISMATCH) {
        *offset = -1;   /* ask where the server is */
        return (*tries)++ < j->run->o.retries ? 0 : 1;
    }
    if (retryable(a))
        return 1;
    refused(j, a, o);
    return -1;
}

/* Send one file to the end; the outcome in *o. */
static enum socc_err send_file(struct job *j, struct outcome *o)
{
    struct tus_answer a;
    unsigned tries = 0;
    int64_t offset = -1;
    int step;

    for (;;) {
        memset(&a, 0, sizeof(a));
        if (!j->url[0]) {
            step = create(j, &a, o);
            offset = step == 0 ? 0 : -1;
        } else if (offset < 0) {
            if (tus_client_head(&j->run->cl, j->url, &a) != 0)
                step = -2;
            else if (a.status == 200 || a.status == 404 || a.status == 410)
                step = after_head(j, &a, &offset);
            else
                step = retryable(&a) ? 1 : (refused(j, &a, o), -1);
        } else if (send_chunk(j, (uint64_t)offset, &a) != 0) {
            step = -2;
        } else {
            step = after_patch(j, &a, &offset, &tries, o);
            if (step == 2)
                return SOCC_OK;
        }
        if (step == -2) {
            snprintf(o->detail, sizeof(o->detail), "out of memory or the "
                     "file could not be read");
            o->code = SOCC_E_INTERNAL;
        }
        if (step < 0) {
            tus_answer_release(&a);
            return o->code;
        }
        if (step == 1) {
            offset = -1;
            if (wait_retry(j, &a, &tries, o) != 0) {
                tus_answer_release(&a);
                return o->code;
            }
        }
        tus_answer_release(&a);
    }
}

/* Print the outcome of a file: a line on stdout, or the error on stderr. */
static int report(struct job *j, struct outcome *o)
{
    char id[32] = "?", rec[32] = "?", sh[32] = "?", hash[80] = "?",
         ms[32] = "?", ex[32], exf[300] = "", ext[64] = "", exat[64] = "";

    if (j->run->bar && o->code == SOCC_OK)
        draw(j, j->size, 1);
    if (o->code == SOCC_OK) {
        tus_answer_field(&o->fin, NULL, "id", id, sizeof(id));
        tus_answer_field(&o->fin, NULL, "record_count", rec, sizeof(rec));
        tus_answer_field(&o->fin, NULL, "sheet_count", sh, sizeof(sh));
        tus_answer_field(&o->fin, NULL, "file_hash", hash, sizeof(hash));
        tus_answer_field(&o->fin, NULL, "processing_ms", ms, sizeof(ms));
        printf("%s: id=%s records=%s sheets=%s sha256=%s ms=%s sent=%" PRIu64
               "%s", j->file, id, rec, sh, hash, ms, j->sent,
               j->resumed ? " resumed_at=" : "\n");
        if (j->resumed)
            printf("%" PRIu64 "\n", j->resumed_at);
        fflush(stdout);
        return 0;
    }
    if (j->run->bar)
        fputc('\n', stderr);
    fprintf(stderr, "socc: %s: %s: %s", socc_err_name(o->code), j->file,
            o->detail[0] ? o->detail : socc_err_message(o->code));
    if (o->code == SOCC_E_DUPLICATE_FILE &&
        tus_answer_field(&o->fin, "error.existing", "id", ex, sizeof(ex)) ==
            0) {
        tus_answer_field(&o->fin, "error.existing", "filename", exf,
                         sizeof(exf));
        tus_answer_field(&o->fin, "error.existing", "tool_type", ext,
                         sizeof(ext));
        tus_answer_field(&o->fin, "error.existing", "uploaded_at", exat,
                         sizeof(exat));
        fprintf(stderr, " (upload %s '%s', %s, %s)", ex, exf, ext, exat);
    }
    fputc('\n', stderr);
    return socc_err_exit(o->code);
}

/*
 * An unfinished upload is remembered for the file's content, company and
 * tool type together: the same file sent again for another company must
 * start a new upload, never finish the first company's one.
 */
static void state_key(struct job *j, const struct run *x)
{
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "%s\n%s\n%s", j->sha, x->o.company, x->o.tool);
    sha256_hex(b.data ? b.data : "", b.len, j->state_key);
    buf_release(&b);
}

static int upload_one(struct run *x, const char *file)
{
    struct job j;
    struct outcome o;
    struct socc_error err;
    int rc;

    memset(&j, 0, sizeof(j));
    memset(&o, 0, sizeof(o));
    j.file = file;
    j.run = x;
    socc_error_clear(&err);
    if (open_file(&j, &err) != SOCC_OK) {
        o.code = err.code;
        snprintf(o.detail, sizeof(o.detail), "%s", err.detail);
    } else {
        state_key(&j, x);
        if (x->state_path[0])
            upload_state_get(x->state_path, j.state_key, j.size, x->cl.base,
                             j.url, sizeof(j.url));
        send_file(&j, &o);
    }
    if (j.fd > 0)
        close(j.fd);
    rc = report(&j, &o);
    if (o.no_server)
        breaker_failure(&x->br, now_ms());
    else if (o.code == SOCC_OK || o.fin.status > 0)
        breaker_success(&x->br);   /* the server answered */
    tus_answer_release(&o.fin);
    return rc;
}

/* ---- the command -------------------------------------------------------- */

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: socc upload --url URL --company C --tool T [options] "
            "FILE...\n"
            "  --chunk-size BYTES        bytes per PATCH (default 4194304)\n"
            "  --retries N               retries after a failure "
            "(MAX_RETRY_ATTEMPTS, 3)\n"
            "  --retry-base-ms MS        first backoff ceiling "
            "(RETRY_BASE_DELAY, 1000)\n"
            "  --retry-max-ms MS         largest backoff ceiling "
            "(RETRY_MAX_DELAY, 10000)\n"
            "  --connect-timeout S       seconds to connect (10)\n"
            "  --idle-timeout S          seconds without progress (60)\n"
            "  --breaker-threshold N     files failing in a row that open "
            "the circuit (3)\n"
            "  --breaker-cooldown-ms MS  pause of an open circuit (30000)\n"
            "  --limit-rate BYTES        bytes per second at most\n"
            "  --quiet                   no progress bar\n"
            "state of unfinished uploads: SOCC_UPLOAD_STATE, else "
            "$XDG_STATE_HOME/socc/uploads\n"
            "API token (socc token create): SOCC_TOKEN\n");
}

static int num(const char *s, unsigned long lo, unsigned long hi,
               unsigned long *out)
{
    char *end;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno || *end || *out < lo || *out > hi ? -1 : 0;
}

/* One numeric option into its field; 0 or -1. */
static int set_num(struct opts *o, int c, const char *v)
{
    unsigned long n;

    switch (c) {
    case 'k':
        return num(v, CHUNK_MIN, CHUNK_MAX, &o->chunk);
    case 'r':
        return num(v, 0, 100, &n) ? -1 : (o->retries = (unsigned)n, 0);
    case 'b':
        return num(v, 0, 3600000, &n) ? -1 : (o->base_ms = (unsigned)n, 0);
    case 'm':
        return num(v, 0, 3600000, &n) ? -1 : (o->max_ms = (unsigned)n, 0);
    case 'C':
        return num(v, 1, 3600, &n) ? -1 : (o->connect_s = (long)n, 0);
    case 'I':
        return num(v, 1, 86400, &n) ? -1 : (o->idle_s = (long)n, 0);
    case 'K':
        return num(v, 1, 1000, &n) ? -1 : (o->breaker_k = (unsigned)n, 0);
    case 'D':
        return num(v, 0, 86400000, &n) ? -1
                                       : (o->cooldown_ms = (unsigned)n, 0);
    case 'L':
        return num(v, 1, 1ul << 40, &n) ? -1 : (o->limit_rate = (long)n, 0);
    default:
        return -1;
    }
}

static enum socc_err parse(int argc, char **argv, struct opts *o,
                           struct socc_error *err)
{
    static const struct option opts[] = {
        { "url", required_argument, NULL, 'u' },
        { "company", required_argument, NULL, 'c' },
        { "tool", required_argument, NULL, 't' },
        { "chunk-size", required_argument, NULL, 'k' },
        { "retries", required_argument, NULL, 'r' },
        { "retry-base-ms", required_argument, NULL, 'b' },
        { "retry-max-ms", required_argument, NULL, 'm' },
        { "connect-timeout", required_argument, NULL, 'C' },
        { "idle-timeout", required_argument, NULL, 'I' },
        { "breaker-threshold", required_argument, NULL, 'K' },
        { "breaker-cooldown-ms", required_argument, NULL, 'D' },
        { "limit-rate", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, idx = 0;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":u:c:t:qh", opts, &idx)) != -1) {
        if (c == 'u')
            o->url = optarg;
        else if (c == 'c')
            o->company = optarg;
        else if (c == 't')
            o->tool = optarg;
        else if (c == 'q')
            o->quiet = 1;
        else if (c == 'h')
            o->help = 1;
        else if (c == ':' || c == '?')
            return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s option '%.64s'",
                                  c == ':' ? "missing value for"
                                           : "unknown",
                                  argv[optind - 1]);
        else if (set_num(o, c, optarg) != 0)
            return socc_error_set(err, SOCC_E_BAD_REQUEST, "bad value "
                                  "'%.64s' for --%s", optarg, opts[idx].name);
    }
    o->first_file = optind;
    return SOCC_OK;
}

/* Defaults from the environment, then the options; checks. */
static enum socc_err read_opts(int argc, char **argv, struct opts *o,
                               struct socc_error *err)
{
    struct config cfg;
    enum socc_err e;

    memset(o, 0, sizeof(*o));
    if (config_load(&cfg, err) != SOCC_OK)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s", err->detail);
    o->chunk = CHUNK_DEFAULT;
    o->retries = cfg.retry_logic ? cfg.max_retry_attempts : 0;
    o->base_ms = cfg.retry_base_delay_ms;
    o->max_ms = cfg.retry_max_delay_ms;
    o->connect_s = 10;
    o->idle_s = 60;
    o->breaker_k = BREAKER_THRESHOLD;
    o->cooldown_ms = BREAKER_COOLDOWN_MS;
    e = parse(argc, argv, o, err);
    if (e != SOCC_OK || o->help)
        return e;
    if (!o->url || (strncmp(o->url, "http://", 7) != 0 &&
                    strncmp(o->url, "https://", 8) != 0))
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "--url must be an "
                              "http:// or https:// address of a socc server");
    if (!o->company || upload_company_ok((char *)o->company) != 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "--company must be "
                              "1-%d printable characters", UPLOAD_COMPANY_MAX);
    if (!o->tool || !*o->tool)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "--tool is required");
    if (o->first_file >= argc)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "no FILE given");
    return SOCC_OK;
}

static int start(struct run *x, struct socc_error *err)
{
    if (tus_client_init(&x->cl, x->o.url) != 0 ||
        !(x->buf = malloc(x->o.chunk)))
        return socc_error_set(err, SOCC_E_INTERNAL, "out of memory"), -1;
    x->cl.connect_timeout_s = x->o.connect_s;
    x->cl.idle_timeout_s = x->o.idle_s;
    x->cl.limit_rate = x->o.limit_rate;
    /* the API token comes from the environment, never the command line,
     * where other users of the machine could read it in the process list */
    if (getenv("SOCC_TOKEN") && *getenv("SOCC_TOKEN")) {
        const char *t = getenv("SOCC_TOKEN");
        size_t i;

        for (i = 0; t[i]; i++)
            if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f)
                return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TOKEN "
                                      "holds a blank or control character"),
                       -1;
        if (i > 256)
            return socc_error_set(err, SOCC_E_BAD_REQUEST, "SOCC_TOKEN is "
                                  "longer than 256 characters"), -1;
        snprintf(x->cl.auth, sizeof(x->cl.auth), "Authorization: Bearer %s",
                 t);
    }
    backoff_init(&x->bo, x->o.retries, x->o.base_ms, x->o.max_ms, 0);
    breaker_init(&x->br, x->o.breaker_k, x->o.cooldown_ms);
    x->bar = !x->o.quiet && isatty(STDERR_FILENO);
    if (upload_state_path(x->state_path, sizeof(x->state_path)) != 0)
        x->state_path[0] = '\0';
    return 0;
}

/* Before a file: wait out an open circuit; 0 to go, -1 when tripped. */
static int circuit(struct run *x, const char *file)
{
    int64_t w = breaker_wait(&x->br, now_ms());

    if (w > 0) {
        fprintf(stderr, "socc: circuit open: %u files in a row found no "
                "working server; waiting %lld ms before trying %s\n",
                x->br.fails, (long long)w, file);
        sleep_ms(w);
        w = breaker_wait(&x->br, now_ms());
    }
    if (w < 0) {
        fprintf(stderr, "socc: UNAVAILABLE: %s: not tried: the circuit is "
                "open (the server failed again after the pause)\n", file);
        return -1;
    }
    return 0;
}

int cmd_upload(int argc, char **argv)
{
    struct run x;
    struct socc_error err;
    int i, rc = 0, one;

    memset(&x, 0, sizeof(x));
    socc_error_clear(&err);
    if (read_opts(argc, argv, &x.o, &err) != SOCC_OK) {
        fprintf(stderr, "socc: %s: %s\nusage: socc upload --url URL "
                "--company C --tool T [options] FILE... (--help: options)\n",
                socc_err_name(err.code), err.detail);
        return socc_err_exit(err.code);
    }
    if (x.o.help) {
        usage(stdout);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (start(&x, &err) != 0) {
        fprintf(stderr, "socc: %s: %s\n", socc_err_name(err.code), err.detail);
        rc = socc_err_exit(err.code);
        goto out;
    }
    for (i = x.o.first_file; i < argc; i++) {
        one = circuit(&x, argv[i]) == 0
                  ? upload_one(&x, argv[i])
                  : socc_err_exit(SOCC_E_UNAVAILABLE);
        if (one)
            rc = one;
    }
out:
    free(x.buf);
    tus_client_release(&x.cl);
    curl_global_cleanup();
    return rc;
}
