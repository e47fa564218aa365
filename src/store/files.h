/* files.h: the data directory's layout and its files.
 *
 *   DIR/ucmock.db          the database (WAL)
 *   DIR/secret             32-byte URL-signing key, mode 0600
 *   DIR/ucmock.lock        the running server's pid and lock (dirlock.h)
 *   DIR/uploads/ID.EXT     a task's stored upload; none for a task run from
 *                          memory as it arrived (jobs/submit.h: submit_mem):
 *                          nothing reads an upload once its task has run
 *   DIR/results/ID.EXT     a task's finished result
 *   DIR/tmp/               scratch files, uploads of a file name with no known
 *                          extension (refused), results of worker-run tasks
 *                          being written
 *
 * An upload streams straight into its place in uploads/ under a fresh id
 * (files_upload_new_path), and a task run on the submitting thread writes
 * its result straight into results/: a file there without a row is
 * unfinished, and nothing reads it until a row names it (the start-up
 * sweep removes it after a crash). Creating in tmp/ and renaming cost a
 * second path, a reopen and the tmp/ directory's own write at each fsync
 * (ext4 without a journal writes a new file's directory with it).
 *
 * Names are made only from task ids and fixed extensions: nothing a client
 * sends ever becomes part of a path. Directories are 0700, files 0600. */
#ifndef UC_FILES_H
#define UC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/err.h"
#include "store/db.h"
#include "store/dirsync.h"
#include "store/fsyncq.h"
#include "store/tasks.h"

#define FILES_PATH_MAX 1200

/* Create the data dir and its subdirectories if missing. */
uc_err files_init(const char *dir, char *err, size_t errcap);

/* Paths of a task's files (the extension is task_format_name(fmt)). */
void files_upload_path(const char *dir, const char *id, enum task_format fmt, char *out);
void files_result_path(const char *dir, const char *id, enum task_format fmt, char *out);
/* A fresh unique temp path under DIR/tmp with the given suffix. */
void files_tmp_path(const char *dir, const char *suffix, char *out);
/* Where a new upload of the client's filename is written: its place in
 * DIR/uploads under a fresh task id when the extension names a format,
 * else a temp path under DIR/tmp (that upload is refused). */
void files_upload_new_path(const char *dir, const char *filename, char *out);
/* Whether path is DIR/uploads/ID.EXT for a valid id and fmt's extension
 * (an upload written in place); the id into id when it is. */
bool files_upload_placed(const char *dir, const char *path, enum task_format fmt,
                         char id[TASK_ID_LEN + 1]);

/* Create path (0600; it must not exist) holding the n bytes at data: an
 * upload held in memory that is to be stored after all. Not durable yet
 * (files_commit makes it so). UC_EIO, nothing left at path, on failure. */
uc_err files_write_new(const char *path, const void *data, size_t n);

/* A task's scratch file, anonymous (nothing to clean up whatever happens),
 * read and written through stdio with a buffer of bufsize bytes, put in
 * *buf: the caller frees it after fclose (files_scratch_close). glibc's
 * setvbuf given a size but no buffer keeps its own of st_blksize, 4 KiB:
 * a write and a read syscall every 4 KiB of a spill of tens of MB.
 * in_memory: a memfd, for the scratch of a small upload (creating a file
 * on the data dir's file system costs more than a small task's whole
 * run); else a temp file under DIR/tmp with the given suffix, unlinked at
 * once. NULL on failure (*buf NULL). */
FILE *files_scratch(const char *dir, const char *suffix, bool in_memory, size_t bufsize,
                    char **buf);
/* Close a scratch file and free its buffer. Accepts NULL. */
void files_scratch_close(FILE *f, char *buf);
/* The same temp file under DIR/tmp, unlinked at once, as a descriptor
 * (read and write, close-on-exec). -1 on failure. */
int files_scratch_fd(const char *dir, const char *suffix);

/* Load the signing secret, creating it (0600) on first start. */
uc_err files_secret(const char *dir, unsigned char key[32], char *err, size_t errcap);

/* Remove a task's upload and result (missing files are fine). */
void files_remove_task(const char *dir, const char *id, enum task_format fmt);

/* Start-up repair: empty tmp/, and remove every file in uploads/ and
 * results/ that belongs to no task row. Returns files removed in *n. */
uc_err files_sweep(const char *dir, db *d, int *n);

/* Size of a file in bytes, or -1. */
int64_t files_size(const char *path);

/* Move tmp to final (rename; none when tmp is final, a file written in
 * place) and make it durable there: the file fsynced, then its directory,
 * the directory's fsync shared with other threads committing into it
 * (dirsync.h). Returns once both are on
 * disk; on failure final is removed (UC_EIO). A reader sees either nothing
 * or the whole file; after a crash before the return, final may exist
 * without the row that would name it (the start-up sweep removes it). */
uc_err files_commit(const char *tmp, const char *final);

/* files_commit in two halves, for a caller with work to do while the
 * file is being fsynced (and a reader of final may start: it sees the
 * whole file, not yet durable). files_commit_begin renames tmp to final
 * and starts the file's fsync on a helper thread (fsyncq.h), then the
 * directory's there (shared with other threads committing into it:
 * dirsync.h): UC_EIO when it cannot (nothing at final then, tmp left as
 * it was). After UC_OK, files_commit_end must be called exactly once: it
 * waits for both, as files_commit does (on failure final is removed,
 * UC_EIO). A thread may have several commits begun at once: they run
 * together. files_commit_begin_here leaves both fsyncs to
 * files_commit_end, on the calling thread, the file's then the
 * directory's (no hand-off to a helper: for the last of several commits,
 * the one the caller ends first). */
typedef struct files_pending {
    int fd;
    int dir_on_helper;  /* the directory's fsync follows the file's on its helper */
    char final[FILES_PATH_MAX];
    fsyncq_ticket file;
    dirsync_ticket dir;
} files_pending;
uc_err files_commit_begin(const char *tmp, const char *final, files_pending *fp);
uc_err files_commit_begin_here(const char *tmp, const char *final, files_pending *fp);
uc_err files_commit_end(files_pending *fp);

/* fsync a file's directory so a rename into it is durable (shared with
 * other threads syncing the same directory at the same time). */
uc_err files_sync_dir(const char *path_in_dir);

#endif
