#!/usr/bin/python3
"""Write an .xlsx whose shared-string table is large: N unique strings.

The strings read like log messages (an id, a host, then one of a few
hundred phrases cut to length) so that they deflate about as well as real
exports do: 1.5 M strings of 60-150 characters give some 190 MB of shared
strings XML in a workbook just under 50 MB (52428800 bytes).  Each row
references its own strings, in increasing order, two a row, which is how
exporters lay tables out.

usage: gen_big_sst.py OUT.xlsx [N] [SEED]
"""
import random
import sys

import xlsxwriter

WORDS = """alert blocked connection denied malware detected outbound inbound
process spawned powershell encoded command registry persistence scheduled
task lateral movement credential dumping lsass access token privilege
escalation suspicious login failed success user admin service account
domain controller kerberos ticket beacon callback dns tunnel exfiltration
archive upload download script macro document phishing attachment link
quarantine isolated endpoint sensor firewall proxy gateway policy rule
signature heuristic anomaly baseline deviation severity high medium low
critical informational remediation analyst escalated closed reopened
""".split()

HEADER = ["id", "message", "detail"]


def templates(rng, count=400, size=160):
    """Phrases the messages are cut from: real exports repeat wording."""
    out = []
    for _ in range(count):
        words = []
        while sum(len(w) + 1 for w in words) < size:
            words.append(rng.choice(WORDS))
        out.append(" ".join(words))
    return out


def message(rng, tpl, i, lo, hi):
    """One unique string of lo..hi characters (the event id makes it so)."""
    want = rng.randint(lo, hi)
    head = "evt-%07d host%03d " % (i, rng.randint(0, 499))
    return (head + rng.choice(tpl))[:want]


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1500000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    wb = xlsxwriter.Workbook(out, {"strings_to_numbers": False})
    ws = wb.add_worksheet("Alerts")
    ws.write_row(0, 0, HEADER)
    tpl = templates(rng)
    # Two strings a row: a sheet stops at 1048576 rows.
    for i in range(0, n, 2):
        row = i // 2 + 1
        ws.write_number(row, 0, row)
        ws.write_string(row, 1, message(rng, tpl, i, 60, 150))
        if i + 1 < n:
            ws.write_string(row, 2, message(rng, tpl, i + 1, 60, 150))
    wb.close()


if __name__ == "__main__":
    main()
