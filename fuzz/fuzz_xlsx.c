/* libFuzzer target: the XLSX reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_sink.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct row_limits lim;
    struct row_sink sink = fuzz_sink();
    struct socc_error err;

    fuzz_limits(&lim);
    xlsx_reader_run_mem(data, size, &lim, &sink, &err);
    return 0;
}
