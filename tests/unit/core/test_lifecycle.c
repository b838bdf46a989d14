#include "socc_test.h"

#include "core/lifecycle.h"

/* serving -> draining -> aborting, never back. */
static void moves_forward_only(void **state)
{
    (void)state;
    assert_false(lifecycle_draining());
    assert_false(lifecycle_aborted());
    lifecycle_drain();
    assert_true(lifecycle_draining());
    assert_false(lifecycle_aborted());
    lifecycle_abort();
    lifecycle_drain();   /* does not step back from aborting */
    assert_true(lifecycle_draining());
    assert_true(lifecycle_aborted());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moves_forward_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
