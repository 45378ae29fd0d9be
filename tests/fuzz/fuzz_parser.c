/*
 * fuzz_parser.c — libFuzzer target for the SQL front end's first stages.
 *
 * Each input is a source text: it is lexed to the end on its own, then
 * parsed with a fresh arena; every statement parsed is dumped as an
 * S-expression (so the dump is fuzzed too), and everything is freed. Any
 * crash, sanitizer report or leak is a bug.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *       engine/alloc.c engine/error.c sql/lexer.c sql/parser.c sql/parse_expr.c \
 *       sql/ast_dump.c tests/fuzz/fuzz_parser.c -lm -o build/fuzz_parser
 *   build/fuzz_parser -max_total_time=60 tests/fuzz/corpus/parser
 *
 * Built with -DVG_FUZZ_REPLAY (any compiler, no libFuzzer) it gets a main()
 * that runs every file named on the command line through the same function,
 * which is how `make test` replays the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "sql/lexer.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Lex the whole source; tokens must tile it in order, inside its bounds. */
static void lex_all(const vg_source *src)
{
    vg_lexer lx;
    vg_token t;
    vg_error err;
    uint32_t last_end = 0;
    vg_error_clear(&err);
    vg_lexer_init(&lx, src);
    while (vg_lexer_next(&lx, &t, &err) == 0 && t.kind != VG_TOK_EOF) {
        if (t.span.off < last_end || t.span.off + t.span.len > src->len || t.span.len == 0)
            abort();
        last_end = t.span.off + t.span.len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *text = vg_malloc(VG_MEM_OTHER, size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    vg_source src = {"fuzz.sql", text, (uint32_t)size};
    lex_all(&src);
    vg_arena *arena = vg_arena_new(VG_MEM_SQL, 0);
    if (arena) {
        vg_ast_stmt *stmts;
        uint32_t n;
        vg_error err;
        vg_error_clear(&err);
        if (vg_parse(&src, arena, &stmts, &n, &err) == 0) {
            for (uint32_t i = 0; i < n; i++)
                if (!vg_ast_to_sexpr(stmts[i].node, arena))
                    abort();
        } else if (!vg_error_is_set(&err) || !err.msg[0]) {
            abort(); /* a failure must always say why */
        }
        vg_arena_free(arena);
    }
    vg_free(text);
    return 0;
}

#ifdef VG_FUZZ_REPLAY
/* Run each file named on the command line once; print how many ran. */
int main(int argc, char **argv)
{
    int ran = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "fuzz_parser: cannot open %s\n", argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        ran++;
    }
    printf("fuzz_parser: replayed %d inputs\n", ran);
    return 0;
}
#endif
