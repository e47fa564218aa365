/* routes.h: the route table that maps method and path to a handler
 * (routes.c).
 *
 * A handler answers its request through resp.h and returns what MHD's
 * access handler returns; each module declares its own (v1.h, control.h,
 * download.h, health.h, ui.h). Adding an endpoint is one line in
 * routes.c. */
#ifndef UC_ROUTES_H
#define UC_ROUTES_H

#include <stddef.h>

#include "http/req.h"

/* What the daemon reads of a request's body before the handler runs. */
typedef enum body_kind {
    BODY_NONE,     /* none expected: any body is read and ignored */
    BODY_SMALL,    /* kept in rq->body, up to a cap (control API, JSON) */
    BODY_UPLOAD,   /* multipart, streamed to disk by upload.c */
} body_kind;

typedef struct route {
    const char *method;
    const char *path;   /* exact path, or the prefix before {param} */
    int has_param;
    body_kind body;
    enum MHD_Result (*fn)(req *rq);
    int journal;        /* recorded in the request journal */
    const char *const *query;  /* names accepted in the query (NULL-
                                  terminated; others get 400); NULL: any */
    const char *tmpl;   /* public path template ("/x/{id}"); NULL: path */
    const char *doc;    /* one line for the index (GET /__mock) */
} route;

/* The route for method and url; the {param} of its path (cut to cap-1
 * bytes) in param. NULL when none: *path_known then tells a 405 (some
 * route has this path) from a 404. */
const route *routes_match(const char *method, const char *url, char *param, size_t cap,
                          int *path_known);

/* Call fn for every route, in table order (the index is made from it, so
 * it cannot drift from what is served). */
void routes_each(void (*fn)(void *ud, const route *r), void *ud);

#endif
