/*
 * socc ingest --company C --tool T FILE...: the upload pipeline on local
 * files, without a server.  Each file is copied into the data dir while
 * being hashed (the "receiving" stage), then handed to the pipeline.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/sha256.h"
#include "http/upload.h"
#include "ingest/pipeline.h"
#include "store/store.h"

/* One chunk from in to out: in the kernel when it can, else by read/write. */
static ssize_t copy_chunk(int in, int out, int *kernel)
{
    static char blk[1 << 20];
    ssize_t n, w, done = 0;

    if (*kernel) {
        n = copy_file_range(in, NULL, out, NULL, 1 << 24, 0);
        if (n >= 0 || (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
                       errno != EOPNOTSUPP))
            return n;
        *kernel = 0;   /* another file system: fall back for good */
    }
    n = read(in, blk, sizeof(blk));
    while (n > 0 && done < n) {
        w = write(out, blk + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        done += w;
    }
    return n;
}

static enum socc_err copy_in(int in, int out, const struct config *cfg,
                             uint64_t *size, struct socc_error *err)
{
    int kernel = 1;
    ssize_t n;

    for (;;) {
        n = copy_chunk(in, out, &kernel);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return socc_error_set(err, errno == ENOSPC ? SOCC_E_STORAGE_FULL
                                  : SOCC_E_INTERNAL, "cannot copy: %s",
                                  strerror(errno));
        if (n == 0)
            return SOCC_OK;
        *size += (uint64_t)n;
        if (*size > cfg->max_file_size)
            return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "larger than "
                                  "MAX_FILE_SIZE (%llu bytes)",
                                  (unsigned long long)cfg->max_file_size);
    }
}

/*
 * Open src for reading without blocking in open() (a FIFO with no writer
 * would wait forever), and only when it is a regular file no larger than
 * MAX_FILE_SIZE.  Sets *fd (blocking again) on SOCC_OK.
 */
static enum socc_err open_input(const char *src, const struct config *cfg,
                                int *fd, struct socc_error *err)
{
    struct stat sb;
    int in, fl;

    in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (in < 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "cannot open %s: %s",
                              src, strerror(errno));
    if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(in);
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "%s is not a regular file", src);
    }
    if ((uint64_t)sb.st_size > cfg->max_file_size) {
        close(in);
        return socc_error_set(err, SOCC_E_FILE_TOO_LARGE, "%lld bytes is over"
                              " MAX_FILE_SIZE (%llu bytes)",
                              (long long)sb.st_size,
                              (unsigned long long)cfg->max_file_size);
    }
    fl = fcntl(in, F_GETFL);
    if (fl < 0 || fcntl(in, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        close(in);
        return socc_error_set(err, SOCC_E_INTERNAL, "cannot read %s: %s",
                              src, strerror(errno));
    }
    *fd = in;
    return SOCC_OK;
}

/*
 * Copy src into a new locked temp file of the store (tmp, size tmpn) and
 * hash the copy: the hash is of the bytes we keep, even if src changes
 * meanwhile.  Sets *size and *fd: the temp file's descriptor, which holds
 * the lock that keeps sweeps off it; the caller closes it once the
 * pipeline has taken the file.  On failure the temp file is gone.
 */
static enum socc_err receive(struct store *st, const char *src,
                             const struct config *cfg, char *tmp, size_t tmpn,
                             char hash[65], uint64_t *size, int *fd,
                             struct socc_error *err)
{
    int in = -1, out;
    enum socc_err rc;

    *size = 0;
    *fd = -1;
    rc = open_input(src, cfg, &in, err);
    if (rc != SOCC_OK)
        return rc;
    out = store_tmp_create(st, "ingest", tmp, tmpn);
    if (out < 0) {
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot create temp file: "
                            "%s", strerror(errno));
        close(in);
        return rc;
    }
    rc = copy_in(in, out, cfg, size, err);
    close(in);
    if (rc == SOCC_OK && sha256_file_hex(tmp, hash) != 0)
        rc = socc_error_set(err, SOCC_E_INTERNAL, "cannot hash the copy");
    if (rc != SOCC_OK) {
        unlink(tmp);
        close(out);
        return rc;
    }
    *fd = out;
    return SOCC_OK;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

static int ingest_one(struct store *st, const struct config *cfg,
                      const char *company, const char *tool, const char *file)
{
    struct pipeline_input in;
    struct pipeline_output out;
    struct socc_error err;
    char tmp[1200], hash[65], req[17];
    uint64_t size;
    int fd;
    enum socc_err rc;

    socc_error_clear(&err);
    memset(&out, 0, sizeof(out));
    log_new_request_id(req);
    rc = receive(st, file, cfg, tmp, sizeof(tmp), hash, &size, &fd, &err);
    if (rc == SOCC_OK) {
        memset(&in, 0, sizeof(in));
        in.company = company;
        in.tool_type = tool;
        in.filename = base_name(file);
        in.req_id = req;
        in.path = tmp;
        in.hash = hash;
        in.size = size;
        rc = pipeline_run(st, cfg, &in, &out, &err);
        close(fd);   /* the pipeline took the file: the lock can go */
    }
    if (rc == SOCC_OK) {
        printf("%s: id=%lld records=%lld sheets=%lld sha256=%s ms=%lld\n",
               file, (long long)out.upload.id,
               (long long)out.upload.record_count,
               (long long)out.upload.sheet_count, out.upload.file_hash,
               (long long)out.upload.processing_ms);
        return 0;
    }
    fprintf(stderr, "socc: %s: %s: %s", socc_err_name(rc), file,
            err.detail[0] ? err.detail : socc_err_message(rc));
    if (rc == SOCC_E_DUPLICATE_FILE)
        fprintf(stderr, " (upload %lld '%s', %s, %s)",
                (long long)out.existing.id, out.existing.filename,
                out.existing.tool_type, out.existing.created_at);
    else if (rc != SOCC_E_INTERNAL && out.hint[0])
        fprintf(stderr, " (%s)", out.hint);
    fputc('\n', stderr);
    return socc_err_exit(rc);
}

static void usage(void)
{
    fprintf(stderr, "usage: socc ingest --company C --tool T FILE...\n");
}

/* What the command line asks for; strings are borrowed from argv. */
struct args {
    char *company;      /* trimmed in place by the check */
    const char *tool;
    int first_file;     /* argv index of the first FILE */
    int help;           /* --help was given */
};

/* BAD_REQUEST naming the option opt as given, without an "=value". */
static enum socc_err bad_option(const char *why, const char *opt,
                                struct socc_error *err)
{
    int n = (int)strcspn(opt, "=");

    return socc_error_set(err, SOCC_E_BAD_REQUEST, "%s '%.*s'", why,
                          n > 64 ? 64 : n, opt);
}

static enum socc_err parse_args(int argc, char **argv, struct args *a,
                                struct socc_error *err)
{
    static const struct option opts[] = {
        { "company", required_argument, NULL, 'c' },
        { "tool", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(a, 0, sizeof(*a));
    opterr = 0;   /* we report option faults ourselves, as BAD_REQUEST */
    while ((c = getopt_long(argc, argv, ":c:t:h", opts, NULL)) != -1) {
        if (c == 'c')
            a->company = optarg;
        else if (c == 't')
            a->tool = optarg;
        else if (c == 'h')
            a->help = 1;
        else if (c == ':')
            return bad_option("missing value for option", argv[optind - 1],
                              err);
        else if (optopt)   /* an unknown short option, maybe in a cluster */
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "unknown option '-%c'", optopt);
        else
            return bad_option("unknown option", argv[optind - 1], err);
    }
    a->first_file = optind;
    return SOCC_OK;
}

static enum socc_err check_company(char *company, struct socc_error *err)
{
    size_t n;

    if (!company)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "--company is required");
    if (upload_company_ok(company) == 0)
        return SOCC_OK;
    n = strlen(company);   /* trimmed by the check */
    if (n == 0)
        return socc_error_set(err, SOCC_E_BAD_REQUEST, "company is empty");
    if (n > UPLOAD_COMPANY_MAX)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "company is %zu bytes, longer than %d", n,
                              UPLOAD_COMPANY_MAX);
    return socc_error_set(err, SOCC_E_BAD_REQUEST, "company holds a control "
                          "character or invalid UTF-8");
}

static enum socc_err check_tool(const char *tool, const struct config *cfg,
                                struct socc_error *err)
{
    char list[CONFIG_MAX_TYPES * (CONFIG_NAME_MAX + 2)] = "";
    size_t i, o = 0;

    if (tool && config_tool_ok(cfg, tool))
        return SOCC_OK;
    for (i = 0; i < cfg->n_tool_types && o < sizeof(list); i++)
        o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                              i ? ", " : "", cfg->tool_types[i]);
    if (!tool)
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "--tool is required: one of %s", list);
    return socc_error_set(err, SOCC_E_BAD_REQUEST,
                          "tool '%.64s' is not one of %s", tool, list);
}

/* Options, config and arguments; on failure *err says what is wrong. */
static enum socc_err read_args(int argc, char **argv, struct args *a,
                               struct config *cfg, struct socc_error *err)
{
    enum socc_err rc = parse_args(argc, argv, a, err);

    if (rc != SOCC_OK || a->help)
        return rc;
    if (config_load(cfg, err) != SOCC_OK) {
        err->code = SOCC_E_BAD_REQUEST;   /* a bad setting, as before */
        return err->code;
    }
    rc = check_company(a->company, err);
    if (rc == SOCC_OK)
        rc = check_tool(a->tool, cfg, err);
    if (rc == SOCC_OK && a->first_file >= argc)
        rc = socc_error_set(err, SOCC_E_BAD_REQUEST, "no FILE given");
    return rc;
}

int cmd_ingest(int argc, char **argv)
{
    struct args a;
    struct config cfg;
    struct socc_error err;
    struct store *st = NULL;
    int i, rc = 0, one, lock;

    log_init_from_env();
    if (getenv("SOCC_LOG_LEVEL") == NULL)
        log_set_level(LOG_WARN);
    socc_error_clear(&err);
    if (read_args(argc, argv, &a, &cfg, &err) != SOCC_OK) {
        fprintf(stderr, "socc: %s: %s\n", socc_err_name(err.code), err.detail);
        usage();
        return socc_err_exit(err.code);
    }
    if (a.help) {
        usage();
        return 0;
    }
    /* shared with servers; a restore holds it alone */
    mkdir(cfg.data_dir, 0750);
    lock = cli_data_lock(cfg.data_dir, 0);
    if (lock == -2) {
        fprintf(stderr, "socc: UNAVAILABLE: a restore is running on %s\n",
                cfg.data_dir);
        return socc_err_exit(SOCC_E_UNAVAILABLE);
    }
    if (store_open(cfg.data_dir, &st, &err) != SOCC_OK) {
        fprintf(stderr, "socc: %s: %s\n", socc_err_name(err.code), err.detail);
        if (lock >= 0)
            close(lock);
        return socc_err_exit(err.code);
    }
    for (i = a.first_file; i < argc; i++) {
        one = ingest_one(st, &cfg, a.company, a.tool, argv[i]);
        if (one)
            rc = one;
    }
    store_close(st);
    if (lock >= 0)
        close(lock);
    return rc;
}
