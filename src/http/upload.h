/* upload.h: the multipart body of POST batch-check-emails.
 *
 * libmicrohttpd's post processor splits the form; the file part is
 * gathered into writes of 256 KiB that stream straight into its file in
 * the data dir's uploads/ (files_upload_new_path), made at the first: a
 * smaller file part stays in memory, without a file (jobs/submit.h:
 * submit_mem). Small fields are kept with a cap. The storage quota
 * and --max-upload are enforced while the bytes arrive: past them the
 * upload stops at once. */
#ifndef UC_UPLOAD_H
#define UC_UPLOAD_H

#include <stdint.h>
#include "core/err.h"
#include "http/req.h"

typedef struct upload upload;

/* First call for the request: checks the key, prepares the post
 * processor. Returns 1 to go on; 0 when a response was queued (*ret). */
int upload_begin(req *rq, enum MHD_Result *ret);

/* A chunk of the request body. */
enum MHD_Result upload_feed(req *rq, const char *data, size_t n);

/* What the form held, once the body has ended. */
typedef struct upload_form {
    int refused;             /* past the quota or --max-upload, or a write failed */
    int parse_error;         /* the body was not valid multipart */
    int has_file;            /* a part named file with a filename */
    int file_is_text;        /* a part named file without a filename */
    const char *file_text;   /* its value then */
    const char *filename;    /* client's file name (may hold path parts) */
    uint64_t file_bytes;
    const char *project_name;  /* NULL if absent */
    const char *deduplicate;   /* NULL if absent */
} upload_form;

void upload_form_get(req *rq, upload_form *f);

/* Answer a refused upload (413 quota or size, 500 write error). */
enum MHD_Result upload_refuse(req *rq);

/* Close the stored file part and give its path (borrowed until
 * upload_free), for submit() to commit in place or move; or, for a file
 * part held in memory, *path NULL and *mem its bytes (upload_form's
 * file_bytes of them, borrowed until upload_free), for submit_mem(). UC_EIO
 * when there is no file part or its file could not be closed. */
uc_err upload_file(req *rq, const char **path, const char **mem);

/* The file at upload_file's path was moved away (submit took it): there
 * is nothing left to remove when the upload is freed. */
void upload_file_moved(req *rq);

/* The file part's first pass (jobs/prepass.h), stopped, now the caller's
 * (to put in the task it submits); NULL when none ran. */
struct prepass *upload_prepass_take(req *rq);

/* Free, removing the stored file if submit did not take it. Accepts NULL. */
void upload_free(upload *up);

#endif
