#ifndef SOCC_CONFIG_H
#define SOCC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CONFIG_MAX_TYPES 32
#define CONFIG_NAME_MAX 32

/* Settings from the environment (SPEC 5); defaults when unset. */
struct config {
    char listen[128];                 /* SOCC_LISTEN, "127.0.0.1:8080" */
    char data_dir[1024];              /* SOCC_DATA_DIR, "./data" */
    uint64_t max_file_size;           /* MAX_FILE_SIZE, 52428800 */
    size_t n_file_types;              /* ALLOWED_FILE_TYPES, xlsx,xls,csv */
    char file_types[CONFIG_MAX_TYPES][CONFIG_NAME_MAX];
    size_t n_tool_types;              /* TOOL_TYPES */
    char tool_types[CONFIG_MAX_TYPES][CONFIG_NAME_MAX];
    int duplicate_check;              /* ENABLE_DUPLICATE_CHECK */
    int file_validation;              /* ENABLE_FILE_VALIDATION */
    int retry_logic;                  /* ENABLE_RETRY_LOGIC */
    unsigned success_toast_ms, error_toast_ms, progress_toast_ms;
    unsigned max_retry_attempts, retry_base_delay_ms, retry_max_delay_ms;
    uint32_t csv_max_field;           /* SOCC_CSV_MAX_FIELD, 1 MiB */
};

/* Fill *c from the environment; BAD_REQUEST naming the bad variable. */
enum socc_err config_load(struct config *c, struct socc_error *err);
/* Defaults only, ignoring the environment. */
void config_defaults(struct config *c);

/* 1 when tool is one of the configured tool types. */
int config_tool_ok(const struct config *c, const char *tool);
/* 1 when the extension (no dot, any case) is allowed. */
int config_ext_ok(const struct config *c, const char *ext);
/* Display name of a tool type ("G Suite" for gsuite), or the name itself. */
const char *config_tool_label(const char *tool);

#endif
