/* pass.c: the machinery both passes share (see pass.h): the pass-1 pipe
 * into the dedup set and the classifier, and the row-record spill. */
#include "jobs/pass.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/files.h"

/* Uploads up to this size keep their row records in memory: at most 24
 * bytes a row, and a row takes at least one byte of a delimited upload
 * (an XLSX has at most 1,048,576 rows), so at most about 25 MB. */
#define RECORDS_IN_MEMORY_MAX (1 << 20)

/* The records' stdio buffer: 1 MiB, or less for an upload too small to
 * fill it (a 10-row task's 240 bytes of records need no 1 MiB malloc). */
#define RECORDS_BUF_MAX (1 << 20)
#define RECORDS_BUF_MIN (4 << 10)

uc_err pass_open_records(pass *r)
{
    int64_t up = r->j->t.upload_bytes;
    size_t cap = up > RECORDS_BUF_MAX ? RECORDS_BUF_MAX
                 : up < RECORDS_BUF_MIN ? RECORDS_BUF_MIN : (size_t)up;
    r->recs = files_scratch(r->env->data_dir, ".rows", up <= RECORDS_IN_MEMORY_MAX, cap,
                            &r->recs_buf);
    return r->recs ? UC_OK : UC_EIO;
}

/* Insert the oldest row of the pipe, classify its address if new, and
 * write its record. */
static uc_err settle(pass *r)
{
    pending *p = &r->pipe[r->pipe_head];
    r->pipe_head = (r->pipe_head + 1) % PIPE;
    r->pipe_n--;
    if (p->has_key) {
        int is_new;
        uint32_t id = dedup_put_hash(r->dd, p->hh, p->row, &is_new);
        if (id == DEDUP_NONE)
            return UC_ENOMEM;
        uint8_t *tag = dedup_tag(r->dd, id);
        if (is_new && p->judged) {
            *tag = p->rec.verdict;
        } else if (is_new) {
            verdict v;
            uc_err e = classify(r->env->dl, r->al, p->key, p->klen, &v);
            if (e)
                return e;
            *tag = (uint8_t)v;
        }
        p->rec.entry = id;
        p->rec.verdict = *tag;
    }
    return fwrite_unlocked(&p->rec, sizeof p->rec, 1, r->recs) == 1 ? UC_OK : UC_EIO;
}

uc_err pass_hash(const cell *c, dedup_hash *hh, int *has_key)
{
    /* Dedup compares the normalised address. */
    char norm[PASS_KEY_MAX];
    size_t nlen = c->type == CELL_EMPTY ? 0 : dedup_normalise(c->v, c->len, norm, PASS_KEY_MAX);
    *has_key = nlen > 0;
    if (!*has_key)
        return UC_OK;
    if (c->len < PASS_KEY_MAX) {
        *hh = dedup_hash_of(norm, nlen);
        return UC_OK;
    }
    /* Two long cells are the same only if all their text is: hash it
     * whole. */
    size_t cap = c->len * 2 + 16; /* lowercase can grow UTF-8 a little */
    char *big = malloc(cap);
    if (!big)
        return UC_ENOMEM;
    size_t n = dedup_normalise(c->v, c->len, big, cap);
    *hh = dedup_hash_of(big, n);
    free(big);
    return UC_OK;
}

uc_err pass_stage(pass *r, const cell *c, rowrec rec)
{
    if (r->pipe_n == PIPE) {
        uc_err e = settle(r);
        if (e)
            return e;
    }
    pending *p = &r->pipe[(r->pipe_head + r->pipe_n++) % PIPE];
    rec.entry = DEDUP_NONE;
    rec.verdict = V_BLACK_INVALID;
    p->rec = rec;
    p->row = r->nrows++;
    uc_err e = pass_hash(c, &p->hh, &p->has_key);
    if (e)
        return e;
    /* The classifier judges the cell as given (pydantic's wrapper strips
     * and unwraps it itself). */
    p->judged = 0;
    p->klen = c->len < PASS_KEY_MAX ? c->len : 0;
    if (!p->has_key)
        return UC_OK;
    memcpy(p->key, c->v, p->klen);
    if (c->len >= PASS_KEY_MAX) {
        /* A cell this long can still hold a valid address (a long display
         * name, white space; pydantic caps the value at 2,048 characters):
         * judge it now, while it is at hand. */
        verdict v;
        if ((e = classify(r->env->dl, r->al, c->v, c->len, &v)))
            return e;
        p->rec.verdict = (uint8_t)v;
        p->judged = 1;
    }
    dedup_prefetch(r->dd, p->hh);
    return UC_OK;
}

uc_err pass_drain(pass *r)
{
    while (r->pipe_n) {
        uc_err e = settle(r);
        if (e)
            return e;
    }
    return UC_OK;
}
