/* main.c: flags and environment -> config; open the data dir, resume
 * unfinished tasks, serve; on SIGTERM/SIGINT stop accepting, let in-flight
 * requests finish, checkpoint, exit 0. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/torture.h"
#include "http/faults.h"
#include "http/journal.h"
#include "http/limits.h"
#include "http/listener.h"
#include "http/scenario.h"
#include "http/server.h"
#include "jobs/bigmem.h"
#include "jobs/events.h"
#include "jobs/pool.h"
#include "jobs/retention.h"
#include "probe.h"
#include "store/dirlock.h"
#include "store/files.h"
#include "store/tasks.h"
#include "verify/outcomes.h"

#define SWEEP_EVERY_S 60
#define PROBE_TIMEOUT_MS 3000

static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond = PTHREAD_COND_INITIALIZER;
static int stopping;

static int resume_one(void *ud, const task *t)
{
    app *a = ud;
    pool_submit(a->pool, t);
    log_line l;
    if (log_begin(&l, LOG_INFO, "resume")) {
        log_str(&l, "task", t->id);
        log_end(&l);
    }
    return 0;
}

/* The task event hook (jobs/events.h): one info line per event, the
 * jobs layer itself never logs. */
static void log_task_event(void *ud, const task_event *ev)
{
    (void)ud;
    const task *t = ev->t;
    char event[32], key[LOG_KEY_SHOWN];
    snprintf(event, sizeof event, "task_%s", task_event_name(ev->kind));
    log_key_shown(t->api_key, key);
    log_line l;
    if (!log_begin(&l, LOG_INFO, event))
        return;
    log_str(&l, "task", t->id);
    log_str(&l, "key", key);
    switch (ev->kind) {
    case TASK_EV_SUBMITTED:
        log_str(&l, "project", t->project_name);
        log_str(&l, "file", t->filename);
        log_str(&l, "format", task_format_name(t->format));
        log_int(&l, "size", t->upload_bytes);
        log_str(&l, "deduplicate", t->deduplicate ? "true" : "false");
        break;
    case TASK_EV_COMPLETED:
        log_int(&l, "rows", ev->res->rows);
        log_int(&l, "duplicates", ev->res->duplicates_removed);
        log_int(&l, "invalid", ev->res->invalid);
        log_int(&l, "charged", ev->res->charged);
        log_int(&l, "threads", ev->res->threads);
        log_int(&l, "prepass_bytes", ev->res->prepass_bytes);
        log_int(&l, "wait_ms", ev->res->ms.wait);
        log_int(&l, "prepass_ms", ev->res->ms.prepass);
        log_int(&l, "read_ms", ev->res->ms.read);
        log_int(&l, "merge_ms", ev->res->ms.merge);
        log_int(&l, "write_ms", ev->res->ms.write);
        log_int(&l, "commit_ms", ev->res->ms.commit);
        log_int(&l, "ms", ev->ms);
        break;
    case TASK_EV_FAILED:
        log_str(&l, "reason", ev->reason);
        log_int(&l, "ms", ev->ms);
        break;
    case TASK_EV_DELETED:
        log_str(&l, "why", task_deleted_why_name(ev->why));
        break;
    }
    log_end(&l);
}

/* The sweeper: applies retention every minute (the clock endpoint also
 * applies it at once whenever the clock moves), and gives back the big
 * buffers kept for the next large task once no task has used them for a
 * minute (jobs/bigmem.h): an idle server holds no large task's memory. */
static void *sweeper(void *arg)
{
    app *a = arg;
    pthread_mutex_lock(&stop_lock);
    while (!stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += SWEEP_EVERY_S;
        pthread_cond_timedwait(&stop_cond, &stop_lock, &ts);
        if (stopping)
            break;
        pthread_mutex_unlock(&stop_lock);
        retention_env env = {a->d, a->pool, a->cfg->data_dir, &a->env.hook};
        /* each deletion is logged by the task event hook */
        retention_sweep(&env, clock_retention_cutoff(a->cfg->retention_days), NULL);
        size_t freed = bigmem_trim_idle(clock_mono_ms(), SWEEP_EVERY_S * 1000);
        log_line l;
        if (freed && log_begin(&l, LOG_INFO, "memory_released")) {
            log_int(&l, "bytes", (long long)freed);
            log_end(&l);
        }
        pthread_mutex_lock(&stop_lock);
    }
    pthread_mutex_unlock(&stop_lock);
    return NULL;
}

/* Everything main() starts, so one function can undo it in reverse. */
typedef struct running {
    app a;
    int lock_fd;        /* the data dir's lock, -1 until taken */
    pthread_t sweep_thread;
    int sweeping;
} running;

/* Claim the address, then the data dir, before anything reads or writes
 * there: a second server on either fails now and touches nothing (on the
 * data dir it would sweep the first one's files). Then open what the dir
 * holds: the database, the clock offset, the URL secret; remove orphans. */
static int open_data_dir(running *r, char *err, size_t cap)
{
    app *a = &r->a;
    const config *cfg = a->cfg;
    char dbpath[FILES_PATH_MAX];
    if (listener_open(cfg->listen_host, cfg->listen_port, &a->listen, err, cap) != 0)
        return -1;
    if (dirlock_take(cfg->data_dir, &r->lock_fd, err, cap) != UC_OK)
        return -1;
    if (files_init(cfg->data_dir, err, cap) != UC_OK)
        return -1;
    int n = snprintf(dbpath, sizeof dbpath, "%s/ucmock.db", cfg->data_dir);
    if (n < 0 || (size_t)n >= sizeof dbpath) {
        snprintf(err, cap, "data dir path too long");
        return -1;
    }
    if (db_open(dbpath, &a->d, err, cap) != UC_OK)
        return -1;
    int64_t off = 0;
    if (db_meta_get_i64(a->d, "clock_offset_ms", &off) == UC_ENOTFOUND)
        db_meta_set_i64(a->d, "clock_offset_ms", 0);
    clock_set_offset_ms(off);
    if (files_secret(cfg->data_dir, a->secret, err, cap) != UC_OK)
        return -1;
    int swept = 0;
    files_sweep(cfg->data_dir, a->d, &swept);
    log_line l;
    if (swept && log_begin(&l, LOG_INFO, "startup_sweep")) {
        log_int(&l, "removed_files", swept);
        log_end(&l);
    }
    return 0;
}

/* The parts the requests use (domain lists, faults, journal, limits,
 * outcomes) and the workers; apply the --scenario file, apply retention,
 * resume unfinished tasks, start the sweeper. Returns 0, -1, or 2 when the
 * scenario file was refused (its problems in err). */
static int start_work(running *r, char *err, size_t cap)
{
    app *a = &r->a;
    const config *cfg = a->cfg;
    if (domain_lists_load(cfg->domain_lists[0] ? cfg->domain_lists : NULL, &a->dl, err,
                          cap) != UC_OK)
        return -1;
    a->faults = faults_new();
    a->journal = journal_new((size_t)cfg->journal_size);
    a->limits = limits_new();
    if (!a->faults || !a->journal || !a->limits) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    a->env = (job_env){a->d, cfg->data_dir, a->dl, cfg->processing_delay_ms,
                       cfg->xlsx_max_inflated, cfg->xlsx_max_entries,
                       {log_task_event, NULL}, outcomes_slot_new(), cfg->split_min,
                       JOB_SPLIT_MEM_MAX, cfg->credits};
    if (!a->env.outcomes) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    if (pool_start(&a->env, cfg->workers, &a->pool) != UC_OK) {
        snprintf(err, cap, "cannot start %d worker threads", cfg->workers);
        return -1;
    }
    /* Before any task resumes and before the first request: both see it. */
    if (cfg->scenario[0] && scenario_load_file(a, cfg->scenario, err, cap) != 0)
        return 2;
    retention_env renv = {a->d, a->pool, cfg->data_dir, &a->env.hook};
    retention_sweep(&renv, clock_retention_cutoff(cfg->retention_days), NULL);
    task_each(a->d, NULL, TASK_PROCESSING, 0, resume_one, a);
    if (pthread_create(&r->sweep_thread, NULL, sweeper, a) == 0)
        r->sweeping = 1;
    return 0;
}

/* The first stdout line (scripts read the port from it) and the ready
 * log line. */
static void announce_ready(const app *a)
{
    const config *cfg = a->cfg;
    int v6 = strchr(cfg->listen_host, ':') != NULL;
    printf("ucmock listening on %s://%s%s%s:%u (data dir %s)\n",
           cfg->tls_cert[0] ? "https" : "http", v6 ? "[" : "", cfg->listen_host,
           v6 ? "]" : "", a->port, cfg->data_dir);
    fflush(stdout);
    log_line l;
    if (log_begin(&l, LOG_INFO, "ready")) {
        log_int(&l, "port", a->port);
        log_int(&l, "workers", cfg->workers);
        log_str(&l, "data_dir", cfg->data_dir);
        log_end(&l);
    }
}

/* Undo whatever of open_data_dir and start_work happened, in reverse;
 * each step accepts what was never made. */
static void shut_down(running *r)
{
    app *a = &r->a;
    server_stop(a);
    pthread_mutex_lock(&stop_lock);
    stopping = 1;
    pthread_cond_broadcast(&stop_cond);
    pthread_mutex_unlock(&stop_lock);
    if (r->sweeping)
        pthread_join(r->sweep_thread, NULL);
    pool_stop(a->pool);
    limits_free(a->limits);
    journal_free(a->journal);
    faults_free(a->faults);
    outcomes_slot_free(a->env.outcomes);
    domain_lists_free(a->dl);
    db_close(a->d);
    dirlock_release(r->lock_fd);
}

int main(int argc, char **argv)
{
    config cfg;
    int rc = config_parse(&cfg, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (cfg.probe_url[0]) {
        rc = probe_run(cfg.probe_url, PROBE_TIMEOUT_MS);
        config_free(&cfg);
        return rc;
    }
    log_set_level(cfg.log_level); /* both checked by config_parse */
    log_set_format(cfg.log_format);
    if (sodium_init() < 0) {
        fprintf(stderr, "ucmock: libsodium failed to start\n");
        return 1;
    }
    umask(077);
    /* A buffer of a MiB or more (a large task's dedup table, sheet chunks,
     * deflate blocks) is mmap'd and given back when freed. glibc's moving
     * threshold would instead keep each large task's buffers in the heap
     * of the thread that ran it: the peak grew from 53 to 100 MB over
     * three 1M-row XLSX tasks on one server, with no CPU seen saved.
     * Fixing it also fixes the trim threshold at glibc's 128 KiB: each
     * thread's arena was then given back (madvise) and faulted in again
     * for every small task (SQLite's page caches, the upload's buffer),
     * and each madvise of a threaded process flushes the other cores'
     * TLBs: a fifth of the server's CPU over 1,000 10-row tasks. Below
     * the mmap threshold, freed memory stays for the next task. It lies
     * just past a MiB so that the writers' 1 MiB buffers (a result's
     * outfile, a deflate block) stay too: mapped, zeroed by page faults
     * and unmapped (with that TLB flush) for each 10-row task, the
     * result's buffer alone cost 7-8% of the server's CPU there. */
    mallopt(M_MMAP_THRESHOLD, (1 << 20) + (64 << 10));
    mallopt(M_TRIM_THRESHOLD, 64 << 20);

    /* Signals are taken by sigwait() below; every thread inherits the
     * mask, so none of them is interrupted. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    running r;
    memset(&r, 0, sizeof r);
    r.a.cfg = &cfg;
    r.a.listen.fd = -1;
    r.lock_fd = -1;
    char err[8192] = ""; /* a scenario's problems, one a line */
    int exit_code = 1;
    log_line l;

    int started = -1;
    if (open_data_dir(&r, err, sizeof err) != 0 ||
        (started = start_work(&r, err, sizeof err)) != 0 ||
        server_start(&r.a, err, sizeof err) != 0) {
        if (started == 2)
            exit_code = 2;
        goto fail;
    }
    atomic_store(&r.a.ready, 1);
    torture_arm(); /* fault injection, in the -Dtorture=true build only */
    announce_ready(&r.a);

    int sig = 0;
    sigwait(&sigs, &sig);
    if (log_begin(&l, LOG_INFO, "stopping")) {
        log_int(&l, "signal", sig);
        log_end(&l);
    }
    atomic_store(&r.a.ready, 0);
    exit_code = 0;
fail:
    if (exit_code)
        fprintf(stderr, "ucmock: %s\n", err[0] ? err : "failed to start");
    shut_down(&r);
    config_free(&cfg);
    if (!exit_code && log_begin(&l, LOG_INFO, "stopped"))
        log_end(&l);
    return exit_code;
}
