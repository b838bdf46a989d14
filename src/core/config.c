#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Split a comma list into lowercase names; -1 on an empty or bad name. */
static int parse_list(const char *s, char out[][CONFIG_NAME_MAX], size_t *n)
{
    size_t k = 0, len;
    const char *p = s, *e;

    while (*p) {
        e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        while (p < e && isspace((unsigned char)*p))
            p++;
        len = (size_t)(e - p);
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == 0 || len >= CONFIG_NAME_MAX || k >= CONFIG_MAX_TYPES)
            return -1;
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)p[i];
            if (!isalnum(ch) && ch != '_' && ch != '-')
                return -1;
            out[k][i] = (char)tolower(ch);
        }
        out[k][len] = '\0';
        k++;
        p = *e ? e + 1 : e;
    }
    if (k == 0)
        return -1;
    *n = k;
    return 0;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
    snprintf(c->data_dir, sizeof(c->data_dir), "./data");
    c->max_file_size = 52428800;
    parse_list("xlsx,xls,csv", c->file_types, &c->n_file_types);
    parse_list("gsuite,mdm,siem,edr,meraki,sonicwall", c->tool_types,
               &c->n_tool_types);
    c->duplicate_check = 1;
    c->file_validation = 1;
    c->retry_logic = 1;
    c->success_toast_ms = 3000;
    c->error_toast_ms = 6000;
    c->progress_toast_ms = 2000;
    c->max_retry_attempts = 3;
    c->retry_base_delay_ms = 1000;
    c->retry_max_delay_ms = 10000;
    c->csv_max_field = 1024u * 1024u;
}

struct num_var {
    const char *name;
    unsigned *field;
    uint64_t max;
};

enum socc_err config_load(struct config *c, struct socc_error *err)
{
    const char *v;
    uint64_t u;
    struct num_var nums[] = {
        { "SUCCESS_TOAST_DURATION", &c->success_toast_ms, 600000 },
        { "ERROR_TOAST_DURATION", &c->error_toast_ms, 600000 },
        { "PROGRESS_TOAST_DURATION", &c->progress_toast_ms, 600000 },
        { "MAX_RETRY_ATTEMPTS", &c->max_retry_attempts, 100 },
        { "RETRY_BASE_DELAY", &c->retry_base_delay_ms, 3600000 },
        { "RETRY_MAX_DELAY", &c->retry_max_delay_ms, 3600000 },
    };
    struct { const char *name; int *field; } bools[] = {
        { "ENABLE_DUPLICATE_CHECK", &c->duplicate_check },
        { "ENABLE_FILE_VALIDATION", &c->file_validation },
        { "ENABLE_RETRY_LOGIC", &c->retry_logic },
    };
    size_t i;

    config_defaults(c);
    if ((v = getenv("SOCC_LISTEN")) && *v)
        snprintf(c->listen, sizeof(c->listen), "%s", v);
    if ((v = getenv("SOCC_DATA_DIR")) && *v) {
        if (strlen(v) >= sizeof(c->data_dir) - 64)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "SOCC_DATA_DIR is too long");
        snprintf(c->data_dir, sizeof(c->data_dir), "%s", v);
    }
    if ((v = getenv("MAX_FILE_SIZE")) && *v) {
        if (parse_u64(v, &c->max_file_size) || c->max_file_size == 0)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "MAX_FILE_SIZE must be a positive integer");
    }
    if ((v = getenv("ALLOWED_FILE_TYPES")) && *v &&
        parse_list(v, c->file_types, &c->n_file_types))
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "ALLOWED_FILE_TYPES is not a list of names");
    if ((v = getenv("TOOL_TYPES")) && *v &&
        parse_list(v, c->tool_types, &c->n_tool_types))
        return socc_error_set(err, SOCC_E_BAD_REQUEST,
                              "TOOL_TYPES is not a list of names");
    for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        v = getenv(bools[i].name);
        if (v && *v && parse_bool(v, bools[i].field))
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "%s must be true or false", bools[i].name);
    }
    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        v = getenv(nums[i].name);
        if (!v || !*v)
            continue;
        if (parse_u64(v, &u) || u > nums[i].max)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "%s must be an integer up to %llu",
                                  nums[i].name,
                                  (unsigned long long)nums[i].max);
        *nums[i].field = (unsigned)u;
    }
    if ((v = getenv("SOCC_CSV_MAX_FIELD")) && *v) {
        if (parse_u64(v, &u) || u == 0 || u > UINT32_MAX / 2)
            return socc_error_set(err, SOCC_E_BAD_REQUEST,
                                  "SOCC_CSV_MAX_FIELD must be a byte count");
        c->csv_max_field = (uint32_t)u;
    }
    return SOCC_OK;
}

int config_tool_ok(const struct config *c, const char *tool)
{
    size_t i;

    for (i = 0; i < c->n_tool_types; i++)
        if (strcmp(c->tool_types[i], tool) == 0)
            return 1;
    return 0;
}

int config_ext_ok(const struct config *c, const char *ext)
{
    size_t i;

    for (i = 0; i < c->n_file_types; i++)
        if (strcasecmp(c->file_types[i], ext) == 0)
            return 1;
    return 0;
}

const char *config_tool_label(const char *tool)
{
    static const char *const labels[][2] = {
        { "gsuite", "G Suite" }, { "mdm", "MDM" }, { "siem", "SIEM" },
        { "edr", "EDR" }, { "meraki", "Meraki" }, { "sonicwall", "SonicWall" },
    };
    size_t i;

    for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(labels[i][0], tool) == 0)
            return labels[i][1];
    return tool;
}
