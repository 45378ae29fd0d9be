/*
 * admin_control.c — the commands of a control topic, answered by the
 * admin API's own endpoints (admin.h, vg_admin_command).
 *
 * A command is a JSON object {"op": OP, "id": ID, ...}: OP names an
 * endpoint (the table below), the other members are its body, so that the
 * control topic does exactly what the admin API does, with the same
 * checks, errors and state plans; ID, any JSON value, comes back in the
 * reply so that whoever sent the command can find its outcome. The caller
 * is the runner, between batches, so the endpoint runs at once.
 */
#include <string.h>

#include "engine/admin_int.h"
#include "engine/json_out.h"

/* What an op stands for. */
static const struct op_route {
    const char *op;   /* the command's "op" */
    const char *path; /* the endpoint it POSTs to */
} ops[] = {
    {"reload", "/reload"},
    {"activate_model", "/models"},
    {"rules", "/rules"},
};

/* Append {"id":ID,"op":OP,"status":S,"ok":B,"answer":BODY} and a newline. */
static bool put_reply(vg_buf *reply, const char *id, const char *op, const vg_admin_response *rs)
{
    size_t mark = reply->len, n = rs->body.len;
    while (n && rs->body.p[n - 1] == '\n')
        n--;
    bool ok = rs->status >= 200 && rs->status < 300;
    int rc = vg_buf_printf(reply, "{\"id\":%s,\"op\":", id ? id : "null") |
             (op ? vg_json_write_string(reply, op, strlen(op)) : vg_buf_puts(reply, "null")) |
             vg_buf_printf(reply, ",\"status\":%d,\"ok\":%s,\"answer\":", rs->status,
                           ok ? "true" : "false") |
             (n ? vg_buf_append(reply, rs->body.p, n) : vg_buf_puts(reply, "null")) |
             vg_buf_puts(reply, "}\n");
    if (rc < 0) {
        reply->len = mark;
        return false;
    }
    return ok;
}

/* The command in doc: its route, *op (static) and body (doc without op and
 * id, as JSON text to free), or NULL with rs set to the 400. */
static const admin_route *command_route(json_t *doc, const char **op, char **body,
                                        vg_admin_response *rs)
{
    *op = json_string_value(json_object_get(doc, "op"));
    size_t i = 0;
    while (*op && i < sizeof ops / sizeof ops[0] && strcmp(ops[i].op, *op) != 0)
        i++;
    if (!*op || i == sizeof ops / sizeof ops[0]) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: the ops are reload, activate_model and rules",
                 *op ? "unknown \"op\"" : "a command needs \"op\", a string");
        admin_error(rs, 400, msg);
        *op = NULL;
        return NULL;
    }
    *op = ops[i].op; /* (the member's string goes with it) */
    json_object_del(doc, "op");
    json_object_del(doc, "id");
    if (!(*body = json_dumps(doc, JSON_COMPACT))) {
        admin_error(rs, 500, "out of memory");
        return NULL;
    }
    return admin_find_route(ops[i].path);
}

bool vg_admin_command(vg_admin *a, const char *msg, size_t len, vg_buf *reply)
{
    vg_admin_response rs;
    admin_response_init(&rs);
    atomic_fetch_add(&a->served, 1);
    json_error_t jerr;
    json_t *doc = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *op = NULL;
    char *id = NULL, *body = NULL;
    char text[300];
    const admin_route *route = NULL;
    if (!json_is_object(doc)) {
        snprintf(text, sizeof text, "a command is a JSON object such as {\"op\": \"reload\"}%s%s",
                 doc ? "" : ": ", doc ? "" : jerr.text);
        admin_error(&rs, 400, text);
    } else {
        json_t *idv = json_object_get(doc, "id");
        if (idv && !(id = json_dumps(idv, JSON_COMPACT | JSON_ENCODE_ANY)))
            admin_error(&rs, 500, "out of memory");
        else
            route = command_route(doc, &op, &body, &rs);
    }
    if (route && !a->dag) {
        admin_error(&rs, 503, "the pipeline is not running");
    } else if (route) {
        vg_admin_request rq = {.method = "POST",
                               .path = route->path,
                               .content_type = "application/json",
                               .body = body,
                               .body_len = strlen(body)};
        route->post(a, &rq, &rs);
    }
    bool ok = put_reply(reply, id, op, &rs);
    vg_free(id);
    vg_free(body);
    json_decref(doc);
    vg_admin_response_free(&rs);
    return ok;
}
