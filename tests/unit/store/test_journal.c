#include "socc_test.h"

#include "store/journal.h"

static char dir[256], path[300];

static int setup(void **state)
{
    (void)state;
    st_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/journal.log", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st_rmtree(dir);
    return 0;
}

static void entry(struct journal_entry *e, int64_t seq, const char *op,
                  const char *company)
{
    memset(e, 0, sizeof(*e));
    e->seq = seq;
    e->ts_ms = 1000 * seq;
    snprintf(e->op, sizeof(e->op), "%s", op);
    e->id = seq + 10;
    snprintf(e->company, sizeof(e->company), "%s", company);
    snprintf(e->tool_type, sizeof(e->tool_type), "siem");
    snprintf(e->filename, sizeof(e->filename), "a\tb\nc%%d.csv");
    memset(e->sha256, 'f', 64);
    e->size = 77;
    snprintf(e->created_at, sizeof(e->created_at), "2026-12-04T18:30:00.1Z");
}

struct seen {
    int n;
    struct journal_entry last;
    int64_t seqs[16];
};

static int keep(const struct journal_entry *e, void *ud)
{
    struct seen *s = ud;

    s->seqs[s->n++] = e->seq;
    s->last = *e;
    return 0;
}

static void fields_survive_the_round_trip(void **state)
{
    struct journal_entry e;
    struct seen s;

    (void)state;
    entry(&e, 1, "ingest", "acme\r%20co");
    assert_int_equal(journal_append(path, &e), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_read(path, keep, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.last.seq, 1);
    assert_int_equal(s.last.ts_ms, 1000);
    assert_int_equal(s.last.id, 11);
    assert_int_equal(s.last.size, 77);
    assert_string_equal(s.last.op, "ingest");
    assert_string_equal(s.last.company, "acme\r%20co");
    assert_string_equal(s.last.filename, "a\tb\nc%d.csv");
    assert_string_equal(s.last.sha256, e.sha256);
    assert_string_equal(s.last.created_at, "2026-12-04T18:30:00.1Z");
}

static void torn_tail_is_ignored_and_dropped(void **state)
{
    struct journal_entry e;
    struct seen s;
    FILE *fp;

    (void)state;
    entry(&e, 1, "ingest", "a");
    assert_int_equal(journal_append(path, &e), 0);
    entry(&e, 2, "delete", "a");
    assert_int_equal(journal_append(path, &e), 0);
    fp = fopen(path, "a");
    fputs("3\t3000\tingest\t13\tacm", fp);     /* a write cut short */
    fclose(fp);
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_read(path, keep, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.last.op, "delete");
    /* keep (0, 1]: entry 2 and the torn tail go */
    assert_int_equal(journal_keep(path, 0, 1), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_read(path, keep, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.seqs[0], 1);
}

static void keep_drops_old_entries(void **state)
{
    struct journal_entry e;
    struct seen s;
    int i;

    (void)state;
    for (i = 1; i <= 5; i++) {
        entry(&e, i, "ingest", "a");
        assert_int_equal(journal_append(path, &e), 0);
    }
    assert_int_equal(journal_keep(path, 3, INT64_MAX), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_read(path, keep, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.seqs[0], 4);
    assert_int_equal(s.seqs[1], 5);
    /* a missing journal is an empty one */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(journal_keep(path, 0, 10), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(journal_read(path, keep, &s), 0);
    assert_int_equal(s.n, 0);
}

static void times_parse_and_format(void **state)
{
    int64_t ms;
    char out[40];

    (void)state;
    assert_int_equal(journal_parse_time("2026-12-04T18:30:00Z", &ms), 0);
    assert_int_equal(ms, 1796409000000);
    assert_int_equal(journal_parse_time("2026-12-04T18:30:00.25Z", &ms), 0);
    assert_int_equal(ms, 1796409000250);
    assert_int_equal(journal_parse_time("1796409000250", &ms), 0);
    assert_int_equal(ms, 1796409000250);
    journal_format_time(1796409000250, out, sizeof(out));
    assert_string_equal(out, "2026-12-04T18:30:00.250Z");
    assert_int_equal(journal_parse_time("2026-12-04T18:30:00+02:00", &ms), -1);
    assert_int_equal(journal_parse_time("yesterday", &ms), -1);
    assert_int_equal(journal_parse_time("", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fields_survive_the_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(torn_tail_is_ignored_and_dropped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(keep_drops_old_entries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(times_parse_and_format, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
