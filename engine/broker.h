/*
 * broker.h — the `vigil dev-broker` command: a local Kafka-protocol broker
 * (engine/kafka.h's mock cluster) run until a signal, announced on a line
 * and in a ready file, driven by fault-control commands read line by line
 * (docs/kafka.md, "Fault control").
 */
#ifndef VG_BROKER_H
#define VG_BROKER_H

#include <stdio.h>

#include "engine/error.h"
#include "engine/kafka.h"

typedef struct vg_broker_cmd_opts {
    vg_kafka_broker_opts broker; /* ports, brokers, topics (log is set by the command) */
    const char *ready_file;      /* when serving, the bootstrap list and a newline are
                                    written here (atomically: a rename); removed at the
                                    stop. NULL: none */
    int control_fd;              /* commands, one per line (standard input); -1: none. Its
                                    end is not a stop: the broker serves on */
    int stop_fd;                 /* readable: stop (vg_run_stop_fd); -1: never */
    FILE *out;                   /* "dev-broker: listening on HOST:PORT,...", then one
                                    answer line per command */
    FILE *log;                   /* librdkafka's errors; NULL: none */
} vg_broker_cmd_opts;

/* Serve until stop_fd becomes readable, then stop the cluster. 0 after a
 * clean stop, or -1 with err set (the cluster could not start, the ready
 * file could not be written). A bad command is not an error of the run:
 * its answer is "error: ..." and the broker serves on. */
int vg_broker_cmd_run(const vg_broker_cmd_opts *o, vg_error *err);

#endif
