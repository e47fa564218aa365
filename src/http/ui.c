/* ui.c: the dashboard (src/http/ui/index.html) and the OpenAPI document
 * (openapi.yaml, turned into JSON at build time), both compiled into the
 * binary: no files to find at run time, no build step for the page. */
#include <string.h>

#include "core/embed.h"
#include "http/resp.h"
#include "http/ui.h"

extern const struct embedded_file ui_files[];
extern const struct embedded_file openapi_files[];

static enum MHD_Result serve(req *rq, const struct embedded_file *f, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    enum MHD_Result ret = resp_queue(rq, 200, r, f->len);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result ui_dashboard(req *rq)
{
    return serve(rq, &ui_files[0], "text/html; charset=utf-8");
}

enum MHD_Result ui_openapi(req *rq)
{
    return serve(rq, &openapi_files[0], "application/json");
}
