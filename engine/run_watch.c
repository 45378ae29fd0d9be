/*
 * run_watch.c — reload when a file of the pipeline is edited (inotify).
 *
 * The files are pipeline.yaml (when there is one) and the SQL files it
 * lists, as the plan that runs was compiled from. Editors save in many
 * ways — in place, or to a new file renamed over the old one, sometimes in
 * several steps — so the folders holding the files are watched, not the
 * files, and an event for one of the files' names starts a quiet period:
 * the reload happens once no event has come for DEBOUNCE_MS. A file that
 * does not compile is reported on the log (and counted as a failed
 * reload); the next edit tries again. A reload that would drop state is
 * refused until confirmed (`vigil reload --confirm`), as POST /reload
 * refuses it.
 */
#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/run_int.h"

#define DEBOUNCE_MS 200 /* an edit is over when its files have been quiet this long */
#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MODIFY)

/* A copy of the folder part of path ("." when it has none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return vg_strdup(VG_MEM_IO, ".");
    return vg_strndup(VG_MEM_IO, path, slash == path ? 1 : (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The index of dir in w->dirs, watched now if it was not: -1 with err set. */
static int64_t watch_dir(run_watch *w, char *dir_take, vg_error *err)
{
    for (uint32_t i = 0; i < w->ndirs; i++)
        if (strcmp(w->dirs[i], dir_take) == 0) {
            vg_free(dir_take);
            return i;
        }
    char **dirs = vg_realloc(VG_MEM_IO, w->dirs, (w->ndirs + 1) * sizeof *dirs);
    int *wds = dirs ? vg_realloc(VG_MEM_IO, w->wds, (w->ndirs + 1) * sizeof *wds) : NULL;
    if (dirs)
        w->dirs = dirs;
    if (wds)
        w->wds = wds;
    int wd = wds ? inotify_add_watch(w->fd, dir_take, WATCH_EVENTS) : -1;
    if (wd < 0) {
        if (wds)
            vg_error_set(err, VG_ERR_IO, "cannot watch folder '%s': %s", dir_take,
                         strerror(errno));
        else
            vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_free(dir_take);
        return -1;
    }
    w->dirs[w->ndirs] = dir_take;
    w->wds[w->ndirs] = wd;
    return w->ndirs++;
}

/* Watch the folder of file and remember the file's name there. */
static int watch_file(run_watch *w, const char *file, vg_error *err)
{
    char *dir = dir_of(file), *base = vg_strdup(VG_MEM_IO, base_of(file));
    char **names = vg_realloc(VG_MEM_IO, w->files, (w->nfiles + 1) * sizeof *names);
    if (names)
        w->files = names;
    uint32_t *fd = names ? vg_realloc(VG_MEM_IO, w->file_dirs, (w->nfiles + 1) * sizeof *fd)
                         : NULL;
    if (fd)
        w->file_dirs = fd;
    if (!dir || !base || !fd) {
        vg_free(dir);
        vg_free(base);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    int64_t d = watch_dir(w, dir, err);
    if (d < 0) {
        vg_free(base);
        return -1;
    }
    w->files[w->nfiles] = base;
    w->file_dirs[w->nfiles++] = (uint32_t)d;
    return 0;
}

int run_watch_open(run *r, vg_error *err)
{
    run_watch *w = &r->watch;
    w->fd = -1;
    if (!r->opts->watch || !r->opts->pipeline_path)
        return 0;
    if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot watch the pipeline's files: %s",
                            strerror(errno));
    const vg_config *cfg = r->plan_cfg;
    if (cfg->yaml_path && watch_file(w, cfg->yaml_path, err) < 0)
        return -1;
    for (uint32_t i = 0; i < cfg->nsql; i++)
        if (watch_file(w, cfg->sql[i].path, err) < 0)
            return -1;
    return 0;
}

void run_watch_close(run *r)
{
    run_watch *w = &r->watch;
    if (w->fd >= 0)
        close(w->fd); /* (its watches go with it) */
    for (uint32_t i = 0; i < w->ndirs; i++)
        vg_free(w->dirs[i]);
    for (uint32_t i = 0; i < w->nfiles; i++)
        vg_free(w->files[i]);
    vg_free(w->dirs);
    vg_free(w->wds);
    vg_free(w->files);
    vg_free(w->file_dirs);
    *w = (run_watch){.fd = -1};
}

/* Is name, in the folder of watch wd, one of the pipeline's files? */
static bool is_ours(const run_watch *w, int wd, const char *name)
{
    for (uint32_t d = 0; d < w->ndirs; d++)
        for (uint32_t i = 0; w->wds[d] == wd && i < w->nfiles; i++)
            if (w->file_dirs[i] == d && strcmp(w->files[i], name) == 0)
                return true;
    return false;
}

bool run_watch_due(run *r, int64_t now, int64_t *wake_ms)
{
    run_watch *w = &r->watch;
    if (w->fd < 0)
        return false;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(w->fd, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->len && is_ours(w, ev->wd, ev->name))
                w->due_ms = now + DEBOUNCE_MS;
            p += sizeof *ev + ev->len;
        }
    if (!w->due_ms)
        return false;
    if (now >= w->due_ms) {
        w->due_ms = 0;
        return true;
    }
    if (w->due_ms - now < *wake_ms)
        *wake_ms = w->due_ms - now;
    return false;
}
