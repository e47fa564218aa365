/* download.h: signed, expiring download URLs for results.
 *
 * A URL is ORIGIN/downloads/TASK_ID?expires=UNIX_SECONDS&signature=HEX
 * where HEX is HMAC-SHA256(secret, "TASK_ID:UNIX_SECONDS"). It needs no
 * API key; the signature binds the task and the expiry, and is compared
 * in constant time. */
#ifndef UC_DOWNLOAD_H
#define UC_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "http/req.h"

/* Hex signature (64 chars + NUL) of id and expires. */
void download_sign(const unsigned char secret[32], const char *id, int64_t expires,
                   char out[65]);

typedef enum dl_verdict {
    DL_OK = 0,
    DL_BAD,       /* missing, malformed or wrong signature */
    DL_EXPIRED,   /* genuine, but past its expiry */
} dl_verdict;

/* Check the query values of a download URL at time now (seconds). Pure:
 * no I/O, safe on any input. */
dl_verdict download_verify(const unsigned char secret[32], const char *id,
                           const char *expires, const char *signature, int64_t now);

/* GET/HEAD /downloads/{id}: the result file, streamed from disk. */
enum MHD_Result download_serve(req *rq);

#endif
