/* scenario.h: a scenario: the mock's test state as one JSON document
 * (clock, accounts with credits, lists and outcomes, global outcomes,
 * armed faults), applied at start (--scenario FILE) or by PUT
 * /__mock/scenario, and exported by GET /__mock/scenario in the same form
 * (README "Scenarios" has the format).
 *
 * Applying is all or nothing: the whole document is checked first (every
 * problem recorded with its JSON path, as the control API records them),
 * then the store changes in one transaction, then the in-memory state
 * (clock, outcomes, faults) is swapped in. A section left out is left as
 * it is; a section given replaces what it names. Applies are serialised. */
#ifndef UC_SCENARIO_H
#define UC_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "core/jcheck.h"
#include "http/app.h"

typedef struct scenario scenario;

/* Check doc (borrowed; kept referenced by the result) strictly, its
 * problems recorded in jc at their path under `at`, and stage what it
 * sets. NULL when it has problems, or when memory ran out (jc then has
 * none, or jcheck_oom). */
scenario *scenario_check(json_t *doc, jcheck *jc, const jloc *at);

/* Apply a checked scenario: UC_OK, or the store's error with nothing
 * changed. source ("file", "put") is for the log line. */
uc_err scenario_apply(app *a, scenario *s, const char *source);

void scenario_free(scenario *s);  /* accepts NULL */

/* The mock's state now as a scenario document (new reference; NULL when
 * the store or memory failed). Applying it to a fresh server gives a
 * server that exports the same document. */
json_t *scenario_export(app *a);

/* At start: read FILE, check it and apply it. Returns 0, or -1 with err
 * holding one line per problem, "FILE: PATH: what is wrong" (lines joined
 * by "\nucmock: ", as main prints them). */
int scenario_load_file(app *a, const char *path, char *err, size_t errcap);

/* Forget the outcomes of account key, or every outcome (key NULL): part
 * of POST /__mock/reset. */
void scenario_forget(app *a, const char *key);

#endif
