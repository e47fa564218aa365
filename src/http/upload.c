/* upload.c: streaming multipart uploads to the data dir (see upload.h). */
#include "http/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/io.h"
#include "core/messages.h"
#include "core/utf8.h"
#include "http/auth.h"
#include "http/resp.h"
#include "jobs/prepass.h"
#include "jobs/submit.h"
#include "store/files.h"

#define FIELD_MAX 65536        /* bytes kept of a text field */
#define PP_BUFFER (64 * 1024)  /* post processor buffer */
/* The file part is gathered into writes of this size: the post processor
 * hands it over in pieces no larger than the daemon's read buffer (a few
 * KiB with a small connection pool), and a write(2) per piece costs a
 * system call each (52 MB in 16 KiB pieces: 3,200 writes, 0.01 s). */
#define WRITE_CHUNK (256u << 10)
#define WRITEBACK_STEP (8u << 20) /* upload bytes between writeback starts */
#define FORM_SLACK (3 * FIELD_MAX + 65536) /* most a form adds to its file */

/* The form's text fields, each kept to FIELD_MAX bytes. */
enum { F_PROJECT_NAME, F_DEDUPLICATE, F_FILE_TEXT, N_FIELDS };

struct upload {
    struct MHD_PostProcessor *pp;
    app *a;
    int fd;
    char tmp[FILES_PATH_MAX];
    uint64_t bytes;          /* of the file part, received */
    uint64_t written;        /* of them, in the file (the rest in wbuf) */
    uint64_t synced;         /* bytes whose writeback has started */
    int quoted;              /* a double quote was written */
    char *wbuf;              /* WRITE_CHUNK bytes, NULL until a file part */
    size_t wlen;
    int64_t room;            /* bytes the account may still store */
    int has_file, file_is_text, parse_error, over_quota, over_max, io_error;
    char filename[TASK_FILENAME_MAX + 1];
    const char *key;         /* the caller's (borrowed from the request) */
    prepass *pre;            /* the file part's first pass, NULL: none */
    struct buf field[N_FIELDS];  /* as received; data NULL while absent */
    char *clean[N_FIELDS];       /* as decoded by upload_form_get */
};

/* Append to a capped text field: bytes past FIELD_MAX are dropped. A new
 * part (off == 0) replaces it: the last of duplicate fields wins, as in
 * Starlette; a field sent empty is present (data not NULL). */
static int field_add(struct buf *f, uint64_t off, const char *data, size_t n)
{
    if (off == 0) {
        buf_reset(f);
        if (buf_reserve(f, 0) != UC_OK)
            return -1;
    }
    if (n > f->max - f->len)
        n = f->max - f->len;
    return buf_add(f, data, n) == UC_OK ? 0 : -1;
}

/* The file part has grown: start its first pass once it is as large as
 * a split task's (a few at a time: at most one per worker), or tell the
 * running one. The format is guessed from the file name here; the run
 * checks the task's own. */
static void track(upload *up)
{
    if (up->pre) {
        prepass_grow(up->pre, up->written);
        return;
    }
    const config *cfg = up->a->cfg;
    const char *dot = strrchr(up->filename, '.');
    enum task_format fmt;
    if (up->written < cfg->split_min || up->written < PREPASS_MIN || !dot ||
        !task_format_parse(dot + 1, &fmt))
        return;
    up->pre = prepass_start(&up->a->env, up->tmp, fmt, up->key, cfg->workers);
    if (up->pre)
        prepass_grow(up->pre, up->written);
}

/* Write out what wbuf holds, into the file part's file, made at the
 * first write: straight into its place in uploads/ (submit keeps the
 * path; a later file part of another format is moved by submit). -1 on a
 * write error. */
static int flush(upload *up)
{
    if (up->wlen == 0)
        return 0;
    if (up->fd < 0) {
        files_upload_new_path(up->a->cfg->data_dir, up->filename, up->tmp);
        up->fd = open(up->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (up->fd < 0) {
            up->tmp[0] = '\0'; /* nothing there to remove */
            return -1;
        }
    }
    /* while the bytes are in cache: a file with none spares the split
     * a pass over it after the upload (about 10 ms for 50 MB) */
    if (!up->quoted && memchr(up->wbuf, '"', up->wlen))
        up->quoted = 1;
    if (io_write_all(up->fd, up->wbuf, up->wlen) != UC_OK)
        return -1;
    up->written += up->wlen;
    up->wlen = 0;
    return 0;
}

/* A piece of the file part: gathered in wbuf, written a chunk at a time;
 * each chunk then tells the pre-pass, and starts writeback every
 * WRITEBACK_STEP bytes. -1 on a write error. */
static int file_add(upload *up, const char *data, size_t size)
{
    while (size > 0) {
        size_t n = WRITE_CHUNK - up->wlen;
        if (n > size)
            n = size;
        memcpy(up->wbuf + up->wlen, data, n);
        up->wlen += n;
        data += n;
        size -= n;
        if (up->wlen < WRITE_CHUNK)
            break;
        if (flush(up) != 0)
            return -1;
        track(up);
        if (up->written - up->synced >= WRITEBACK_STEP) {
            /* the commit's fsync then finds most of a large file on disk
             * (535 MB: 0.5 s less between the last byte and processing) */
            io_writeback(up->fd, up->synced, up->written - up->synced);
            up->synced = up->written;
        }
    }
    return 0;
}

/* A new file part (the last one wins): an empty file. 0 or -1. */
static int file_start(upload *up, const char *filename)
{
    if (!up->wbuf && !(up->wbuf = malloc(WRITE_CHUNK)))
        return -1;
    /* the pre-pass maps the file: gone before it shrinks */
    prepass_free(up->pre);
    up->pre = NULL;
    /* no file until the part outgrows wbuf (flush): a smaller one is
     * held in memory, and may never need one (submit_mem) */
    if (up->fd >= 0 && (ftruncate(up->fd, 0) != 0 || lseek(up->fd, 0, SEEK_SET) != 0))
        return -1;
    up->bytes = up->written = up->synced = 0;
    up->quoted = 0;
    up->wlen = 0;
    up->has_file = 1;
    up->file_is_text = 0;
    snprintf(up->filename, sizeof up->filename, "%s", filename);
    return 0;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data,
                               uint64_t off, size_t size)
{
    upload *up = cls;
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (!key)
        return MHD_YES;
    if (!strcmp(key, "file") && filename) {
        if (off == 0 && file_start(up, filename) != 0) {
            up->io_error = 1; /* a 500 (out of memory or disk) */
            return MHD_NO;
        }
        up->bytes += size;
        if (up->bytes > up->a->cfg->max_upload) {
            up->over_max = 1;
            return MHD_NO;
        }
        if (!submit_fits(up->room, up->bytes)) {
            up->over_quota = 1;
            return MHD_NO;
        }
        if (file_add(up, data, size) != 0) {
            up->io_error = 1;
            return MHD_NO;
        }
        return MHD_YES;
    }
    int r = 0;
    if (!strcmp(key, "file")) {
        if (off == 0)
            up->has_file = 0;
        up->file_is_text = 1;
        r = field_add(&up->field[F_FILE_TEXT], off, data, size);
    } else if (!strcmp(key, "project_name")) {
        r = field_add(&up->field[F_PROJECT_NAME], off, data, size);
    } else if (!strcmp(key, "deduplicate")) {
        r = field_add(&up->field[F_DEDUPLICATE], off, data, size);
    }
    if (r != 0) {
        up->io_error = 1; /* out of memory: answered as a 500 */
        return MHD_NO;
    }
    return MHD_YES;
}

static enum MHD_Result refuse(req *rq)
{
    upload *up = rq->up;
    if (up->over_quota)
        return resp_detail(rq, 413, MSG_QUOTA);
    if (up->over_max) {
        char lim[32], msg[96];
        config_format_size(rq->a->cfg->max_upload, lim, sizeof lim);
        snprintf(msg, sizeof msg, MSG_TOO_LARGE_FMT, lim);
        return resp_detail(rq, 413, msg);
    }
    if (up->io_error)
        return resp_detail(rq, 500, MSG_ERROR_PROCESSING);
    return resp_detail(rq, 400, MSG_BAD_BODY);
}

/* Close and remove the partial upload (a refused one keeps nothing). */
static void discard_file(upload *up)
{
    prepass_free(up->pre);
    up->pre = NULL;
    up->wlen = 0;
    if (up->fd >= 0) {
        close(up->fd);
        up->fd = -1;
        unlink(up->tmp);
        up->tmp[0] = '\0';
    }
}

static void refuse_deferred(req *rq, void *arg, int cancelled)
{
    (void)arg;
    if (!cancelled)
        refuse(rq);
}

/* Answer now and stop reading: the rest of the body is dropped and the
 * connection closed after the response. MHD takes no response while it
 * hands over upload data, so the answer goes through req_defer. */
static enum MHD_Result refuse_now(req *rq)
{
    discard_file(rq->up); /* free the space at once */
    return req_defer(rq, 0, refuse_deferred, NULL) == 0 ? MHD_YES : MHD_NO;
}

int upload_begin(req *rq, enum MHD_Result *ret)
{
    if (!auth_require(rq, ret))
        return 0;
    upload *up = calloc(1, sizeof *up);
    if (!up) {
        *ret = resp_500_static(rq->c, rq);
        return 0;
    }
    up->fd = -1;
    up->a = rq->a;
    up->key = rq->api_key;
    for (int i = 0; i < N_FIELDS; i++)
        buf_init(&up->field[i], FIELD_MAX);
    rq->up = up;
    if (submit_room(rq->a->d, rq->api_key, rq->a->cfg->storage_limit, &up->room) != UC_OK) {
        *ret = resp_detail(rq, 500, MSG_ERROR_PROCESSING);
        return 0;
    }
    /* A declared length far past the room (more than any form overhead)
     * is refused before a byte of the body is read. */
    const char *cl = req_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        long long n = atoll(cl);
        int64_t slack_room = up->room > INT64_MAX - FORM_SLACK ? INT64_MAX
                                                                : up->room + FORM_SLACK;
        if (n >= 0 && !submit_fits(slack_room, (uint64_t)n)) {
            up->over_quota = 1;
            *ret = refuse(rq);
            return 0;
        }
        if ((uint64_t)n > rq->a->cfg->max_upload + FORM_SLACK) {
            up->over_max = 1;
            *ret = refuse(rq);
            return 0;
        }
    }
    up->pp = MHD_create_post_processor(rq->c, PP_BUFFER, on_part, up);
    if (!up->pp) {
        /* Not multipart/form-data or urlencoded, or no boundary: the body
         * holds none of the fields (FastAPI answers 422 "missing"). A
         * multipart type without a boundary is a parse error. */
        const char *ct = req_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (ct && !strncasecmp(ct, "multipart/", 10))
            up->parse_error = 1;
    }
    return 1;
}

enum MHD_Result upload_feed(req *rq, const char *data, size_t n)
{
    upload *up = rq->up;
    if (!up->pp || up->parse_error)
        return MHD_YES; /* drain: nothing to keep */
    if (MHD_post_process(up->pp, data, n) != MHD_YES) {
        if (!up->over_quota && !up->over_max && !up->io_error)
            up->parse_error = 1;
        if (up->over_quota || up->over_max || up->io_error)
            return refuse_now(rq);
    }
    return MHD_YES;
}

void upload_form_get(req *rq, upload_form *f)
{
    upload *up = rq->up;
    memset(f, 0, sizeof *f);
    if (up->pp) {
        /* Flushing the last buffered bytes may still cross a cap. */
        if (MHD_destroy_post_processor(up->pp) != MHD_YES &&
            !up->over_quota && !up->over_max && !up->io_error)
            up->parse_error = 1; /* body ended mid-part */
        up->pp = NULL;
    }
    /* The file part's last bytes (a failed write: answered as a 500). */
    if (up->fd >= 0 && flush(up) != 0)
        up->io_error = 1;
    /* Text fields as Starlette would decode them: UTF-8, ill-formed bytes
     * replaced (so every value can go into JSON and the database). */
    const char *text[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++) {
        struct buf *b = &up->field[i];
        if (b->data && !up->clean[i])
            up->clean[i] = utf8_sanitize_dup(b->data, b->len);
        text[i] = up->clean[i] ? up->clean[i] : b->data; /* as sent, if out of memory */
    }
    char *fn = utf8_sanitize_dup(up->filename, strlen(up->filename));
    if (fn) { /* cut back to the field, on a character boundary */
        size_t n = strlen(fn);
        if (n > TASK_FILENAME_MAX) {
            n = TASK_FILENAME_MAX;
            while (n > 0 && ((unsigned char)fn[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(up->filename, fn, n);
        up->filename[n] = 0;
        free(fn);
    }
    f->refused = up->over_quota || up->over_max || up->io_error;
    f->parse_error = up->parse_error;
    f->has_file = up->has_file;
    f->file_is_text = up->file_is_text && !up->has_file;
    f->file_text = text[F_FILE_TEXT] ? text[F_FILE_TEXT] : "";
    f->filename = up->filename;
    f->file_bytes = up->bytes;
    f->project_name = text[F_PROJECT_NAME];
    f->deduplicate = text[F_DEDUPLICATE];
}

enum MHD_Result upload_refuse(req *rq)
{
    discard_file(rq->up);
    return refuse(rq);
}

uc_err upload_file(req *rq, const char **path, const char **mem)
{
    upload *up = rq->up;
    *path = *mem = NULL;
    if (up->fd < 0 && up->has_file && up->wbuf) { /* all of it in wbuf */
        *mem = up->wbuf;
        return UC_OK;
    }
    if (up->fd < 0)
        return UC_EIO;
    int rc = close(up->fd);
    up->fd = -1;
    if (rc != 0)
        return UC_EIO;
    *path = up->tmp;
    return UC_OK;
}

void upload_file_moved(req *rq)
{
    rq->up->tmp[0] = '\0';
}

struct prepass *upload_prepass_take(req *rq)
{
    upload *up = rq->up;
    prepass *pp = up->pre;
    up->pre = NULL;
    prepass_complete(pp, !up->quoted);
    return pp;
}

void upload_free(upload *up)
{
    if (!up)
        return;
    prepass_free(up->pre);
    if (up->pp)
        MHD_destroy_post_processor(up->pp);
    if (up->fd >= 0)
        close(up->fd);
    if (up->tmp[0])
        unlink(up->tmp); /* a refused or failed upload keeps nothing */
    for (int i = 0; i < N_FIELDS; i++) {
        buf_free(&up->field[i]);
        free(up->clean[i]);
    }
    free(up->wbuf);
    free(up);
}
