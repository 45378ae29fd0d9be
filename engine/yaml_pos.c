/*
 * yaml_pos.c — where a libyaml mark is in the text it was read from.
 */
#include "engine/yaml_pos.h"

uint32_t vg_yaml_offset(const vg_source *src, yaml_mark_t m)
{
    uint32_t off = 0;
    for (size_t line = 0; line < m.line && off < src->len; off++)
        if (src->text[off] == '\n')
            line++;
    for (size_t col = 0; col < m.column && off < src->len && src->text[off] != '\n'; col++) {
        off++;
        while (off < src->len && ((unsigned char)src->text[off] & 0xC0) == 0x80)
            off++; /* the rest of a UTF-8 character */
    }
    return off;
}
