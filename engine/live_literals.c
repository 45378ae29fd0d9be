/*
 * live_literals.c — a literal lookup as a parameterised one: the string
 * literals of a query's top-level WHERE clause and what follows it become
 * `?` parameters, so that `WHERE card_id = 'c1'` and `WHERE card_id = 'c2'`
 * are one text, compiled once and then run from the statement cache
 * (live_cache.c) with the card bound.
 *
 * Only what cannot change a result is replaced: string literals ('...'),
 * after the first WHERE outside parentheses (the result's column names
 * come from before it), in a query with no parameters of its own and at
 * most VG_LIVE_LITERALS of them; numbers (ORDER BY 1 is a column), blobs,
 * quoted names and comments are left as they are. SQLite takes a quoted
 * string for a name in a few places (FROM 'table', AS 'alias'): there a
 * `?` does not compile, and the caller compiles the query as it was
 * written instead, with its own errors and positions.
 */
#include <string.h>
#include <strings.h>

#include "engine/live_int.h"

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

/* The end of the quoted token that starts at s[i] (quote q, doubled inside
 * it), or n + 1 when it is not closed. */
static size_t quoted_end(const char *s, size_t n, size_t i, char q)
{
    for (i++; i < n; i++)
        if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q)
                i++;
            else
                return i + 1;
        }
    return n + 1;
}

/* The end of the comment or blank run at s[i], or i when there is none. */
static size_t skip_comment(const char *s, size_t n, size_t i)
{
    if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
        while (i < n && s[i] != '\n')
            i++;
        return i;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
        const char *e = i + 2 < n ? memmem(s + i + 2, n - i - 2, "*/", 2) : NULL;
        return e ? (size_t)(e - s) + 2 : n;
    }
    return i;
}

/* A string literal of a query. */
typedef struct literal {
    size_t at;  /* where its opening quote is in the query */
    size_t len; /* bytes of the quoted token, quotes included */
} literal;

/* Find the literals to replace: their count (0: none, or the query is not
 * one to rewrite). */
static uint32_t find_literals(const char *s, size_t n, literal *lits)
{
    uint32_t nlits = 0;
    int depth = 0;
    bool after_where = false;
    for (size_t i = 0; i < n;) {
        size_t e = skip_comment(s, n, i);
        if (e != i) {
            i = e;
            continue;
        }
        char c = s[i];
        if (c == '?' || c == ':' || c == '@' || c == '$' || c == '#')
            return 0; /* parameters of its own (or something unknown) */
        if (c == '\'') {
            e = quoted_end(s, n, i, c);
            bool blob =
                i > 0 && (s[i - 1] == 'x' || s[i - 1] == 'X') && (i < 2 || !ident_char(s[i - 2]));
            if (e > n)
                return 0; /* not closed: SQLite says so */
            if (after_where && !blob) {
                if (nlits == VG_LIVE_LITERALS)
                    return 0;
                lits[nlits++] = (literal){i, e - i};
            }
            i = e;
        } else if (c == '"' || c == '`') {
            e = quoted_end(s, n, i, c);
            i = e > n ? n : e;
        } else if (c == '[') {
            const char *close = memchr(s + i, ']', n - i);
            i = close ? (size_t)(close - s) + 1 : n;
        } else if (ident_char(c)) {
            size_t j = i;
            while (j < n && ident_char(s[j]))
                j++;
            if (depth == 0 && j - i == 5 && strncasecmp(s + i, "where", 5) == 0)
                after_where = true;
            i = j;
        } else {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            i++;
        }
    }
    return after_where ? nlits : 0;
}

int live_literals(const char *sql, size_t len, vg_buf *text, vg_buf *values, vg_live_param *params)
{
    literal lits[VG_LIVE_LITERALS];
    uint32_t n = find_literals(sql, len, lits);
    if (!n)
        return 0;
    size_t from = 0, offs[VG_LIVE_LITERALS];
    for (uint32_t k = 0; k < n; k++) {
        if (vg_buf_append(text, sql + from, lits[k].at - from) < 0 || vg_buf_putc(text, '?') < 0)
            return -1;
        from = lits[k].at + lits[k].len;
        offs[k] = values->len;
        for (size_t i = lits[k].at + 1; i + 1 < lits[k].at + lits[k].len; i++) {
            if (vg_buf_putc(values, sql[i]) < 0)
                return -1;
            i += sql[i] == '\''; /* '' is one quote */
        }
    }
    if (vg_buf_append(text, sql + from, len - from) < 0)
        return -1;
    for (uint32_t k = 0; k < n; k++) { /* the buffer has stopped moving */
        size_t end = k + 1 < n ? offs[k + 1] : values->len;
        params[k] = (vg_live_param){
            VG_T_STRING, vg_str(values->p ? values->p + offs[k] : "", (uint32_t)(end - offs[k]))};
    }
    return (int)n;
}
