/* routes.c: the table of endpoints and the matching of a request's
 * method and path against it. */
#include "http/routes.h"

#include <stdio.h>
#include <string.h>

#include "http/control.h"
#include "http/download.h"
#include "http/health.h"
#include "http/ui.h"
#include "http/v1.h"

#define V1 "/v1/external-api-requests/"

/* The query names a control route accepts; any other is refused (400),
 * never ignored. The real API's routes take what FastAPI would. */
static const char *const Q_NONE[] = {NULL};
static const char *const Q_JOURNAL[] = {"path_prefix", "api_key", "task_id", "last", NULL};

/* .doc: the line GET /__mock shows for each of the mock's own routes;
 * .tmpl: the public path template, where it differs from .path. */
static const route routes[] = {
    {"POST", V1 "batch-check-emails", 0, BODY_UPLOAD, v1_batch_submit, 1, .query = NULL},
    {"GET", V1 "batch-check-status/", 1, BODY_NONE, v1_batch_status, 1, .query = NULL},
    {"GET", V1 "batch-task-download/", 1, BODY_NONE, v1_batch_download, 1, .query = NULL},
    {"POST", V1 "check-email", 0, BODY_SMALL, v1_check_email, 1, .query = NULL},
    {"GET", "/downloads/", 1, BODY_NONE, download_serve, 1, .query = NULL},
    {"HEAD", "/downloads/", 1, BODY_NONE, download_serve, 1, .query = NULL},
    {"GET", "/healthz", 0, BODY_NONE, health_get, 0,
     .doc = "200 once the database and data dir are usable, else 503"},
    {"GET", "/__mock", 0, BODY_NONE, control_index, 0, .query = Q_NONE,
     .doc = "this index of the control endpoints"},
    {"GET", "/__mock/clock", 0, BODY_NONE, control_clock_get, 0, .query = Q_NONE,
     .doc = "the virtual clock: now and its offset from real time"},
    {"POST", "/__mock/clock", 0, BODY_SMALL, control_clock_post, 0, .query = Q_NONE,
     .doc = "move the clock: {\"advance_seconds\": N >= 0} or {\"set\": \"RFC 3339\"}"},
    {"DELETE", "/__mock/clock", 0, BODY_NONE, control_clock_delete, 0, .query = Q_NONE,
     .doc = "back to real time (offset 0)"},
    {"GET", "/__mock/tasks", 0, BODY_NONE, control_tasks_list, 0, .query = Q_NONE,
     .doc = "projects: the X-API-Key's (with storage), or every account's"},
    {"DELETE", "/__mock/tasks/", 1, BODY_NONE, control_task_delete, 0, .query = Q_NONE,
     .tmpl = "/__mock/tasks/{task_id}", .doc = "delete a project (needs its X-API-Key)"},
    {"POST", "/__mock/reset", 0, BODY_SMALL, control_reset, 0, .query = Q_NONE,
     .doc = "wipe everything, or one account with {\"api_key\": K} (its bans too)"},
    {"GET", "/__mock/accounts", 0, BODY_NONE, control_accounts_list, 0, .query = Q_NONE,
     .doc = "every account: credits, charged, storage"},
    {"GET", "/__mock/accounts/", 1, BODY_NONE, control_account_get, 0, .query = Q_NONE,
     .tmpl = "/__mock/accounts/{key}", .doc = "one account: credits, charged, storage"},
    {"PUT", "/__mock/accounts/", 1, BODY_SMALL, control_account_put, 0, .query = Q_NONE,
     .tmpl = "/__mock/accounts/{key}",
     .doc = "set the balance: {\"credits\": N >= 0 or null for unlimited}"},
    {"GET", "/__mock/lists/", 1, BODY_NONE, control_list_get, 0, .query = Q_NONE,
     .tmpl = "/__mock/accounts/{key}/lists/{kind}",
     .doc = "the account's white, grey or black list (text)"},
    {"PUT", "/__mock/lists/", 1, BODY_SMALL, control_list_put, 0, .query = Q_NONE,
     .tmpl = "/__mock/accounts/{key}/lists/{kind}",
     .doc = "replace that list: one address or domain a line, # comments"},
    {"GET", "/__mock/bans", 0, BODY_NONE, control_bans_get, 0, .query = Q_NONE,
     .doc = "single-check ban counters per caller IP"},
    {"DELETE", "/__mock/bans", 0, BODY_NONE, control_bans_delete, 0, .query = Q_NONE,
     .doc = "lift every ban"},
    {"GET", "/__mock/requests", 0, BODY_NONE, control_journal_get, 0, .query = Q_JOURNAL,
     .doc = "the request journal (?path_prefix=&api_key=&task_id=&last=N)"},
    {"DELETE", "/__mock/requests", 0, BODY_NONE, control_journal_delete, 0, .query = Q_NONE,
     .doc = "empty the journal"},
    {"GET", "/__mock/faults", 0, BODY_NONE, control_faults_get, 0, .query = Q_NONE,
     .doc = "armed faults with their ids and uses left"},
    {"POST", "/__mock/faults", 0, BODY_SMALL, control_faults_post, 0, .query = Q_NONE,
     .doc = "arm a fault (match + respond or task, times); answers its id"},
    {"DELETE", "/__mock/faults", 0, BODY_NONE, control_faults_delete, 0, .query = Q_NONE,
     .doc = "disarm every fault"},
    {"GET", "/__mock/faults/", 1, BODY_NONE, control_fault_get, 0, .query = Q_NONE,
     .tmpl = "/__mock/faults/{id}", .doc = "one armed fault"},
    {"DELETE", "/__mock/faults/", 1, BODY_NONE, control_fault_delete, 0, .query = Q_NONE,
     .tmpl = "/__mock/faults/{id}", .doc = "disarm that fault only"},
    {"GET", "/__mock/scenario", 0, BODY_NONE, control_scenario_get, 0, .query = Q_NONE,
     .doc = "the mock's state as a scenario: clock, accounts, outcomes, faults"},
    {"PUT", "/__mock/scenario", 0, BODY_SMALL, control_scenario_put, 0, .query = Q_NONE,
     .doc = "apply a scenario (all or nothing; a section given replaces that state)"},
    {"GET", "/openapi.json", 0, BODY_NONE, ui_openapi, 0,
     .doc = "the OpenAPI document of every endpoint"},
    {"GET", "/", 0, BODY_NONE, ui_dashboard, 0, .doc = "the dashboard"},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static int path_matches(const route *r, const char *url, char *param, size_t cap)
{
    size_t n = strlen(r->path);
    if (!r->has_param)
        return strcmp(url, r->path) == 0;
    if (strncmp(url, r->path, n) != 0)
        return 0;
    const char *p = url + n;
    size_t pl = strlen(p);
    if (pl == 0)
        return 0;
    if (pl >= cap) /* too long to be any id: matched, and found nowhere */
        pl = cap - 1;
    /* only /__mock/lists/ params may hold one '/' (key/kind) */
    if (strchr(p, '/') && strcmp(r->path, "/__mock/lists/") != 0)
        return 0;
    memcpy(param, p, pl);
    param[pl] = 0;
    return 1;
}

/* The path of /__mock/accounts/{key}/lists/{kind} is rewritten to
 * /__mock/lists/{key}/{kind} before matching, so that one {param} holds
 * both; /__mock/lists/ itself is reached only through the rewrite. */
const route *routes_match(const char *method, const char *url, char *param, size_t cap,
                          int *path_known)
{
    char rewritten[512];
    const char *acc = "/__mock/accounts/";
    *path_known = 0;
    if (!strncmp(url, "/__mock/lists/", 14))
        return NULL;
    if (!strncmp(url, acc, strlen(acc))) {
        const char *rest = url + strlen(acc);
        const char *sl = strstr(rest, "/lists/");
        if (sl && (size_t)(sl - rest) < 300) {
            snprintf(rewritten, sizeof rewritten, "/__mock/lists/%.*s/%s",
                     (int)(sl - rest), rest, sl + 7);
            url = rewritten;
        }
    }
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_matches(&routes[i], url, param, cap))
            continue;
        *path_known = 1;
        if (!strcmp(routes[i].method, method))
            return &routes[i];
    }
    return NULL;
}

void routes_each(void (*fn)(void *ud, const route *r), void *ud)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        fn(ud, &routes[i]);
}
