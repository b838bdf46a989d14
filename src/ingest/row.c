#include "row.h"

void row_limits_default(struct row_limits *lim)
{
    lim->max_cols = 16384;
    lim->max_rows = 1048576;
    lim->max_cell = 32767;
    lim->csv_max_field = 1024u * 1024u;
    lim->max_inflated = 2ull * 1024 * 1024 * 1024;
    lim->max_ratio = 200;
}
