#!/usr/bin/python3
"""Generate a large SIEM-like .xlsx for timing the XLSX reader.

149,068 data rows x 15 columns (strings in the shared string table,
numbers, date-times, dates, booleans), fixed seed, so re-runs give the same
file.  Usage: /usr/bin/python3 bench/gen_xlsx.py [out.xlsx] [rows]
Needs python3-xlsxwriter (Debian).
"""
import datetime as dt
import random
import sys

import xlsxwriter

COLS = ["alert_id", "timestamp", "severity", "risk_score", "rule_name",
        "src_ip", "src_port", "dst_ip", "dst_port", "user", "host",
        "mitre_technique", "description", "first_seen", "acknowledged"]
WORDS = ("failed login suspicious powershell encoded command lateral "
         "movement beacon outbound dns tunnel credential dumping lsass "
         "access privilege escalation scheduled task registry run key "
         "ransomware note dropped").split()


def row(rng, i):
    ts = dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.randrange(30000000))
    desc = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(6, 30)))
    return [
        ("s", "ALRT-%08d" % i),
        ("d", ts),
        ("s", rng.choice(["Low", "Low", "Medium", "High", "Critical"])),
        ("n", round(rng.random() * 100, 2)),
        ("s", "Rule %d: %s" % (rng.randrange(20), rng.choice(WORDS))),
        ("s", "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                               rng.randrange(256))),
        ("n", rng.randrange(1024, 65535)),
        ("s", "203.0.%d.%d" % (rng.randrange(256), rng.randrange(256))),
        ("n", rng.choice([22, 53, 80, 443, 445, 3389, 8080])),
        ("s", "user%04d@corp.example" % rng.randrange(600)),
        ("s", "WS-FRA-%04d" % rng.randrange(900)),
        ("s", "T%04d.%03d" % (rng.randrange(1000, 1700), rng.randrange(10))),
        ("s", desc + " #%d" % i),
        ("D", ts.date()),
        ("b", rng.random() < 0.3),
    ]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/data/big.xlsx"
    nrows = int(sys.argv[2]) if len(sys.argv) > 2 else 149068
    rng = random.Random(20240601)
    wb = xlsxwriter.Workbook(out, {"strings_to_numbers": False,
                                   "strings_to_urls": False,
                                   "strings_to_formulas": False})
    wb.set_properties({"created": dt.datetime(2024, 6, 1)})
    f_dt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    f_d = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("SIEM Alerts")
    for c, h in enumerate(COLS):
        ws.write_string(0, c, h)
    for r in range(1, nrows + 1):
        for c, (t, v) in enumerate(row(rng, r)):
            if t == "s":
                ws.write_string(r, c, v)
            elif t == "n":
                ws.write_number(r, c, v)
            elif t == "d":
                ws.write_datetime(r, c, v, f_dt)
            elif t == "D":
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()),
                                  f_d)
            else:
                ws.write_boolean(r, c, v)
    wb.close()


if __name__ == "__main__":
    main()
