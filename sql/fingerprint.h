/*
 * fingerprint.h — the identity of a plan node, as a 64-bit hash.
 *
 * A node's fingerprint says what the node computes, not where it sits in
 * the plan: it hashes the node's identity text, which holds
 *
 *   - the node kind and the layout version of its operator's state (bumped
 *     in fingerprint.c when an operator's snapshot bytes change meaning),
 *   - its semantic parameters: keys, frames, window specs, aggregates with
 *     their argument expressions (as vg_expr_to_sql text over input slots,
 *     "$3"), filters, projections, the row pattern, the model or ruleset,
 *   - its output column types and whether its output is a changelog,
 *   - the fingerprints of its inputs, in port order,
 *
 * and leaves out what does not change semantics: the node's id (its place
 * in the plan), the view it was planned for, its output column names
 * (except where names are the contract: a stream's columns, which events
 * are decoded by, and a sink's, which rows are written with), its state
 * TTL, source positions, and a model's or ruleset's file path (versions are
 * the registry's business).
 *
 * So two plans compiled from the same SQL give equal fingerprints; a view
 * added, removed or renamed leaves every other node's fingerprint as it
 * was; a window whose size changes gets a new fingerprint, and so does
 * every node downstream of it. Checkpoints key operator state by
 * fingerprint (engine/checkpoint.h), and a reload matches the operators of
 * the new plan with the running ones by it.
 *
 * The plan's fingerprint hashes the sorted multiset of its nodes'
 * fingerprints: it changes with any node and with nothing else.
 *
 * Fingerprints are stored (in checkpoints), so the identity text is a
 * contract like EXPLAIN's: a change to it, or to vg_expr_to_sql's text,
 * makes every checkpoint written before unloadable (refused with a clear
 * message, never misread). tests/unit/test_fingerprint.c pins exact values.
 */
#ifndef VG_FINGERPRINT_H
#define VG_FINGERPRINT_H

#include <stdint.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "sql/plan.h"

typedef uint64_t vg_fp;

/* Text of a fingerprint: 16 lowercase hex digits and a NUL. */
#define VG_FP_HEX 17

/* The fingerprint of every node of p into fps[0 .. p->nnodes) by node id
 * (fps may be NULL), and of the whole plan into *plan_fp (may be NULL).
 * fps is the caller's. 0, or -1 with err set: VG_ERR_NOMEM "out of
 * memory". */
int vg_plan_fingerprint(const vg_plan *p, vg_fp *plan_fp, vg_fp *fps, vg_error *err);

/* The fingerprint of node n (and, recursively, of its inputs) into *out.
 * 0, or -1 with err set (VG_ERR_NOMEM). */
int vg_plan_node_fingerprint(const vg_plan_node *n, vg_fp *out, vg_error *err);

/* Append the identity text of n, whose inputs have the fingerprints
 * input_fps[0 .. n->ninputs), to out: what vg_plan_node_fingerprint
 * hashes. One line, e.g.
 *   "over/1 in(0123456789abcdef) out(STRING,BIGINT,TIMESTAMP(3),BIGINT) +I
 *    keys($0) order($2) frame(range 3600000: COUNT(*):BIGINT)"
 * (without the line break). For tests, and for a reload report that says
 * why an operator is not the one that was running. 0, or -1 with err set
 * (VG_ERR_NOMEM; out then holds an unspecified prefix). */
int vg_plan_node_identity(const vg_plan_node *n, const vg_fp *input_fps, vg_buf *out,
                          vg_error *err);

/* The hash of the identity text s[0 .. n): a node's fingerprint. */
vg_fp vg_plan_fp_hash(const void *s, size_t n);

/* fp as 16 lowercase hex digits into out. */
void vg_plan_fp_format(vg_fp fp, char out[VG_FP_HEX]);
/* The fingerprint whose text is s (exactly 16 hex digits, either case)
 * into *out: 0, or -1 when s is not one. */
int vg_plan_fp_parse(const char *s, vg_fp *out);

#endif
