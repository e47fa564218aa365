/* jcheck.c: strict JSON checking with a pydantic-like problem list (see
 * jcheck.h). Messages follow pydantic v2's wording where it has one. */
#include "core/jcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/messages.h"

struct jcheck {
    json_t *list;
    size_t count;
    bool oom;
};

jcheck *jcheck_new(void)
{
    jcheck *jc = calloc(1, sizeof *jc);
    if (!jc)
        return NULL;
    jc->list = json_array();
    if (!jc->list) {
        free(jc);
        return NULL;
    }
    return jc;
}

void jcheck_free(jcheck *jc)
{
    if (!jc)
        return;
    json_decref(jc->list);
    free(jc);
}

bool jcheck_failed(const jcheck *jc) { return jc->count > 0 || jc->oom; }
bool jcheck_oom(const jcheck *jc) { return jc->oom; }
size_t jcheck_count(const jcheck *jc) { return jc->count; }
json_t *jcheck_problems(jcheck *jc) { return jc->list; }

/* Append the names and indexes from the root down to at. */
static int loc_append(json_t *arr, const jloc *at)
{
    if (!at)
        return 0;
    if (loc_append(arr, at->up) != 0)
        return -1;
    return json_array_append_new(arr, at->key ? json_string(at->key)
                                              : json_integer((json_int_t)at->index));
}

json_t *jcheck_loc(const jloc *at)
{
    json_t *arr = json_array();
    if (arr && loc_append(arr, at) != 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

void jcheck_add(jcheck *jc, const jloc *at, const char *type, const char *msg,
                json_t *input, json_t *ctx)
{
    jc->count++;
    if (json_array_size(jc->list) >= JCHECK_MAX_PROBLEMS) {
        json_decref(ctx);
        return;
    }
    json_t *e = json_pack("{s:s,s:o,s:s,s:O}", "type", type, "loc", jcheck_loc(at),
                          "msg", msg, "input", input ? input : json_null());
    if (!e) {
        json_decref(ctx);
    } else if (ctx && json_object_set_new(e, "ctx", ctx) != 0) { /* ctx taken */
        json_decref(e);
        e = NULL;
    }
    if (!e || json_array_append_new(jc->list, e) != 0)
        jc->oom = true;
}

json_t *jcheck_load(jcheck *jc, const jloc *at, const char *text, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (j)
        return j;
    jloc pos = jloc_index(at, (size_t)je.position);
    json_t *input = json_object();
    jcheck_add(jc, &pos, "json_invalid", "JSON decode error", input,
               json_pack("{s:s}", "error", je.text));
    json_decref(input);
    return NULL;
}

/* ---- messages ---- */

/* "'a', 'b' or 'c'" into out (cut to cap). */
static void or_list(const char *const *items, char *out, size_t cap)
{
    size_t n = 0, used = 0;
    while (items[n])
        n++;
    out[0] = 0;
    for (size_t i = 0; i < n && used < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(out + used, cap - used, "%s'%s'", sep, items[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void problem_fmt(jcheck *jc, const jloc *at, const char *type, json_t *input,
                        json_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void problem_fmt(jcheck *jc, const jloc *at, const char *type, json_t *input,
                        json_t *ctx, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jcheck_add(jc, at, type, msg, input, ctx);
}

static void type_problem(jcheck *jc, const jloc *at, const char *type, const char *what,
                         json_t *input)
{
    problem_fmt(jc, at, type, input, NULL, "Input should be a valid %s", what);
}

/* ---- objects ---- */

static bool allowed_has(const char *const *allowed, const char *key, size_t len)
{
    if (strlen(key) != len) /* a name holding a NUL is never one of ours */
        return false;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(allowed[i], key))
            return true;
    return false;
}

json_t *jcheck_object(jcheck *jc, const jloc *at, json_t *v, const char *const *allowed)
{
    if (!json_is_object(v)) {
        type_problem(jc, at, "dict_type", "dictionary", v);
        return NULL;
    }
    if (!allowed) /* any names */
        return v;
    const char *key;
    size_t len;
    json_t *val;
    json_object_keylen_foreach(v, key, len, val) {
        if (allowed_has(allowed, key, len))
            continue;
        char names[600];
        size_t used = 0;
        names[0] = 0;
        for (size_t i = 0; allowed[i] && used < sizeof names; i++) {
            int w = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                             allowed[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        json_t *list = json_array();
        for (size_t i = 0; list && allowed[i]; i++)
            json_array_append_new(list, json_string(allowed[i]));
        /* the loc of a name that is no C string is cut at its NUL */
        jloc k = jloc_key(at, key);
        json_t *ctx = list ? json_pack("{s:o}", "allowed", list) : NULL;
        if (allowed[0])
            problem_fmt(jc, &k, "extra_forbidden", val, ctx,
                        "Extra inputs are not permitted (allowed keys: %s)", names);
        else
            jcheck_add(jc, &k, "extra_forbidden",
                       "Extra inputs are not permitted (no keys are allowed)", val, ctx);
    }
    return v;
}

/* The member, or NULL; records `missing` when it is required. *rc is the
 * getter's answer when the member is absent or null (handled here). */
static json_t *member(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                      unsigned flags, int *rc)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v) {
        *rc = JC_ABSENT;
        if (flags & JC_REQUIRED) {
            jloc k = jloc_key(at, key);
            jcheck_add(jc, &k, "missing", MSG_FIELD_REQUIRED, obj, NULL);
            *rc = JC_BAD;
        }
        return NULL;
    }
    if (json_is_null(v) && (flags & JC_NULLABLE)) {
        *rc = JC_NULL;
        return NULL;
    }
    return v;
}

int jcheck_member_object(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                         unsigned flags, const char *const *allowed, json_t **out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    jloc k = jloc_key(at, key);
    size_t before = jc->count;
    if (!jcheck_object(jc, &k, v, allowed))
        return JC_BAD;
    *out = v; /* handed out even with unknown names, so its members get checked */
    return jc->count == before ? JC_OK : JC_BAD;
}

int jcheck_array(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                 unsigned flags, size_t max_items, json_t **out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    jloc k = jloc_key(at, key);
    if (!json_is_array(v)) {
        type_problem(jc, &k, "list_type", "list", v);
        return JC_BAD;
    }
    size_t n = json_array_size(v);
    if (n > max_items) {
        problem_fmt(jc, &k, "too_long", v,
                    json_pack("{s:s,s:I,s:I}", "field_type", "List", "max_length",
                              (json_int_t)max_items, "actual_length", (json_int_t)n),
                    "List should have at most %zu item%s after validation, not %zu",
                    max_items, max_items == 1 ? "" : "s", n);
        return JC_BAD;
    }
    *out = v;
    return JC_OK;
}

int jcheck_items(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                 unsigned flags, size_t max_items, jcheck_iter *it)
{
    json_t *arr = NULL;
    int rc = jcheck_array(jc, at, obj, key, flags, max_items, &arr);
    *it = (jcheck_iter){.arr = rc == JC_OK ? arr : NULL, .list = jloc_key(at, key)};
    return rc;
}

json_t *jcheck_item(jcheck_iter *it)
{
    if (!it->arr || it->next >= json_array_size(it->arr))
        return NULL;
    it->at = jloc_index(&it->list, it->next);
    return json_array_get(it->arr, it->next++);
}

/* ---- scalars ---- */

int jcheck_int(jcheck *jc, const jloc *at, json_t *obj, const char *key,
               unsigned flags, json_int_t min, json_int_t max, json_int_t *out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    jloc k = jloc_key(at, key);
    if (!json_is_integer(v)) {
        type_problem(jc, &k, "int_type", "integer", v);
        return JC_BAD;
    }
    json_int_t n = json_integer_value(v);
    if (n < min) {
        problem_fmt(jc, &k, "greater_than_equal", v, json_pack("{s:I}", "ge", min),
                    "Input should be greater than or equal to %" JSON_INTEGER_FORMAT, min);
        return JC_BAD;
    }
    if (n > max) {
        problem_fmt(jc, &k, "less_than_equal", v, json_pack("{s:I}", "le", max),
                    "Input should be less than or equal to %" JSON_INTEGER_FORMAT, max);
        return JC_BAD;
    }
    *out = n;
    return JC_OK;
}

int jcheck_number(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                  unsigned flags, double min, double max, double *out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    jloc k = jloc_key(at, key);
    if (!json_is_number(v)) {
        type_problem(jc, &k, "float_type", "number", v);
        return JC_BAD;
    }
    double d = json_number_value(v);
    if (!(d >= min)) {
        problem_fmt(jc, &k, "greater_than_equal", v, json_pack("{s:f}", "ge", min),
                    "Input should be greater than or equal to %.15g", min);
        return JC_BAD;
    }
    if (!(d <= max)) {
        problem_fmt(jc, &k, "less_than_equal", v, json_pack("{s:f}", "le", max),
                    "Input should be less than or equal to %.15g", max);
        return JC_BAD;
    }
    *out = d;
    return JC_OK;
}

static size_t utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

int jcheck_string(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                  unsigned flags, size_t min_chars, size_t max_chars, const char **out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    jloc k = jloc_key(at, key);
    if (!json_is_string(v)) {
        type_problem(jc, &k, "string_type", "string", v);
        return JC_BAD;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len) {
        jcheck_add(jc, &k, "value_error", "Value error, a NUL character is not allowed", v,
                   NULL);
        return JC_BAD;
    }
    size_t chars = utf8_count(s, len);
    if (chars < min_chars) {
        problem_fmt(jc, &k, "string_too_short", v, json_pack("{s:I}", "min_length",
                                                             (json_int_t)min_chars),
                    "String should have at least %zu character%s", min_chars,
                    min_chars == 1 ? "" : "s");
        return JC_BAD;
    }
    if (chars > max_chars) {
        problem_fmt(jc, &k, "string_too_long", v, json_pack("{s:I}", "max_length",
                                                            (json_int_t)max_chars),
                    "String should have at most %zu character%s", max_chars,
                    max_chars == 1 ? "" : "s");
        return JC_BAD;
    }
    *out = s;
    return JC_OK;
}

int jcheck_literal(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                   unsigned flags, const char *const *allowed, const char **out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)) {
        const char *s = json_string_value(v);
        for (size_t i = 0; allowed[i]; i++)
            if ((flags & JC_NOCASE) ? !strcasecmp(s, allowed[i]) : !strcmp(s, allowed[i])) {
                *out = allowed[i];
                return JC_OK;
            }
    }
    char expected[600];
    or_list(allowed, expected, sizeof expected);
    jloc k = jloc_key(at, key);
    problem_fmt(jc, &k, "literal_error", v, json_pack("{s:s}", "expected", expected),
                "Input should be %s", expected);
    return JC_BAD;
}

int jcheck_bool(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                unsigned flags, bool *out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags, &rc);
    if (!v)
        return rc;
    if (!json_is_boolean(v)) {
        jloc k = jloc_key(at, key);
        type_problem(jc, &k, "bool_type", "boolean", v);
        return JC_BAD;
    }
    *out = json_is_true(v);
    return JC_OK;
}

int jcheck_any(jcheck *jc, const jloc *at, json_t *obj, const char *key,
               unsigned flags, json_t **out)
{
    int rc;
    json_t *v = member(jc, at, obj, key, flags & ~(unsigned)JC_NULLABLE, &rc);
    if (!v)
        return rc;
    *out = v;
    return JC_OK;
}
