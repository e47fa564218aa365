/* download.c: signing and verifying download URLs, and serving results
 * from disk by file descriptor (sendfile), never through memory. */
#include "http/download.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/messages.h"
#include "http/resp.h"
#include "store/files.h"

void download_sign(const unsigned char secret[32], const char *id, int64_t expires,
                   char out[65])
{
    char msg[128];
    int n = snprintf(msg, sizeof msg, "%s:%lld", id, (long long)expires);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, secret);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

dl_verdict download_verify(const unsigned char secret[32], const char *id,
                           const char *expires, const char *signature, int64_t now)
{
    if (!id || !expires || !signature || strlen(id) > 64)
        return DL_BAD;
    if (strlen(signature) != 64 || !*expires || strlen(expires) > 19)
        return DL_BAD;
    int64_t e = 0;
    for (const char *p = expires; *p; p++) {
        if (*p < '0' || *p > '9' || e > (INT64_MAX - (*p - '0')) / 10)
            return DL_BAD; /* not a digit, or past INT64_MAX */
        e = e * 10 + (*p - '0');
    }
    char want[65];
    download_sign(secret, id, e, want);
    /* Lowercase the candidate first so the comparison is over equal
     * lengths of the same alphabet; sodium_memcmp is constant time. */
    char got[65];
    for (int i = 0; i < 64; i++) {
        char ch = signature[i];
        got[i] = (char)(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
    }
    got[64] = 0;
    if (sodium_memcmp(want, got, 64) != 0)
        return DL_BAD;
    return now > e ? DL_EXPIRED : DL_OK;
}

static const char *content_type(enum task_format fmt)
{
    switch (fmt) {
    case TASK_XLSX:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case TASK_TSV:
        return "text/tab-separated-values; charset=utf-8";
    case TASK_TXT:
        return "text/plain; charset=utf-8";
    case TASK_CSV:
        break;
    }
    return "text/csv; charset=utf-8";
}

/* attachment; filename="safe_results.csv"; filename*=UTF-8''pct-encoded */
static void disposition(const task *t, char *out, size_t cap)
{
    char stem[TASK_FILENAME_MAX + 1];
    snprintf(stem, sizeof stem, "%s", t->filename);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = 0;
    char ascii[TASK_FILENAME_MAX + 1], pct[TASK_FILENAME_MAX * 3 + 1];
    size_t a = 0, p = 0;
    for (const unsigned char *s = (const unsigned char *)stem; *s; s++) {
        int safe = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.';
        ascii[a++] = safe ? (char)*s : '_';
        if (safe)
            pct[p++] = (char)*s;
        else
            p += (size_t)snprintf(pct + p, sizeof pct - p, "%%%02X", *s);
    }
    ascii[a] = pct[p] = 0;
    if (!a)
        snprintf(ascii, sizeof ascii, "results");
    snprintf(out, cap, "attachment; filename=\"%s_results.%s\"; "
             "filename*=UTF-8''%s_results.%s", ascii, task_format_name(t->format),
             p ? pct : "results", task_format_name(t->format));
}

/* A response that stops after `limit` bytes of the file, then breaks the
 * connection: the drop_connection fault for downloads. */
typedef struct cut {
    int fd;
    uint64_t limit;
} cut;

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    cut *c = cls;
    if (pos >= c->limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (max > c->limit - pos)
        max = (size_t)(c->limit - pos);
    ssize_t n = pread(c->fd, buf, max, (off_t)pos);
    if (n <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

static void cut_free(void *cls)
{
    cut *c = cls;
    close(c->fd);
    free(c);
}

enum MHD_Result download_serve(req *rq)
{
    app *a = rq->a;
    const char *id = rq->param;
    int64_t now = clock_now_ms() / 1000;
    dl_verdict v = download_verify(a->secret, id, req_query(rq, "expires"),
                                   req_query(rq, "signature"), now);
    if (v == DL_BAD)
        return resp_detail(rq, 403, MSG_LINK_BAD_SIGNATURE);
    if (v == DL_EXPIRED)
        return resp_detail(rq, 403, MSG_LINK_EXPIRED);
    task t;
    if (task_id_valid(id))
        memcpy(rq->task_id, id, TASK_ID_LEN + 1);
    if (!task_id_valid(id) || task_get(a->d, id, NULL, &t) != UC_OK ||
        t.status != TASK_COMPLETED)
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    char path[FILES_PATH_MAX];
    files_result_path(a->cfg->data_dir, t.id, t.format, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return resp_detail(rq, 404, MSG_NOT_FOUND);
    }
    struct MHD_Response *r;
    uint64_t size = (uint64_t)st.st_size;
    if (rq->fault_drop_after >= 0 && (uint64_t)rq->fault_drop_after < size) {
        cut *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            return MHD_NO;
        }
        c->fd = fd;
        c->limit = (uint64_t)rq->fault_drop_after;
        r = MHD_create_response_from_callback(size, 64 * 1024, cut_read, c, cut_free);
        if (!r)
            cut_free(c);
    } else {
        r = MHD_create_response_from_fd(size, fd);
        if (!r)
            close(fd);
    }
    if (!r)
        return MHD_NO;
    char cd[TASK_FILENAME_MAX * 4 + 128];
    disposition(&t, cd, sizeof cd);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(t.format));
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "private, max-age=0");
    enum MHD_Result ret = resp_queue(rq, 200, r, size);
    MHD_destroy_response(r);
    return ret;
}
