/*
 * testcase.h — `vigil test`: a pipeline's recorded test cases.
 *
 * PIPELINE_DIR/tests/CASE/ holds input/STREAM.jsonl for each stream,
 * expected/SINK.jsonl for each sink it checks (stdout for bare SELECTs,
 * dead_letter for malformed events) and optionally case.yaml:
 *
 *     ordered: false     # compare rows as a multiset (default: true, in order)
 *     tolerance: 1e-9    # numbers may differ by this much, relatively
 *
 * Each case is replayed in memory and compared row by row as JSON values
 * (so key order and number spelling inside a row do not matter, but keys
 * and values do).
 */
#ifndef VG_TESTCASE_H
#define VG_TESTCASE_H

#include <stdio.h>

#include "engine/error.h"

/* Run every case of dir, printing "ok CASE" or "FAIL CASE" and a diff for
 * each, then "N passed, N failed" to out. Returns the number of failed
 * cases, or -1 with err set when the pipeline itself cannot be loaded or
 * the folder has no cases. */
int vg_testcase_run_all(const char *dir, FILE *out, vg_error *err);

#endif
