#ifndef SOCC_XLSX_NUMBER_H
#define SOCC_XLSX_NUMBER_H

/* Number text of XLSX cells (<v>) checked and turned into JSON numbers. */

#include <stddef.h>

#include "../core/buf.h"

/*
 * Make s[0..n) a JSON number: "+1" gives "1", ".5" "0.5", " 7 " "7",
 * "1.5E+20" stays.  When the text must change, the new text goes to out
 * (reset first) and *changed is 1.  Returns -1 when s is no finite number
 * ("NaN", "1e999", "1,5"): the caller keeps it as text.
 */
int xlsx_number_norm(const char *s, size_t n, struct buf *out, int *changed);

/* Value of a JSON number text as xlsx_number_norm() leaves it. */
double xlsx_number_value(const char *s, size_t n);

#endif
