/*
 * score.c — score rows with a model file: the driver tests/models/run-xgb.sh
 * compares with XGBoost's own predictions.
 *
 *     build/models/score MODEL_TYPE MODEL_FILE ROWS_FILE
 *
 * ROWS_FILE holds one row per line, numbers separated by commas, each read
 * as a double (strtod: "nan" is missing) and then rounded to float32, as
 * XGBoost's inplace_predict rounds a float64 array. Prints one line per row:
 * the row's outputs separated by spaces, each with %.9g (enough for a
 * float32) — %.17g for logistic/linear, computed in double. On a load error
 * prints the error's message to stderr and exits 1; usage errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "udf/model.h"

/* Parse one line of comma-separated numbers into x[0..nfeat); -1 on a short or bad line. */
static int parse_row(char *line, float *x, uint32_t nfeat)
{
    char *p = line;
    for (uint32_t i = 0; i < nfeat; i++) {
        char *end;
        double d = strtod(p, &end);
        if (end == p)
            return -1;
        x[i] = (float)d;
        p = end;
        if (*p == ',')
            p++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: score MODEL_TYPE MODEL_FILE ROWS_FILE\n");
        return 2;
    }
    int type = vg_model_type_from_name(argv[1]);
    if (type < 0) {
        fprintf(stderr, "score: unknown model type '%s'\n", argv[1]);
        return 2;
    }
    vg_error err;
    vg_error_clear(&err);
    vg_model *m = vg_model_load((vg_model_type)type, argv[2], &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(argv[3], "r");
    if (!f) {
        fprintf(stderr, "score: cannot read %s\n", argv[3]);
        vg_model_free(m);
        return 2;
    }
    uint32_t nf = vg_model_nfeatures(m), no = vg_model_noutputs(m);
    float *x = vg_malloc(VG_MEM_OTHER, (nf + 1) * sizeof *x);
    double *out = vg_malloc(VG_MEM_OTHER, (no + 1) * sizeof *out);
    const char *fmt = type == VG_MODEL_XGBOOST ? "%.9g" : "%.17g";
    char *line = NULL;
    size_t cap = 0;
    int rc = x && out ? 0 : 2;
    for (unsigned long row = 1; rc == 0 && getline(&line, &cap, f) > 0; row++) {
        if (parse_row(line, x, nf) != 0) {
            fprintf(stderr, "score: %s line %lu: %u numbers expected\n", argv[3], row, nf);
            rc = 2;
            break;
        }
        vg_model_predict(m, x, out);
        for (uint32_t k = 0; k < no; k++) {
            printf(fmt, out[k]);
            putchar(k + 1 < no ? ' ' : '\n');
        }
    }
    free(line);
    fclose(f);
    vg_free(x);
    vg_free(out);
    vg_model_free(m);
    return rc;
}
