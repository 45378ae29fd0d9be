/*
 * fn_hash.c — message digests as lower-case hex: MD5, SHA1, SHA224,
 * SHA256, SHA384, SHA512. The only file of vigil that includes OpenSSL.
 *
 * prepare fetches the digest algorithm and makes a digest context once per
 * call site; each row re-initialises that context (EVP_DigestInit_ex2),
 * hashes the UTF-8 bytes of the string and writes the hex into scratch.
 * OpenSSL 3.0 still allocates a little inside each re-initialisation (its
 * provider context); that memory is OpenSSL's and not counted by vigil.
 * The context is per call site, so a plan is evaluated by one thread at a
 * time (as for regular expressions).
 */
#include <openssl/evp.h>

#include "udf/fn_int.h"

/* A call's digest. */
typedef struct hash_state {
    EVP_MD *md;      /* the fetched algorithm */
    EVP_MD_CTX *ctx; /* reused for every row */
} hash_state;

static void hash_release(void *state)
{
    hash_state *st = state;
    if (!st)
        return;
    EVP_MD_CTX_free(st->ctx);
    EVP_MD_free(st->md);
    vg_free(st);
}

static void *hash_prepare(vg_fn_bind *b)
{
    hash_state *st = vg_calloc(VG_MEM_UDF, 1, sizeof *st);
    if (st) {
        st->md = EVP_MD_fetch(NULL, b->fname, NULL); /* OpenSSL knows them by our names */
        st->ctx = EVP_MD_CTX_new();
    }
    if (st && st->ctx && !st->md) { /* e.g. MD5 in a FIPS-only OpenSSL */
        hash_release(st);
        fn_fail(b, -1, "function %s: the digest is not available in this OpenSSL", b->fname);
        return NULL;
    }
    if (!st || !st->ctx) {
        hash_release(st);
        b->nomem = true;
        fn_fail(b, -1, "out of memory");
        return NULL;
    }
    return st;
}

static void ev_hash(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    static const char hex[] = "0123456789abcdef";
    const hash_state *st = ctx->state;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_DigestInit_ex2(st->ctx, st->md, NULL) ||
        !EVP_DigestUpdate(st->ctx, a[0].len ? a[0].u.s : "", a[0].len) ||
        !EVP_DigestFinal_ex(st->ctx, digest, &len)) {
        ctx->failed = 1; /* only allocation can fail here */
        return;
    }
    char *o = fn_alloc(ctx, 2 * (size_t)len, out);
    if (!o)
        return;
    for (unsigned i = 0; i < len; i++) {
        o[2 * i] = hex[digest[i] >> 4];
        o[2 * i + 1] = hex[digest[i] & 15];
    }
    fn_set_str(out, o, 2 * (size_t)len);
}

FN_SIG_CHECK(ck_hash, "S", VG_T_STRING)

#define HASH(name, bits, example, result)                                                    \
    {name, 1, 1, VG_FN_STRICT, ck_hash, hash_prepare, hash_release, ev_hash, "hash",          \
     name "(s)",                                                                              \
     "The " bits " digest of the UTF-8 bytes of s, as lower-case hex. NULL if s is NULL.",    \
     name "('" example "')", "'" result "'"}

/* clang-format off */
const vg_func vg_fn_hash_table[] = {
    HASH("MD5", "MD5 (128-bit)", "abc", "900150983cd24fb0d6963f7d28e17f72"),
    HASH("SHA1", "SHA-1 (160-bit)", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
    HASH("SHA224", "SHA-224", "abc",
         "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
    HASH("SHA256", "SHA-256", "abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    HASH("SHA384", "SHA-384", "abc",
         "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
         "8086072ba1e7cc2358baeca134c825a7"),
    HASH("SHA512", "SHA-512", "abc",
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
};
/* clang-format on */
const size_t vg_fn_hash_count = sizeof vg_fn_hash_table / sizeof vg_fn_hash_table[0];
