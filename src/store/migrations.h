#ifndef SOCC_MIGRATIONS_H
#define SOCC_MIGRATIONS_H

#include <stddef.h>

/* Number of migrations; the schema version they lead to. */
size_t migrations_count(void);
/* SQL of migration i (from version i to i + 1), NULL past the end. */
const char *migrations_sql(size_t i);

#endif
