/*
 * broker.c — `vigil dev-broker`: start the mock cluster, say where it
 * listens, answer fault-control commands, stop on a signal.
 *
 * Tests start it in a process of its own (so that it outlives a vigil
 * killed with -9), wait for the ready file rather than sleeping, and drive
 * faults by writing command lines to its standard input and reading one
 * answer line per command from its standard output.
 */
#include "engine/broker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "engine/buf.h"
#include "engine/path.h"

/* librdkafka's log lines worth showing: errors. */
static void broker_log(void *arg, int level, const char *facility, const char *msg)
{
    (void)facility;
    FILE *log = arg;
    if (log && level <= 3)
        fprintf(log, "dev-broker: kafka: %s\n", msg);
}

static int write_ready(const char *path, const char *bootstraps, vg_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return vg_error_set(err, VG_ERR_USAGE, "ready file path too long");
    vg_path_make_parents(path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return vg_error_set(err, VG_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    bool ok = fprintf(f, "%s\n", bootstraps) > 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return vg_error_set(err, VG_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    return 0;
}

/* Answer one command line. */
static void answer(vg_kafka_broker *b, const char *line, FILE *out)
{
    vg_buf reply;
    vg_error err;
    vg_buf_init(&reply, VG_MEM_IO);
    vg_error_clear(&err);
    if (vg_kafka_broker_control(b, line, &reply, &err) < 0)
        fprintf(out, "error: %s\n", err.msg);
    else
        fprintf(out, "%.*s\n", (int)reply.len, reply.p);
    fflush(out);
    vg_buf_free(&reply);
}

/* Commands read so far and not yet complete. */
typedef struct control_in {
    char line[1024]; /* the line being read */
    size_t len;      /* bytes in it */
    bool too_long;   /* it overflowed: answered with an error at its end */
} control_in;

/* Read what the control descriptor has; answer every complete line. 0 at
 * its end (or on an error), else 1. */
static int read_control(vg_kafka_broker *b, int fd, control_in *in, FILE *out)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 1 : 0;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (in->len + 1 < sizeof in->line)
                in->line[in->len++] = buf[i];
            else
                in->too_long = true;
            continue;
        }
        in->line[in->len] = 0;
        bool blank = strspn(in->line, " \t\r") == in->len;
        if (in->too_long)
            fprintf(out, "error: command too long\n");
        else if (!blank)
            answer(b, in->line, out);
        fflush(out);
        in->len = 0;
        in->too_long = false;
    }
    return 1;
}

static int serve(vg_kafka_broker *b, const vg_broker_cmd_opts *o, vg_error *err)
{
    control_in in = {.len = 0};
    int control = o->control_fd;
    for (;;) {
        struct pollfd fds[2] = {{.fd = o->stop_fd, .events = POLLIN},
                                {.fd = control, .events = POLLIN}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            return vg_error_set(err, VG_ERR_IO, "poll: %s", strerror(errno));
        if (fds[0].revents & POLLIN)
            return 0;
        if ((fds[1].revents & (POLLIN | POLLHUP)) && !read_control(b, control, &in, o->out))
            control = -1; /* its end: poll ignores a negative descriptor */
    }
}

int vg_broker_cmd_run(const vg_broker_cmd_opts *o, vg_error *err)
{
    /* run in the background of a terminal (`vigil dev-broker &`), reading
     * standard input would stop the process; ignored, the read fails with
     * EIO instead, which ends the control input and the broker serves on */
    signal(SIGTTIN, SIG_IGN);
    vg_kafka_broker_opts bo = o->broker;
    bo.log = broker_log;
    bo.log_arg = o->log;
    vg_kafka_broker *b = vg_kafka_broker_start(&bo, err);
    if (!b)
        return -1;
    const char *boot = vg_kafka_broker_bootstraps(b);
    fprintf(o->out, "dev-broker: listening on %s\n", boot);
    fflush(o->out);
    int rc = o->ready_file ? write_ready(o->ready_file, boot, err) : 0;
    if (rc == 0)
        rc = serve(b, o, err);
    if (o->ready_file)
        unlink(o->ready_file);
    vg_kafka_broker_stop(b);
    if (rc == 0) {
        fprintf(o->out, "dev-broker: stopped\n");
        fflush(o->out);
    }
    return rc;
}
