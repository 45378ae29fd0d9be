/*
 * test_keymap.c — keyed operator state (engine/keymap.c): the exact bytes
 * of encoded keys (partition first, NULL flags, 8-byte numbers, length and
 * bytes of strings), equal keys equal bytes, -0.0 and 0.0 one key, NULL
 * apart from the empty string, partitions apart, decoding back, validating
 * snapshot bytes, values put across the buffer's growth (and a failed growth
 * leaving it as it was), the hash's exact values, the table (find, add, get,
 * growth, removal, iteration, clearing, payload alignment), the heap
 * (order, removal, fix), the snapshot reader, and every allocation
 * failing in turn with nothing leaked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/keymap.h"
#include "tests/unit/check.h"

/* The columns the key tests encode: s STRING, n BIGINT, d DOUBLE. */
static vg_column cols[] = {{.name = "s", .type = VG_T_STRING},
                           {.name = "n", .type = VG_T_BIGINT},
                           {.name = "d", .type = VG_T_DOUBLE}};
static const vg_schema schema = {3, cols};
static const uint32_t all[] = {0, 1, 2};

/* The encoded key of (s, n, d) in partition as a fresh buffer's bytes. */
static vg_buf encoded(int32_t partition, vg_value s, vg_value n, vg_value d)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_value row[3] = {s, n, d};
    CHECK_INT(vg_keymap_encode(&b, partition, &schema, all, 3, row), 0);
    return b;
}

static bool same(const vg_buf *a, const vg_buf *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* ---- keys as bytes ---- */

static void test_encode_bytes(void)
{
    vg_buf b = encoded(7, vg_str("ab", 2), vg_int(5), vg_null());
    /* the partition, "ab", 5, NULL */
    static const char want[] = {7, 0, 0, 0, 1, 2, 0, 0, 0, 'a', 'b', 1, 5, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_INT(b.len, sizeof want);
    CHECK(b.len == sizeof want && memcmp(b.p, want, sizeof want) == 0);
    CHECK_INT(vg_keymap_partition(b.p), 7);
    /* a key of no columns is the partition alone */
    vg_value row[1] = {vg_int(1)};
    CHECK_INT(vg_keymap_encode(&b, -2, &schema, all, 0, row), 0);
    CHECK_INT(b.len, 4);
    CHECK_INT(vg_keymap_partition(b.p), -2);
    vg_buf_free(&b);
}

static void test_equal_keys(void)
{
    char s1[] = "card", s2[] = "card"; /* equal strings at other addresses */
    vg_buf a = encoded(0, vg_str(s1, 4), vg_int(9), vg_double(1.5));
    vg_buf b = encoded(0, vg_str(s2, 4), vg_int(9), vg_double(1.5));
    CHECK(same(&a, &b));
    vg_buf z = encoded(0, vg_null(), vg_null(), vg_double(0.0));
    vg_buf nz = encoded(0, vg_null(), vg_null(), vg_double(-0.0));
    CHECK(same(&z, &nz)); /* -0.0 and 0.0 are one key */
    vg_buf null = encoded(0, vg_null(), vg_int(1), vg_null());
    vg_buf empty = encoded(0, vg_str("", 0), vg_int(1), vg_null());
    CHECK(!same(&null, &empty));
    CHECK_INT(null.len, 4 + 1 + 9 + 1);
    CHECK_INT(empty.len, 4 + 5 + 9 + 1);
    vg_buf p0 = encoded(0, vg_str("a", 1), vg_int(1), vg_null());
    vg_buf p1 = encoded(1, vg_str("a", 1), vg_int(1), vg_null());
    CHECK(!same(&p0, &p1)); /* partitions apart */
    CHECK(memcmp(p0.p + 4, p1.p + 4, p0.len - 4) == 0);
    vg_buf n0 = encoded(0, vg_null(), vg_int(0), vg_null());
    vg_buf nn = encoded(0, vg_null(), vg_null(), vg_null());
    CHECK(!same(&n0, &nn)); /* 0 is not NULL */
    vg_buf *bufs[] = {&a, &b, &z, &nz, &null, &empty, &p0, &p1, &n0, &nn};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        vg_buf_free(bufs[i]);
}

static void test_decode(void)
{
    vg_buf b = encoded(3, vg_str("xyz", 3), vg_null(), vg_double(-0.0));
    vg_value out[3];
    vg_keymap_decode(b.p, &schema, all, 3, out);
    CHECK(!out[0].null && out[0].len == 3 && memcmp(out[0].u.s, "xyz", 3) == 0);
    CHECK(out[0].u.s == b.p + 9); /* points into the key */
    CHECK(out[1].null);
    CHECK(!out[2].null && out[2].u.d == 0.0 && !signbit(out[2].u.d));
    /* a subset of the columns, in another order */
    static const uint32_t two[] = {2, 1};
    vg_value row[3] = {vg_null(), vg_int(-4), vg_double(2.25)};
    CHECK_INT(vg_keymap_encode(&b, 0, &schema, two, 2, row), 0);
    vg_keymap_decode(b.p, &schema, two, 2, out);
    CHECK(!out[0].null && out[0].u.d == 2.25);
    CHECK(!out[1].null && out[1].u.i == -4);
    vg_buf_free(&b);
}

static void test_valid(void)
{
    vg_buf b = encoded(1, vg_str("ab", 2), vg_int(5), vg_null());
    uint32_t len = (uint32_t)b.len;
    CHECK(vg_keymap_valid(b.p, len, &schema, all, 3));
    for (uint32_t n = 0; n < len; n++) /* every truncation */
        CHECK(!vg_keymap_valid(b.p, n, &schema, all, 3));
    CHECK(!vg_keymap_valid(b.p, len, &schema, all, 2)); /* a byte left over */
    CHECK(vg_buf_putc(&b, 0) == 0);
    CHECK(!vg_keymap_valid(b.p, len + 1, &schema, all, 3));
    b.p[4] = 2; /* neither NULL nor a value */
    CHECK(!vg_keymap_valid(b.p, len, &schema, all, 3));
    b.p[4] = 1;
    b.p[5] = 9; /* a string longer than the bytes */
    CHECK(!vg_keymap_valid(b.p, len, &schema, all, 3));
    vg_buf_free(&b);
}

/* Values put one after another across the buffer's growth (its first 256 bytes and
 * doublings) give the bytes written out by hand; a put whose growth fails returns -1 and
 * leaves the buffer as it was. */
static void test_put_value_growth(void)
{
    vg_buf b, want;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_buf_init(&want, VG_MEM_OTHER);
    char s[40];
    for (int i = 0; i < 200; i++) {
        uint32_t n = (uint32_t)(i % 40);
        memset(s, 'a' + i % 26, n);
        vg_value v = i % 7 == 0 ? vg_null() : i % 3 == 0 ? vg_int(i) : vg_str(s, n);
        vg_type t = i % 3 == 0 && i % 7 ? VG_T_BIGINT : VG_T_STRING;
        CHECK_INT(vg_keymap_put_value(&b, t, &v), 0);
        char flag = !v.null;
        vg_buf_append(&want, &flag, 1);
        if (!v.null && t == VG_T_BIGINT)
            vg_buf_append(&want, &v.u.i, 8);
        else if (!v.null) {
            vg_buf_append(&want, &n, 4);
            vg_buf_append(&want, s, n);
        }
    }
    CHECK(same(&b, &want));
    CHECK(b.len > 2048);
    size_t len = b.len;
    vg_value big = vg_str(s, 40);
    vg_alloc_fail_at(1, 1);
    for (int i = 0; i < 200 && b.len + 45 < b.cap; i++) /* fill to the brim, no growth */
        CHECK_INT(vg_keymap_put_value(&b, VG_T_STRING, &big), 0);
    len = b.len;
    CHECK_INT(vg_keymap_put_value(&b, VG_T_STRING, &big), -1);
    CHECK(vg_alloc_failed());
    vg_alloc_fail_at(0, 0);
    CHECK_INT(b.len, len);
    vg_buf_free(&b);
    vg_buf_free(&want);
}

static void test_value_size(void)
{
    static const char null[] = {0}, num[] = {1, 1, 2, 3, 4, 5, 6, 7, 8};
    static const char str[] = {1, 3, 0, 0, 0, 'a', 'b', 'c'};
    CHECK_INT(vg_keymap_value_size(null, null + 1, VG_T_STRING), 1);
    CHECK_INT(vg_keymap_value_size(num, num + 9, VG_T_BIGINT), 9);
    CHECK_INT(vg_keymap_value_size(num, num + 8, VG_T_BIGINT), 0);
    CHECK_INT(vg_keymap_value_size(str, str + 8, VG_T_STRING), 8);
    CHECK_INT(vg_keymap_value_size(str, str + 7, VG_T_STRING), 0);
    CHECK_INT(vg_keymap_value_size(str, str + 3, VG_T_STRING), 0);
    CHECK_INT(vg_keymap_value_size(str, str, VG_T_STRING), 0);
}

static void test_hash(void)
{
    static const char key[] = {7, 0, 0, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0};
    CHECK_INT(vg_keymap_hash("", 0), 0xbe0f3fa7u);
    CHECK_INT(vg_keymap_hash("a", 1), 0xad8fab5fu);
    CHECK_INT(vg_keymap_hash(key, sizeof key), 0x8444c09du);
}

/* ---- the table ---- */

/* The payload the table tests keep: a number. */
typedef struct item {
    int64_t v;
} item;

/* Key i as 4 bytes at p; its length. */
static int32_t key_of(uint32_t i, char *p)
{
    memcpy(p, &i, 4);
    return 4;
}

static void test_table(void)
{
    vg_keymap m;
    vg_keymap_init(&m, sizeof(item));
    CHECK_INT(m.payload, 16);
    char k[4];
    CHECK(vg_keymap_find(&m, k, (uint32_t)key_of(1, k)) == NULL); /* empty: no buckets */
    CHECK_INT(m.nbuckets, 0);
    for (uint32_t i = 0; i < 1000; i++) {
        vg_keymap_entry *e = vg_keymap_add(&m, k, (uint32_t)key_of(i, k));
        CHECK(e != NULL && ((item *)vg_keymap_payload(e))->v == 0);
        CHECK(((uintptr_t)vg_keymap_payload(e) & 15) == 0);
        ((item *)vg_keymap_payload(e))->v = i * 10;
    }
    CHECK_INT(m.n, 1000);
    CHECK_INT(m.nbuckets, 1024); /* doubled from 16 at 16, 32, ..., 512 keys */
    int found = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        vg_keymap_entry *e = vg_keymap_find(&m, k, (uint32_t)key_of(i, k));
        found += e && ((item *)vg_keymap_payload(e))->v == i * 10 &&
                 memcmp(vg_keymap_key(&m, e), k, 4) == 0 && e->len == 4;
    }
    CHECK_INT(found, 1000);
    CHECK(vg_keymap_find(&m, k, (uint32_t)key_of(1000, k)) == NULL);
    CHECK(vg_keymap_find(&m, k, 3) == NULL); /* a prefix is another key */
    bool added = true;
    vg_keymap_entry *e = vg_keymap_get(&m, k, (uint32_t)key_of(7, k), &added);
    CHECK(!added && e && ((item *)vg_keymap_payload(e))->v == 70);
    e = vg_keymap_get(&m, k, (uint32_t)key_of(5000, k), &added);
    CHECK(added && e && ((item *)vg_keymap_payload(e))->v == 0);
    CHECK_INT(m.n, 1001);
    vg_keymap_remove(&m, e);
    for (uint32_t i = 0; i < 1000; i += 2) /* remove the even keys */
        vg_keymap_remove(&m, vg_keymap_find(&m, k, (uint32_t)key_of(i, k)));
    CHECK_INT(m.n, 500);
    found = 0;
    for (uint32_t i = 0; i < 1000; i++)
        found += (vg_keymap_find(&m, k, (uint32_t)key_of(i, k)) != NULL) == (i % 2 == 1);
    CHECK_INT(found, 1000);
    CHECK_INT(m.nbuckets, 1024); /* the table never shrinks */
    vg_keymap_clear(&m, NULL, NULL);
    CHECK(m.n == 0 && m.nbuckets == 0 && m.buckets == NULL);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

/* Keys of different lengths and partitions, and the empty key. */
static void test_table_keys(void)
{
    vg_keymap m;
    vg_keymap_init(&m, 0);
    CHECK_INT(m.payload, 0);
    vg_buf a = encoded(0, vg_str("a", 1), vg_int(1), vg_null());
    vg_buf b = encoded(1, vg_str("a", 1), vg_int(1), vg_null());
    vg_keymap_entry *ea = vg_keymap_add(&m, a.p, (uint32_t)a.len);
    vg_keymap_entry *eb = vg_keymap_add(&m, b.p, (uint32_t)b.len);
    vg_keymap_entry *e0 = vg_keymap_add(&m, "", 0);
    CHECK(ea && eb && e0 && ea != eb);
    CHECK(vg_keymap_find(&m, a.p, (uint32_t)a.len) == ea);
    CHECK(vg_keymap_find(&m, b.p, (uint32_t)b.len) == eb);
    CHECK(vg_keymap_find(&m, "", 0) == e0);
    CHECK_INT(vg_keymap_partition(vg_keymap_key(&m, eb)), 1);
    CHECK_INT(m.n, 3);
    vg_keymap_clear(&m, NULL, NULL);
    vg_buf_free(&a);
    vg_buf_free(&b);
}

static int sum_entries(void *arg, vg_keymap_entry *e)
{
    *(int64_t *)arg += ((item *)vg_keymap_payload(e))->v;
    return 0;
}

static int stop_at_3(void *arg, vg_keymap_entry *e)
{
    (void)e;
    return ++*(int *)arg == 3 ? 42 : 0;
}

static void count_destroy(void *arg, vg_keymap_entry *e)
{
    *(int64_t *)arg += ((item *)vg_keymap_payload(e))->v;
}

static void test_each_clear(void)
{
    vg_keymap m;
    vg_keymap_init(&m, sizeof(item));
    char k[4];
    for (uint32_t i = 1; i <= 100; i++)
        ((item *)vg_keymap_payload(vg_keymap_add(&m, k, (uint32_t)key_of(i, k))))->v = i;
    int64_t sum = 0;
    CHECK_INT(vg_keymap_each(&m, sum_entries, &sum), 0);
    CHECK_INT(sum, 5050);
    int visits = 0;
    CHECK_INT(vg_keymap_each(&m, stop_at_3, &visits), 42);
    CHECK_INT(visits, 3);
    int64_t destroyed = 0;
    vg_keymap_clear(&m, count_destroy, &destroyed);
    CHECK_INT(destroyed, 5050);
    CHECK_INT(vg_keymap_each(&m, stop_at_3, &visits), 0); /* empty */
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

/* Every allocation failing in turn while 100 keys go in: an add that
 * fails changes nothing, every key that went in is found, and clearing
 * frees everything. */
static void test_table_alloc_failures(void)
{
    int clean = 0, runs = 0;
    for (uint64_t n = 1;; n++) {
        vg_keymap m;
        vg_keymap_init(&m, sizeof(item));
        char k[4];
        vg_alloc_fail_at(n, 0);
        uint32_t in = 0;
        bool ok = true;
        for (uint32_t i = 0; i < 100; i++) {
            uint32_t before = m.n;
            vg_keymap_entry *e = vg_keymap_get(&m, k, (uint32_t)key_of(i, k), NULL);
            if (e) {
                ((item *)vg_keymap_payload(e))->v = 1;
                in++;
            }
            ok &= m.n == before + (e != NULL);
        }
        bool failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        for (uint32_t i = 0; i < 100; i++)
            if (vg_keymap_find(&m, k, (uint32_t)key_of(i, k)))
                in--;
        ok &= in == 0 && m.n >= 99;
        vg_keymap_clear(&m, NULL, NULL);
        clean += ok && vg_mem_in_use(VG_MEM_STATE) == 0;
        runs++;
        if (!failed)
            break;
    }
    CHECK_INT(clean, runs);
    CHECK(runs > 100); /* 100 entries and the bucket arrays */
}

/* ---- the heap ---- */

typedef struct node {
    int v;
    uint32_t at;
} node;

static bool node_less(const void *a, const void *b)
{
    return ((const node *)a)->v < ((const node *)b)->v;
}

static uint32_t *node_at(void *n) { return &((node *)n)->at; }

/* Pop every node: their values in order, "v v v ...". */
static const char *drain(vg_keymap_heap *h, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    while (h->n) {
        node *top = h->items[0];
        len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? " " : "", top->v);
        vg_keymap_heap_remove(h, top);
        CHECK_INT(top->at, VG_KEYMAP_NONE);
    }
    return buf;
}

static void test_heap(void)
{
    vg_keymap_heap h = {.less = node_less, .at = node_at};
    node nodes[100];
    for (int i = 0; i < 100; i++) {
        nodes[i].v = (i * 37) % 100; /* 0..99, shuffled */
        CHECK_INT(vg_keymap_heap_push(&h, &nodes[i]), 0);
    }
    CHECK_INT(h.n, 100);
    CHECK_INT(h.cap, 128);
    for (int i = 0; i < 100; i++)
        CHECK(h.items[nodes[i].at] == &nodes[i]);
    for (int i = 0; i < 100; i++) /* take the values 10..99 out */
        if (nodes[i].v >= 10)
            vg_keymap_heap_remove(&h, &nodes[i]);
    CHECK_INT(h.n, 10);
    node *five = NULL, *zero = NULL;
    for (int i = 0; i < 100; i++) {
        five = nodes[i].v == 5 ? &nodes[i] : five;
        zero = nodes[i].v == 0 ? &nodes[i] : zero;
    }
    five->v = -1; /* moves up */
    vg_keymap_heap_fix(&h, five);
    zero->v = 50; /* moves down */
    vg_keymap_heap_fix(&h, zero);
    char buf[256];
    CHECK_STR(drain(&h, buf, sizeof buf), "-1 1 2 3 4 6 7 8 9 50");
    vg_keymap_heap_free(&h);
    CHECK(h.items == NULL && h.n == 0 && h.cap == 0);
    /* a push whose growth fails leaves the heap as it was */
    node a = {3, 0}, b = {1, 0};
    vg_alloc_fail_at(1, 0);
    CHECK_INT(vg_keymap_heap_push(&h, &a), -1);
    vg_alloc_fail_at(0, 0);
    CHECK_INT(h.n, 0);
    CHECK_INT(vg_keymap_heap_push(&h, &a), 0);
    CHECK_INT(vg_keymap_heap_push(&h, &b), 0);
    CHECK_STR(drain(&h, buf, sizeof buf), "1 3");
    vg_keymap_heap_free(&h);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

/* ---- the reader ---- */

static void test_reader(void)
{
    static const char bytes[] = {1, 0, 0, 0, 2, 0};
    vg_keymap_reader r = {bytes, bytes + sizeof bytes, false};
    CHECK_INT(vg_keymap_read_u32(&r), 1);
    CHECK(!r.bad && r.p == bytes + 4);
    CHECK_INT(vg_keymap_read_u32(&r), 0); /* 2 bytes left: short */
    CHECK(r.bad && r.p == bytes + 4);
    char c = 9;
    vg_keymap_read(&r, &c, 1); /* bad stays bad */
    CHECK_INT(c, 0);
    CHECK(r.bad);
}

int main(void)
{
    RUN(test_encode_bytes);
    RUN(test_equal_keys);
    RUN(test_decode);
    RUN(test_valid);
    RUN(test_put_value_growth);
    RUN(test_value_size);
    RUN(test_hash);
    RUN(test_table);
    RUN(test_table_keys);
    RUN(test_each_clear);
    RUN(test_table_alloc_failures);
    RUN(test_heap);
    RUN(test_reader);
    return CHECK_DONE();
}
