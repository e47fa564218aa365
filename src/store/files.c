/* files.c: data-dir layout, the signing secret, and crash repair. */
#include "store/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/io.h"
#include "store/dirsync.h"
#include "store/tasks.h"

_Static_assert(FILES_PATH_MAX <= DIRSYNC_PATH_MAX, "a directory path fits a ticket");

static uc_err mkdir_0700(const char *p)
{
    if (mkdir(p, 0700) == 0)
        return UC_OK;
    if (errno != EEXIST)
        return UC_EIO;
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        return UC_EIO;
    chmod(p, 0700);
    return UC_OK;
}

uc_err files_init(const char *dir, char *err, size_t errcap)
{
    static const char *subs[] = {"", "/uploads", "/results", "/tmp"};
    char p[FILES_PATH_MAX];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", dir, subs[i]);
        if (mkdir_0700(p) != UC_OK) {
            snprintf(err, errcap, "cannot create directory %s: %s", p, strerror(errno));
            return UC_EIO;
        }
    }
    return UC_OK;
}

void files_upload_path(const char *dir, const char *id, enum task_format fmt, char *out)
{
    snprintf(out, FILES_PATH_MAX, "%s/uploads/%s.%s", dir, id, task_format_name(fmt));
}

void files_result_path(const char *dir, const char *id, enum task_format fmt, char *out)
{
    snprintf(out, FILES_PATH_MAX, "%s/results/%s.%s", dir, id, task_format_name(fmt));
}

void files_tmp_path(const char *dir, const char *suffix, char *out)
{
    char id[TASK_ID_LEN + 1];
    task_new_id(id);
    snprintf(out, FILES_PATH_MAX, "%s/tmp/%s%s", dir, id, suffix);
}

void files_upload_new_path(const char *dir, const char *filename, char *out)
{
    const char *dot = strrchr(filename, '.');
    enum task_format fmt;
    char id[TASK_ID_LEN + 1];
    if (!dot || !task_format_parse(dot + 1, &fmt)) {
        files_tmp_path(dir, ".part", out);
        return;
    }
    task_new_id(id);
    files_upload_path(dir, id, fmt, out);
}

bool files_upload_placed(const char *dir, const char *path, enum task_format fmt,
                         char id[TASK_ID_LEN + 1])
{
    char own[FILES_PATH_MAX];
    int n = snprintf(own, sizeof own, "%s/uploads/", dir);
    if (n < 0 || strncmp(path, own, (size_t)n) != 0 || strlen(path + n) <= TASK_ID_LEN)
        return false;
    char cand[TASK_ID_LEN + 1];
    memcpy(cand, path + n, TASK_ID_LEN);
    cand[TASK_ID_LEN] = 0;
    if (!task_id_valid(cand))
        return false;
    files_upload_path(dir, cand, fmt, own);
    if (strcmp(own, path) != 0)
        return false;
    memcpy(id, cand, sizeof cand);
    return true;
}

uc_err files_write_new(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return UC_EIO;
    uc_err e = io_write_all(fd, data, n);
    if (close(fd) != 0)
        e = UC_EIO;
    if (e)
        unlink(path);
    return e;
}

FILE *files_scratch(const char *dir, const char *suffix, bool in_memory, size_t bufsize,
                    char **buf)
{
    *buf = malloc(bufsize);
    if (!*buf)
        return NULL;
    int fd = in_memory ? memfd_create(suffix, MFD_CLOEXEC) : files_scratch_fd(dir, suffix);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        free(*buf);
        *buf = NULL;
        return NULL;
    }
    setvbuf(f, *buf, _IOFBF, bufsize);
    return f;
}

void files_scratch_close(FILE *f, char *buf)
{
    if (f)
        fclose(f);
    free(buf);
}

int files_scratch_fd(const char *dir, const char *suffix)
{
    char path[FILES_PATH_MAX];
    files_tmp_path(dir, suffix, path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        unlink(path);
    return fd;
}

uc_err files_secret(const char *dir, unsigned char key[32], char *err, size_t errcap)
{
    char p[FILES_PATH_MAX];
    snprintf(p, sizeof p, "%s/secret", dir);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, key, 32);
        close(fd);
        if (n == 32)
            return UC_OK;
        snprintf(err, errcap, "%s is damaged (expected 32 bytes); remove it to "
                 "make a new one (issued download URLs stop working)", p);
        return UC_EIO;
    }
    char tmp[FILES_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/secret.tmp", dir);
    randombytes_buf(key, 32);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, key, 32) != 32 || fsync(fd) != 0) {
        snprintf(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return UC_EIO;
    }
    close(fd);
    if (rename(tmp, p) != 0) {
        snprintf(err, errcap, "cannot create %s: %s", p, strerror(errno));
        return UC_EIO;
    }
    files_sync_dir(p);
    return UC_OK;
}

void files_remove_task(const char *dir, const char *id, enum task_format fmt)
{
    char p[FILES_PATH_MAX];
    files_upload_path(dir, id, fmt, p);
    unlink(p);
    files_result_path(dir, id, fmt, p);
    unlink(p);
}

/* Remove every entry of dir/sub for which keep() says no. */
static int sweep_dir(const char *dir, const char *sub, db *d)
{
    char p[FILES_PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *dh = opendir(p);
    if (!dh)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char f[FILES_PATH_MAX + 512];
        snprintf(f, sizeof f, "%s/%s", p, de->d_name);
        int keep = 0;
        if (strcmp(sub, "tmp") != 0 && strlen(de->d_name) > TASK_ID_LEN &&
            de->d_name[TASK_ID_LEN] == '.') {
            char id[TASK_ID_LEN + 1], own[FILES_PATH_MAX];
            memcpy(id, de->d_name, TASK_ID_LEN);
            id[TASK_ID_LEN] = 0;
            task t;
            /* an upload belongs to any task; a result only to a
             * completed one (a resumed task writes it again) */
            if (task_id_valid(id) && task_get(d, id, NULL, &t) == UC_OK) {
                if (strcmp(sub, "results") != 0)
                    files_upload_path(dir, id, t.format, own);
                else
                    files_result_path(dir, id, t.format, own);
                keep = strcmp(f, own) == 0 &&
                       (strcmp(sub, "results") != 0 || t.status == TASK_COMPLETED);
            }
        }
        if (!keep && unlink(f) == 0)
            n++;
    }
    closedir(dh);
    return n;
}

uc_err files_sweep(const char *dir, db *d, int *n)
{
    *n = sweep_dir(dir, "tmp", d) + sweep_dir(dir, "uploads", d) +
         sweep_dir(dir, "results", d);
    return UC_OK;
}

int64_t files_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* The directory of path, into out (FILES_PATH_MAX bytes). */
static void dir_of(const char *path, char *out)
{
    char buf[FILES_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    snprintf(out, FILES_PATH_MAX, "%s", dirname(buf));
}

uc_err files_sync_dir(const char *path_in_dir)
{
    char dir[FILES_PATH_MAX];
    dir_of(path_in_dir, dir);
    return dirsync(dir);
}

/* files_commit_begin; helper: the file's fsync on a helper thread, else
 * on the thread that ends the commit. */
static uc_err commit_begin(const char *tmp, const char *final, files_pending *fp, bool helper)
{
    fp->fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fp->fd < 0)
        return UC_EIO;
    /* Renamed first (unless written in place), then the file fsynced,
     * then its directory (shared with other commits into it: dirsync.h),
     * both on a helper or both in files_commit_end:
     * nothing counts on final before files_commit_end returns (no row
     * names it yet), and a crash before then leaves a file without a row,
     * which the start-up sweep removes. */
    if (strcmp(tmp, final) != 0 && rename(tmp, final) != 0) {
        close(fp->fd);
        return UC_EIO;
    }
    char dir[FILES_PATH_MAX];
    snprintf(fp->final, sizeof fp->final, "%s", final);
    dir_of(final, dir);
    dirsync_request(dir, &fp->dir);
    /* On a helper, the directory's fsync follows the file's there: the
     * whole commit is done while the caller works. */
    fp->dir_on_helper = helper;
    if (helper)
        fsyncq_request(fp->fd, &fp->dir, &fp->file);
    else
        fsyncq_here(fp->fd, &fp->file);
    return UC_OK;
}

uc_err files_commit_begin(const char *tmp, const char *final, files_pending *fp)
{
    return commit_begin(tmp, final, fp, true);
}

uc_err files_commit_begin_here(const char *tmp, const char *final, files_pending *fp)
{
    return commit_begin(tmp, final, fp, false);
}

uc_err files_commit_end(files_pending *fp)
{
    /* The directory after the file: a file system that writes a new
     * file's directory entry with the file (ext4, XFS, btrfs) then leaves
     * the directory's fsync nothing to write. */
    int rc = fsyncq_wait(&fp->file);
    close(fp->fd);
    uc_err e = fp->dir_on_helper ? UC_OK : dirsync_wait(&fp->dir);
    if (rc != 0 || e) {
        unlink(fp->final); /* not durable: as if it never happened */
        return UC_EIO;
    }
    return UC_OK;
}

uc_err files_commit(const char *tmp, const char *final)
{
    files_pending fp;
    uc_err e = commit_begin(tmp, final, &fp, false); /* nothing to do meanwhile */
    return e ? e : files_commit_end(&fp);
}
