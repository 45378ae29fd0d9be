/*
 * admin_change.c — POST /models and POST /rules: activating a model or
 * ruleset version while the pipeline runs (engine/registry.h).
 *
 *   POST /models {"model": M, "version": N}      activate stored version N
 *   POST /models {"model": M, "path": FILE}      load FILE as a new version
 *                                                (the same bytes: the version
 *                                                they have) and activate it
 *   POST /rules  {"ruleset": R, "version": N}    activate stored version N
 *   POST /rules  {"ruleset": R, "rules": [ROW, ...], "default": A, "by": WHO}
 *                                                store the rows as the next
 *                                                version and activate it
 *
 * A ROW is {"rule_id", "condition", "action", "priority" (0), "mode"
 * ("active" or "shadow"), "enabled" (true)}. Everything is read and
 * checked before anything changes: the body, the model file against its
 * CREATE MODEL, every rule's condition compiled (a bad one is a 400 with
 * its line and column inside the condition). The runner's changer
 * (vg_admin_set_changer) brackets the change itself, which happens here,
 * on the runner's thread between batches: every row before it is scored or
 * decided by the old version, every row after by the new one.
 */
#include <string.h>

#include "engine/admin_int.h"
#include "engine/json_out.h"
#include "engine/registry.h"

/* A body's JSON object, or NULL with rs set to the 400. */
static json_t *body_object(const vg_admin_request *rq, const char *example,
                           vg_admin_response *rs)
{
    json_error_t jerr;
    json_t *doc = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (json_is_object(doc))
        return doc;
    char msg[300];
    snprintf(msg, sizeof msg, "the body must be a JSON object such as %s%s%s", example,
             doc ? "" : ": ", doc ? "" : jerr.text);
    json_decref(doc);
    admin_error(rs, 400, msg);
    return NULL;
}

/* Every member of doc is one of names[0..n): else rs gets the 400. */
static bool only_members(json_t *doc, const char *const *names, size_t n, const char *what,
                         vg_admin_response *rs)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        size_t i = 0;
        while (i < n && strcmp(names[i], key) != 0)
            i++;
        if (i == n) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown member '%s' in %s", key, what);
            admin_error(rs, 400, msg);
            return false;
        }
    }
    return true;
}

/* The HTTP status of a registry error. */
static int change_status(const vg_error *err)
{
    switch (err->code) {
    case VG_ERR_NOMEM:
        return 500;
    case VG_ERR_NAME:
        return 404;
    case VG_ERR_IO:
        return 422; /* a file that cannot be read, a store that cannot be written */
    default:
        return 400; /* does not fit, does not compile, changed since it was stored */
    }
}

/* The changer's `before`: false with rs set to the 503 when it refuses. */
static bool change_begin(vg_admin *a, vg_admin_response *rs)
{
    vg_error err;
    vg_error_clear(&err);
    if (!a->change || a->change(a->change_arg, false, &err) == 0)
        return true;
    char msg[600];
    snprintf(msg, sizeof msg, "nothing changed: %s", err.msg);
    admin_error(rs, 503, msg);
    return false;
}

/* The change applied: the changer's `after`, then the answer
 * {"KIND":NAME,"version":V,"previous":P[,"rules":N]}. */
static void change_done(vg_admin *a, vg_admin_response *rs, const char *kind, const char *name,
                        int64_t version, int64_t previous, int64_t nrules)
{
    vg_error err;
    vg_error_clear(&err);
    if (a->change)
        a->change(a->change_arg, true, &err); /* the runner reports its own failure */
    rs->status = 200;
    rs->content_type = "application/json";
    vg_buf *b = &rs->body;
    int rc = vg_buf_printf(b, "{\"%s\":", kind) | vg_json_write_string(b, name, strlen(name)) |
             vg_buf_printf(b, ",\"version\":%lld,\"previous\":%lld", (long long)version,
                           (long long)previous);
    if (nrules >= 0)
        rc |= vg_buf_printf(b, ",\"rules\":%lld", (long long)nrules);
    if ((rc | vg_buf_puts(b, "}\n")) < 0) {
        rs->status = 500;
        vg_buf_clear(b);
    }
}

/* A positive integer member "version", or 0 with rs set (absent: -1, no error). */
static int64_t version_of(json_t *doc, vg_admin_response *rs)
{
    json_t *v = json_object_get(doc, "version");
    if (!v)
        return -1;
    if (json_is_integer(v) && json_integer_value(v) > 0)
        return json_integer_value(v);
    admin_error(rs, 400, "\"version\" must be a positive integer");
    return 0;
}

/* ---- POST /models ---- */

void admin_page_models_post(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    static const char *const members[] = {"model", "version", "path"};
    json_t *doc = body_object(rq, "{\"model\": \"fraud_xgb\", \"version\": 2}", rs);
    if (!doc || !only_members(doc, members, 3, "a POST /models body", rs)) {
        json_decref(doc);
        return;
    }
    const char *name = json_string_value(json_object_get(doc, "model"));
    const char *path = json_string_value(json_object_get(doc, "path"));
    int64_t version = version_of(doc, rs);
    vg_model_slot *s = name ? vg_registry_model(a->registry, name) : NULL;
    char msg[300];
    if (version == 0) {
        /* rs says what is wrong with "version" */
    } else if (!name || (version > 0) == (path != NULL)) {
        admin_error(rs, 400, "the body needs \"model\" and one of \"version\" (a stored "
                             "version) and \"path\" (a model file)");
    } else if (!s) {
        snprintf(msg, sizeof msg, "the running plan has no model '%s'", name);
        admin_error(rs, 404, msg);
    } else if (change_begin(a, rs)) {
        vg_error err;
        vg_error_clear(&err);
        int64_t previous = s->version;
        int rc = path ? vg_registry_add_model(a->registry, s, path, &err)
                      : vg_registry_use_model(a->registry, s, version, true, &err);
        if (rc < 0)
            admin_error_of(rs, change_status(&err), &err);
        else
            change_done(a, rs, "model", name, s->version, previous, -1);
    }
    json_decref(doc);
}

/* ---- POST /rules ---- */

/* A string member, or def when absent; *bad set when it is not a string. */
static const char *str_member(json_t *o, const char *key, const char *def, bool *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return def;
    *bad |= !json_is_string(v);
    return json_string_value(v);
}

/* rules[i] from row i of the JSON array rows; false with rs set to the 400. */
static bool read_rules(json_t *rows, vg_rule *rules, vg_admin_response *rs)
{
    static const char *const members[] = {"rule_id", "condition", "action", "priority", "mode",
                                          "enabled"};
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o) {
        char what[64], msg[300];
        snprintf(what, sizeof what, "rule %zu", i + 1);
        if (!json_is_object(o)) {
            snprintf(msg, sizeof msg, "rule %zu is not a JSON object", i + 1);
            admin_error(rs, 400, msg);
            return false;
        }
        if (!only_members(o, members, 6, what, rs))
            return false;
        bool bad = false;
        json_t *prio = json_object_get(o, "priority"), *en = json_object_get(o, "enabled");
        const char *mode = str_member(o, "mode", "active", &bad);
        rules[i] = (vg_rule){.rule_id = str_member(o, "rule_id", NULL, &bad),
                             .condition = str_member(o, "condition", NULL, &bad),
                             .action = str_member(o, "action", NULL, &bad),
                             .priority = prio ? json_integer_value(prio) : 0,
                             .shadow = mode && strcmp(mode, "shadow") == 0,
                             .enabled = en ? json_is_true(en) : true};
        bad |= (prio && !json_is_integer(prio)) || (en && !json_is_boolean(en)) ||
               !rules[i].condition ||
               (mode && strcmp(mode, "shadow") != 0 && strcmp(mode, "active") != 0);
        if (bad) {
            snprintf(msg, sizeof msg,
                     "rule %zu: \"condition\" must be a string, \"rule_id\" and \"action\" "
                     "strings, \"priority\" an integer, \"mode\" \"active\" or \"shadow\", "
                     "\"enabled\" true or false",
                     i + 1);
            admin_error(rs, 400, msg);
            return false;
        }
    }
    return true;
}

/* Store rows as the next version of slot s and activate it. */
static void new_rules(vg_admin *a, vg_ruleset_slot *s, json_t *doc, json_t *rows,
                      vg_admin_response *rs)
{
    size_t n = json_array_size(rows);
    vg_rule *rules = vg_calloc(VG_MEM_IO, n + 1, sizeof *rules);
    bool bad = false;
    const char *def = str_member(doc, "default", NULL, &bad);
    const char *by = str_member(doc, "by", "admin", &bad);
    if (!rules) {
        admin_error(rs, 500, "out of memory");
    } else if (bad) {
        admin_error(rs, 400, "\"default\" and \"by\" must be strings");
    } else if (read_rules(rows, rules, rs) && change_begin(a, rs)) {
        vg_error err;
        vg_error_clear(&err);
        int64_t previous = s->rules ? vg_ruleset_version(s->rules) : 0, version;
        if (vg_registry_add_rules(a->registry, s, rules, (uint32_t)n, def, by, "admin", &version,
                                  &err) < 0)
            admin_error_of(rs, change_status(&err), &err);
        else
            change_done(a, rs, "ruleset", s->decl->name, version, previous, (int64_t)n);
    }
    vg_free(rules);
}

void admin_page_rules_post(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    static const char *const members[] = {"ruleset", "version", "rules", "default", "by"};
    json_t *doc = body_object(rq, "{\"ruleset\": \"payment_rules\", \"version\": 2}", rs);
    if (!doc || !only_members(doc, members, 5, "a POST /rules body", rs)) {
        json_decref(doc);
        return;
    }
    const char *name = json_string_value(json_object_get(doc, "ruleset"));
    json_t *rows = json_object_get(doc, "rules");
    int64_t version = version_of(doc, rs);
    vg_ruleset_slot *s = name ? vg_registry_ruleset(a->registry, name) : NULL;
    char msg[300];
    if (version == 0) {
        /* rs says what is wrong with "version" */
    } else if (!name || (version > 0) == (rows != NULL) || (rows && !json_is_array(rows))) {
        admin_error(rs, 400, "the body needs \"ruleset\" and one of \"version\" (a stored "
                             "version) and \"rules\" (an array of rules)");
    } else if (!s || !s->decl->input) {
        snprintf(msg, sizeof msg, "the running plan applies no ruleset '%s'", name);
        admin_error(rs, 404, msg);
    } else if (rows) {
        new_rules(a, s, doc, rows, rs);
    } else if (change_begin(a, rs)) {
        vg_error err;
        vg_error_clear(&err);
        int64_t previous = s->rules ? vg_ruleset_version(s->rules) : 0;
        if (vg_registry_use_rules(a->registry, s, version, true, &err) < 0)
            admin_error_of(rs, change_status(&err), &err);
        else
            change_done(a, rs, "ruleset", name, version, previous,
                        (int64_t)vg_ruleset_nrules(s->rules));
    }
    json_decref(doc);
}
