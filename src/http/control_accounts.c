/* control_accounts.c: /__mock/accounts: list the accounts, read one, set
 * its balance, and read or replace its white, grey and black lists (each
 * entry checked before anything is stored). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/messages.h"
#include "http/control.h"
#include "http/resp.h"
#include "store/accounts.h"
#include "store/tasks.h"
#include "verify/classify.h"

#define CREDITS_MAX 9007199254740991LL  /* 2^53 - 1: exact in every JSON reader */

/* An account as the control API shows it (new reference; NULL on
 * failure). */
static json_t *account_json(app *a, const char *key, const account *acct)
{
    int64_t used = 0;
    if (task_storage_used(a->d, key, &used) != UC_OK)
        return NULL;
    return json_pack("{s:s,s:o,s:I,s:I,s:I}", "api_key", key, "credits",
                     acct->credits < 0 ? json_null() : json_integer(acct->credits),
                     "charged", (json_int_t)acct->charged, "storage_used", (json_int_t)used,
                     "storage_limit", (json_int_t)a->cfg->storage_limit);
}

typedef struct accounts_listing {
    app *a;
    json_t *arr;
    int failed;
} accounts_listing;

static int list_account(void *ud, const char *key, const account *acct)
{
    accounts_listing *l = ud;
    json_t *o = account_json(l->a, key, acct);
    if (!o || json_array_append_new(l->arr, o) != 0)
        l->failed = 1;
    return l->failed;
}

enum MHD_Result control_accounts_list(req *rq)
{
    accounts_listing l = {rq->a, json_array(), 0};
    if (!l.arr || account_each(rq->a->d, list_account, &l) != UC_OK || l.failed) {
        json_decref(l.arr);
        return resp_detail(rq, 500, MSG_INTERNAL);
    }
    return resp_queue_json(rq, 200, json_pack("{s:o}", "accounts", l.arr));
}

enum MHD_Result control_account_get(req *rq)
{
    account acct;
    if (account_get(rq->a->d, rq->param, rq->a->cfg->credits, &acct) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    json_t *o = account_json(rq->a, rq->param, &acct);
    return o ? resp_queue_json(rq, 200, o) : resp_detail(rq, 500, MSG_INTERNAL);
}

/* Store the balance and answer the account as it is now. */
static enum MHD_Result set_credits(req *rq, int64_t credits)
{
    account acct;
    if (account_set_credits(rq->a->d, rq->param, credits) != UC_OK ||
        account_get(rq->a->d, rq->param, rq->a->cfg->credits, &acct) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    json_t *o = account_json(rq->a, rq->param, &acct);
    return o ? resp_queue_json(rq, 200, o) : resp_detail(rq, 500, MSG_INTERNAL);
}

static void credits_check(jcheck *jc, const jloc *body, json_t *j, void *ud)
{
    static const char *const keys[] = {"credits", NULL};
    if (jcheck_object(jc, body, j, keys))
        jcheck_int(jc, body, j, "credits", JC_REQUIRED | JC_NULLABLE, 0, CREDITS_MAX, ud);
}

static enum MHD_Result credits_act(req *rq, void *ud)
{
    return set_credits(rq, (int64_t)*(json_int_t *)ud);
}

enum MHD_Result control_account_put(req *rq)
{
    json_int_t credits = -1; /* null: unlimited */
    return control_json(rq, credits_check, credits_act, &credits);
}

/* ---- lists ---- */

/* The path's {key}/{kind} (kept as one param by routes.c). */
static int split_list_param(req *rq, char *key, size_t cap, const char **kind)
{
    char *sl = strrchr(rq->param, '/');
    if (!sl || (size_t)(sl - rq->param) >= cap || sl == rq->param)
        return 0;
    memcpy(key, rq->param, (size_t)(sl - rq->param));
    key[sl - rq->param] = 0;
    *kind = sl + 1;
    return !strcmp(*kind, "white") || !strcmp(*kind, "grey") || !strcmp(*kind, "black");
}

enum MHD_Result control_list_get(req *rq)
{
    char key[TASK_KEY_MAX + 1];
    const char *kind;
    if (!split_list_param(rq, key, sizeof key, &kind))
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    char *body = NULL;
    if (account_list_get(rq->a->d, key, kind, &body) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    size_t n = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    enum MHD_Result ret = resp_queue(rq, 200, r, n);
    MHD_destroy_response(r);
    return ret;
}

/* A bad line of a list: a problem at ["body", line number]. */
static void list_bad(void *ud, size_t line, const char *l, size_t n, const char *why)
{
    jcheck *jc = ud;
    jloc body = JLOC_ROOT("body"), at = jloc_index(&body, line);
    char msg[1400];
    snprintf(msg, sizeof msg, "Value error, line %zu: %s", line, why);
    if (n && l[n - 1] == '\r')
        n--;
    json_t *input = resp_text(l, n);
    jcheck_add(jc, &at, "value_error", msg, input, NULL);
    json_decref(input);
}

enum MHD_Result control_list_put(req *rq)
{
    char key[TASK_KEY_MAX + 1];
    const char *kind;
    if (!split_list_param(rq, key, sizeof key, &kind))
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    const char *body = rq->body.data ? rq->body.data : "";
    size_t len = rq->body.len;
    /* Every entry is checked first, so a bad list is refused whole here
     * and the stored one stays as it was. */
    jcheck *jc = jcheck_new();
    if (!jc)
        return resp_detail(rq, 500, MSG_INTERNAL);
    if (acct_lists_check(body, len, list_bad, jc) > 0 || jcheck_failed(jc)) {
        enum MHD_Result ret = control_refuse(rq, jc);
        jcheck_free(jc);
        return ret;
    }
    jcheck_free(jc);
    acct_lists *al = acct_lists_new();
    uc_err e = al ? acct_lists_add(al, LIST_WHITE, body, len) : UC_ENOMEM;
    size_t entries = e ? 0 : acct_lists_entries(al);
    acct_lists_free(al);
    if (e || account_list_put(rq->a->d, key, kind, body, len) != UC_OK)
        return resp_detail(rq, 500, MSG_INTERNAL);
    return resp_queue_json(rq, 200, json_pack("{s:s,s:s,s:I}", "api_key", key, "kind", kind,
                                              "entries", (json_int_t)entries));
}
