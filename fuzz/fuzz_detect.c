/* libFuzzer target: content detection (ZIP, OLE2 directory, text). */
#include <stddef.h>
#include <stdint.h>

#include "ingest/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct detect_result r;
    struct socc_error err;

    detect_mem(data, size, &r, &err);
    return 0;
}
