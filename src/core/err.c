/* err.c: descriptions of the project's error codes. */
#include "core/err.h"

const char *uc_strerror(uc_err e)
{
    switch (e) {
    case UC_OK: return "ok";
    case UC_ENOMEM: return "out of memory";
    case UC_EIO: return "input/output error";
    case UC_EDB: return "database error";
    case UC_EFORMAT: return "malformed input";
    case UC_ELIMIT: return "limit exceeded";
    case UC_ENOTFOUND: return "not found";
    case UC_EINVAL: return "invalid argument";
    case UC_ECANCELED: return "cancelled";
    case UC_EQUOTA: return "storage quota exceeded";
    case UC_EEXIST: return "already exists";
    }
    return "unknown error";
}
