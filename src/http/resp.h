/* resp.h: building and queueing responses.
 *
 * JSON is made with jansson and written compactly with keys in insertion
 * order, as FastAPI/Starlette writes it (separators "," and ":", UTF-8
 * unescaped). Every response goes through resp_queue(), which records
 * status and size for the access log and the request journal. */
#ifndef UC_RESP_H
#define UC_RESP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>

struct req;

/* Queue body (taken: freed here) with status and content type. */
enum MHD_Result resp_queue_json(struct req *rq, unsigned status, json_t *body);
/* The same for JSON already written out: s (n bytes, from malloc) is
 * taken, freed here even on failure. */
enum MHD_Result resp_queue_json_text(struct req *rq, unsigned status, char *s, size_t n);
/* The same with one extra header (e.g. Retry-After). */
enum MHD_Result resp_queue_json_hdr(struct req *rq, unsigned status, json_t *body,
                                    const char *hname, const char *hvalue);
/* 500 {"detail":"Internal Server Error"} from static memory: the answer
 * when building any other failed (out of memory). rq may be NULL. */
enum MHD_Result resp_500_static(struct MHD_Connection *c, struct req *rq);
/* {"detail": msg} */
enum MHD_Result resp_detail(struct req *rq, unsigned status, const char *msg);
/* Queue a prepared response (not destroyed here). */
enum MHD_Result resp_queue(struct req *rq, unsigned status, struct MHD_Response *r,
                           size_t bytes);

/* A JSON string of any client bytes: kept as they are (NULs too) when
 * they are UTF-8, else with ill-formed bytes replaced by U+FFFD. */
json_t *resp_text(const char *s, size_t n);

/* pydantic's 422 list: start with an empty array, add entries, send. */
json_t *resp_422_new(void);
/* type, loc ("body"/"query", name), msg, input (NULL = json null); ctx
 * may be NULL; both input and ctx are taken. */
void resp_422_add(json_t *list, const char *type, const char *where,
                  const char *name, const char *msg, json_t *input, json_t *ctx);
enum MHD_Result resp_422_send(struct req *rq, json_t *list);

#endif
