/* faults.h: the fault engine behind /__mock/faults.
 *
 * A fault is armed from its JSON spec, gets an id, matches requests by
 * method, path prefix and API key, and is used up after `times` matches
 * (or stays until deleted or cleared). An HTTP fault acts on a request before its handler: a
 * delay, a canned response, a dropped connection, or a download cut after
 * some bytes. A job fault is taken by the next batch submission of its
 * key: the task then fails with a given error, or takes a given time.
 *
 * The table is in memory behind one mutex (a restart or /__mock/reset
 * clears it); every function is safe from any thread. */
#ifndef UC_FAULTS_H
#define UC_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jcheck.h"
#include "http/req.h"
#include "store/tasks.h"

typedef struct faults faults;

faults *faults_new(void);
void faults_free(faults *fs);  /* accepts NULL */

/* Arm a fault from spec (borrowed; kept for listing), checked strictly
 * (jcheck.h): unknown names, wrong types, values out of range and specs
 * that could never act are each a problem recorded in jc at its path
 * under `at`, and nothing is armed. Returns the fault as GET
 * /__mock/faults lists it (new reference), or NULL: problems in jc, or
 * out of memory when jc has none. */
json_t *faults_arm(faults *fs, json_t *spec, jcheck *jc, const jloc *at);

/* Disarm every fault of fs and arm those of from in their place, in
 * their order, with fresh ids of fs; from is left empty. A scenario arms
 * its faults in a table of its own (checking each with faults_arm), then
 * moves them in at once. */
void faults_replace(faults *fs, faults *from);

/* Every armed fault, oldest first, as listed (new reference; NULL when
 * out of memory). */
json_t *faults_json(faults *fs);

/* The fault with this id as listed (new reference). *found tells whether
 * there is one (NULL with *found set: out of memory). */
json_t *faults_get(faults *fs, int id, int *found);

/* Disarm the fault with this id. Returns 1, or 0 when there is none. */
int faults_delete(faults *fs, int id);

/* Disarm every fault (key NULL), or those that match only key. */
void faults_clear(faults *fs, const char *key);

/* What an HTTP fault does to the request it matched. */
typedef struct fault_action {
    int delay_ms;        /* wait this long first */
    int status;          /* then answer this (0: no canned response) */
    json_t *body;        /* its body (NULL: {"detail":"Injected fault"}) */
    json_t *headers;     /* extra headers, an object of strings, or NULL */
    int drop;            /* close the connection... */
    int64_t drop_after;  /* ...at once (-1), or after this many body bytes */
    int id;              /* the fault's, and its uses left after this one */
    int left;            /* (-1: until cleared), for the log */
} fault_action;

/* Take one use of the first armed HTTP fault that matches method, path
 * and key (NULL when the request has none). Returns 1 with *act filled
 * (release it with fault_action_release), 0 when none matches. */
int faults_take_http(faults *fs, const char *method, const char *path, const char *key,
                     fault_action *act);
void fault_action_release(fault_action *act);

/* At submission: take one use of the first job fault armed for key, if
 * any, into t (fault_fail, fault_delay_ms), and log that it fired. */
void faults_take_task(faults *fs, const char *key, task *t);

/* Before a request is handled: apply the first armed HTTP fault that
 * matches it (the control API and /healthz are never faulted) and log
 * that it fired. Returns 1
 * when the fault answered, dropped or suspended the request (*ret set),
 * 0 when handling goes on (perhaps with rq->fault_drop_after set). */
int faults_apply(req *rq, enum MHD_Result *ret);

#endif
