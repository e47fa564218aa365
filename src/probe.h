/* probe.h: `ucmock --probe URL`, the health check of the container image. */
#ifndef UC_PROBE_H
#define UC_PROBE_H

/* GET url (http://HOST[:PORT]/PATH, plain HTTP only) within timeout_ms.
 * Returns the process exit status: 0 when the answer is 200, 1 for any
 * other status, no answer, a time-out or a bad URL (the reason goes to
 * stderr). 1, never 2: Docker reserves a health check's exit status 2. */
int probe_run(const char *url, int timeout_ms);

#endif
