/* resp.c: JSON bodies and the one place responses are queued. */
#include "http/resp.h"

#include <stdlib.h>
#include <string.h>

#include "core/messages.h"
#include "core/utf8.h"
#include "http/req.h"

enum MHD_Result resp_queue(req *rq, unsigned status, struct MHD_Response *r,
                           size_t bytes)
{
    enum MHD_Result ret = MHD_queue_response(rq->c, status, r);
    if (ret == MHD_YES) {
        rq->status = status;
        rq->bytes = bytes;
    }
    return ret;
}

static const char ISE[] = "{\"detail\":\"" MSG_INTERNAL "\"}";

enum MHD_Result resp_500_static(struct MHD_Connection *c, req *rq)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof ISE - 1, (void *)ISE, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 500, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES && rq) {
        rq->status = 500;
        rq->bytes = sizeof ISE - 1;
    }
    return ret;
}

/* Queue the JSON text s (n bytes, taken) with one optional header. */
static enum MHD_Result queue_text(req *rq, unsigned status, char *s, size_t n,
                                  const char *hname, const char *hvalue)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (hname)
        MHD_add_response_header(r, hname, hvalue);
    enum MHD_Result ret = resp_queue(rq, status, r, n);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result resp_queue_json_text(req *rq, unsigned status, char *s, size_t n)
{
    if (!s)
        return MHD_NO;
    return queue_text(rq, status, s, n, NULL, NULL);
}

enum MHD_Result resp_queue_json_hdr(req *rq, unsigned status, json_t *body,
                                    const char *hname, const char *hvalue)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (!s)
        return MHD_NO;
    return queue_text(rq, status, s, strlen(s), hname, hvalue);
}

enum MHD_Result resp_queue_json(req *rq, unsigned status, json_t *body)
{
    return resp_queue_json_hdr(rq, status, body, NULL, NULL);
}

enum MHD_Result resp_detail(req *rq, unsigned status, const char *msg)
{
    return resp_queue_json(rq, status, json_pack("{s:s}", "detail", msg));
}

json_t *resp_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n); /* NULL when not UTF-8 */
    if (j)
        return j;
    char *clean = utf8_sanitize_dup(s, n);
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}

json_t *resp_422_new(void) { return json_array(); }

void resp_422_add(json_t *list, const char *type, const char *where,
                  const char *name, const char *msg, json_t *input, json_t *ctx)
{
    json_t *e = json_pack("{s:s,s:[s,s],s:s,s:o}", "type", type, "loc", where,
                          name, "msg", msg, "input", input ? input : json_null());
    if (e && ctx)
        json_object_set_new(e, "ctx", ctx);
    else
        json_decref(ctx);
    json_array_append_new(list, e);
}

enum MHD_Result resp_422_send(req *rq, json_t *list)
{
    return resp_queue_json(rq, 422, json_pack("{s:o}", "detail", list));
}
