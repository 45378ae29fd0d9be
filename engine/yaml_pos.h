/*
 * yaml_pos.h — where a libyaml mark is in the text it was read from, for
 * errors positioned in pipeline.yaml, case.yaml and rules files.
 */
#ifndef VG_YAML_POS_H
#define VG_YAML_POS_H

#include <stdint.h>
#include <yaml.h>

#include "engine/error.h"

/* The byte offset in src of mark m (libyaml counts lines, and columns in
 * characters). */
uint32_t vg_yaml_offset(const vg_source *src, yaml_mark_t m);

#endif
