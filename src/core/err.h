/* err.h: the one error enum of the project.
 *
 * Anything that can fail for more than one reason returns a uc_err. Library
 * codes (sqlite, libcsv, zlib, errno) are converted once, at the module
 * boundary. Only the HTTP layer maps these to status codes. */
#ifndef UC_ERR_H
#define UC_ERR_H

typedef enum uc_err {
    UC_OK = 0,
    UC_ENOMEM,      /* allocation failed */
    UC_EIO,         /* read/write/fsync/rename failed */
    UC_EDB,         /* SQLite error */
    UC_EFORMAT,     /* input is not what it claims to be (corrupt, not text) */
    UC_ELIMIT,      /* a hard cap was hit (field, row, entry, inflated bytes) */
    UC_ENOTFOUND,   /* no such thing (task, entry, part) */
    UC_EINVAL,      /* caller passed something invalid */
    UC_ECANCELED,   /* the operation was cancelled (task deleted) */
    UC_EQUOTA,      /* storage quota exceeded */
    UC_EEXIST,      /* already exists */
} uc_err;

/* Short static description of an error code. Never NULL. */
const char *uc_strerror(uc_err e);

#endif
