#!/usr/bin/python3
"""Write a BIFF8 .xls like a security tool export, for the xls reader bench.

usage: /usr/bin/python3 bench/gen_xls.py OUT.xls [ROWS]
Needs python3-xlwt (apt-get install python3-xlwt).  30,000 rows of 15
columns give a file of about 10 MB: unique strings (shared string table),
integers and floats (RK and NUMBER records), dates and date-times.
"""
import datetime
import random
import sys

import xlwt

COLS = ["id", "first_seen", "last_seen", "host", "ip", "port", "severity",
        "cvss", "plugin", "title", "description", "user", "count", "bytes",
        "status"]


def row_values(rnd, i):
    day = datetime.datetime(2024, 1, 1) + datetime.timedelta(
        seconds=rnd.randrange(0, 365 * 86400))
    return [
        i, day.date(), day, "host-%06d.corp.example.com" % rnd.randrange(10**6),
        "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256),
                         rnd.randrange(256)),
        rnd.choice([22, 80, 443, 3389, 8443]),
        rnd.choice(["Low", "Medium", "High", "Critical"]),
        round(rnd.uniform(0, 10), 1), 10000 + rnd.randrange(90000),
        "Finding %d on service %d" % (rnd.randrange(10**6), i),
        "Observed %s traffic from %x; rule %d matched at offset %d" % (
            rnd.choice(["inbound", "outbound"]), rnd.getrandbits(48),
            rnd.randrange(10**5), rnd.randrange(10**6)),
        "user%05d" % rnd.randrange(10**5), rnd.randrange(1, 5000),
        rnd.random() * 1e9, rnd.choice(["open", "closed", "accepted"]),
    ]


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 30000
    rnd = random.Random(7)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("findings")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    stamp = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for c, name in enumerate(COLS):
        sheet.write(0, c, name)
    for r in range(1, rows + 1):
        for c, v in enumerate(row_values(rnd, r)):
            style = date if c == 1 else stamp if c == 2 else None
            if style:
                sheet.write(r, c, v, style)
            else:
                sheet.write(r, c, v)
    book.save(out)


if __name__ == "__main__":
    main()
