#ifndef SOCC_AUTH_FIXTURE_H
#define SOCC_AUTH_FIXTURE_H

/* A store in a temp dir for the auth unit tests.  Header-only. */

#include "socc_test.h"

#include "store/auth_store.h"
#include "store/store.h"

struct fx {
    char dir[256];
    struct store *st;
};

static inline int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct socc_error e;

    st_tmpdir(f->dir, sizeof(f->dir));
    assert_int_equal(store_open(f->dir, &f->st, &e), SOCC_OK);
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    struct fx *f = *state;

    store_close(f->st);
    st_rmtree(f->dir);
    free(f);
    return 0;
}

/* Add user name with role and one company (or none); its id. */
static inline int64_t fx_user(struct store *st, const char *name, const char *role,
                       const char *company)
{
    struct socc_error e;
    int64_t id = 0;

    assert_int_equal(auth_store_user_add(st, name, role, "$argon2id$x", &id,
                                         &e), SOCC_OK);
    if (company)
        assert_int_equal(auth_store_membership_set(st, id, company, 1, &e),
                         SOCC_OK);
    return id;
}

#endif
