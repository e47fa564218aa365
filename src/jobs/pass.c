/* pass.c: the machinery both passes share (see pass.h): the pass-1 pipe
 * into the dedup set and the classifier, and the row-record spill. */
#include "jobs/pass.h"

#include <stdlib.h>
#include <unistd.h>

#include "store/files.h"

uc_err pass_open_records(pass *r)
{
    char path[FILES_PATH_MAX];
    files_tmp_path(r->env->data_dir, ".rows", path);
    r->recs = fopen(path, "w+e");
    if (!r->recs)
        return UC_EIO;
    unlink(path); /* anonymous from here on: nothing to clean up */
    setvbuf(r->recs, NULL, _IOFBF, 1 << 20);
    return UC_OK;
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
        if (is_new)
            *tag = (uint8_t)classify(r->env->dl, r->al, p->key, p->klen);
        p->rec.entry = id;
        p->rec.verdict = *tag;
    }
    return fwrite_unlocked(&p->rec, sizeof p->rec, 1, r->recs) == 1 ? UC_OK : UC_EIO;
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
    p->klen = c->type == CELL_EMPTY ? 0 : dedup_normalise(c->v, c->len, p->key, PASS_KEY_MAX);
    p->has_key = p->klen > 0;
    if (p->has_key && c->len >= PASS_KEY_MAX) {
        /* A cell this long is no address (the limit is 254 octets), but
         * two of them are the same only if all their text is: hash it
         * whole. The kept prefix is enough to judge it invalid. */
        size_t cap = c->len * 2 + 16; /* lowercase can grow UTF-8 a little */
        char *big = malloc(cap);
        if (!big)
            return UC_ENOMEM;
        size_t n = dedup_normalise(c->v, c->len, big, cap);
        p->hh = dedup_hash_of(big, n);
        free(big);
        dedup_prefetch(r->dd, p->hh);
    } else if (p->has_key) {
        p->hh = dedup_hash_of(p->key, p->klen);
        dedup_prefetch(r->dd, p->hh);
    }
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
