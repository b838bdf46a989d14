#include "ingest/serial_date.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define MS_PER_DAY 86400000ll

/*
 * Days since 1970-01-01 to a proleptic Gregorian date: 400-year cycles of
 * 146097 days, years counted from March so the leap day comes last.
 */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * Days since 1970-01-01 of serial day `day`.  Excel's 1900 system counts
 * 1900 as a leap year: serial 60 is the 1900-02-29 that never was (*bug
 * set), and serials below it are one day later than a plain count from
 * 1899-12-30 gives.
 */
static int64_t unix_day(int64_t day, int date1904, int *bug)
{
    *bug = 0;
    if (date1904)
        return day - 24107;
    if (day == 60)
        *bug = 1;
    return day < 61 ? day - 25568 : day - 25569;
}

/* "HH:MM:SS" or "HH:MM:SS.mmm" for hours h and ms within the hour. */
static int put_time(char *out, size_t cap, int64_t h, int64_t ms)
{
    int64_t frac = ms % 1000;

    if (frac)
        return snprintf(out, cap, "%02lld:%02lld:%02lld.%03lld",
                        (long long)h, (long long)(ms / 60000),
                        (long long)(ms / 1000 % 60), (long long)frac);
    return snprintf(out, cap, "%02lld:%02lld:%02lld", (long long)h,
                    (long long)(ms / 60000), (long long)(ms / 1000 % 60));
}

int serial_date_format(double v, int date1904, enum serial_date_show show,
                       char *out, size_t cap, enum row_cell_kind *kind)
{
    int64_t ms, day, msod, y;
    unsigned m, d;
    int bug, n;

    if (!isfinite(v) || v < 0.0 || v >= 2958466.0 || cap < 40)
        return -1;
    ms = llround(v * (double)MS_PER_DAY);
    day = ms / MS_PER_DAY;
    msod = ms % MS_PER_DAY;
    *kind = ROW_CELL_DATE;
    if (show == SERIAL_ELAPSED)
        return put_time(out, cap, ms / 3600000, ms % 3600000);
    if (show == SERIAL_TIME && day == 0)
        return put_time(out, cap, msod / 3600000, msod % 3600000);
    civil(unix_day(day, date1904, &bug), &y, &m, &d);
    if (y > 9999)
        return -1;
    if (bug) {
        m = 2;
        d = 29;
        *kind = ROW_CELL_STRING;   /* shown as Excel shows it; no date */
    }
    n = snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
    if (show == SERIAL_DATE && msod == 0)
        return n;
    out[n++] = 'T';
    return n + put_time(out + n, cap - (size_t)n, msod / 3600000,
                        msod % 3600000);
}
