/*
 * run_test.h — what the run tests (test_run_ckpt.c, test_run_restart.c)
 * share: their scratch folder and its files, the memory in use, and what a
 * Kafka topic holds, as text they compare.
 *
 * They check exactly-once output by reading each sink topic back from its
 * beginning and comparing the text with a fault-free run's. The read-back
 * is the sinks' own (vg_kafka_sink_read_back), so it sees vigil-seq headers
 * too.
 */
#ifndef VG_RUN_TEST_H
#define VG_RUN_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/error.h"
#include "engine/kafka.h"

#define TOPIC_TEXT_MAX_PARTS 8

static char dir[64]; /* the test's scratch folder (its main makes it) */

/* Bytes allocated through vg_malloc, over every tag. */
static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

/* dir/sub/name, in one of 8 static buffers (used in turn). */
static const char *path_in(const char *sub, const char *name)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 256, "%s/%s/%s", dir, sub, name);
    return p;
}

/* A whole file of at most 1 MiB (malloc'd), "" when missing. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s = calloc(1, 1 << 20);
    if (f) {
        size_t n = fread(s, 1, (1 << 20) - 1, f);
        s[n] = 0;
        fclose(f);
    }
    return s;
}

/* One message read back: a "partition seq value" line in its partition's
 * buffer (arg: one per partition; partitions come interleaved). */
static int topic_text_line(void *arg, int32_t partition, int64_t offset, int64_t seq,
                           const char *value, size_t len, vg_error *err)
{
    (void)offset;
    vg_buf *parts = arg;
    return vg_buf_printf(&parts[partition], "%d %lld %.*s\n", (int)partition, (long long)seq,
                         (int)len, value) < 0
               ? vg_error_set(err, VG_ERR_NOMEM, "out of memory")
               : 0;
}

/* "== title", then every message of topic (on the broker at boot, nparts
 * partitions) from its beginning, partition by partition, appended to b; an
 * "error: ..." line instead when it cannot be read. */
static void topic_text(vg_buf *b, const char *boot, const char *topic, int nparts,
                       const char *title)
{
    vg_error err;
    vg_error_clear(&err);
    vg_kafka_sink_opts so = {.name = "check", .bootstrap = boot, .topic = topic, .positions = true};
    vg_kafka_sink *s = vg_kafka_sink_open(&so, &err);
    int64_t from[TOPIC_TEXT_MAX_PARTS] = {0};
    vg_buf parts[TOPIC_TEXT_MAX_PARTS];
    for (int k = 0; k < nparts; k++)
        vg_buf_init(&parts[k], VG_MEM_OTHER);
    vg_buf_printf(b, "== %s\n", title);
    if (!s || vg_kafka_sink_read_back(s, from, topic_text_line, parts, 10000, &err) < 0)
        vg_buf_printf(b, "error: %s\n", err.msg);
    for (int k = 0; k < nparts; k++) {
        vg_buf_append(b, parts[k].p ? parts[k].p : "", parts[k].len);
        vg_buf_free(&parts[k]);
    }
    vg_kafka_sink_close(s);
}

#endif
