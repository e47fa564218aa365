/* jcheck.h: strict checking of a JSON document against what its reader
 * expects, collecting every problem instead of stopping at the first.
 *
 * Each problem is an entry of pydantic v2's error list, so a client reads
 * our control API's refusals as it reads the real API's 422s:
 *   {"type": "extra_forbidden", "loc": ["body", "respond", "stauts"],
 *    "msg": "Extra inputs are not permitted (allowed keys: status, ...)",
 *    "input": 503}
 * with a "ctx" object where pydantic has one (bounds, expected values).
 * Types used: json_invalid, missing, extra_forbidden, dict_type, list_type,
 * int_type, float_type, string_type, bool_type, literal_error,
 * greater_than_equal, less_than_equal, string_too_short, string_too_long,
 * too_long, value_error (jcheck_add, for rules between members).
 *
 * No HTTP here: the caller turns the list into an answer. Usage:
 *   jcheck *jc = jcheck_new();
 *   jloc body = JLOC_ROOT("body");
 *   json_t *j = jcheck_load(jc, &body, text, len);
 *   if (j && jcheck_object(jc, &body, j, (const char *[]){"a", "b", NULL}))
 *       jcheck_int(jc, &body, j, "a", JC_REQUIRED, 0, 10, &a);
 *   if (jcheck_failed(jc)) ... answer jcheck_problems(jc) ...
 *   json_decref(j); jcheck_free(jc);
 *
 * Member getters share one shape: (jc, loc of obj, obj, member name,
 * flags, what is allowed..., out). They return JC_OK (present and valid:
 * *out set), JC_NULL (null, allowed by JC_NULLABLE), JC_ABSENT (not there
 * and not JC_REQUIRED), or JC_BAD (a problem was recorded; *out untouched).
 * Values handed out are borrowed from obj. A jcheck is used by one thread. */
#ifndef UC_JCHECK_H
#define UC_JCHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Problems kept in the list; more are counted, not listed (the cap keeps
 * an answer to a body of a million bad keys small). */
#define JCHECK_MAX_PROBLEMS 100

/* Where a value sits: a chain of member names and array indexes, kept on
 * the caller's stack. The root's key names the document ("body"). */
typedef struct jloc {
    const struct jloc *up;  /* NULL at the root */
    const char *key;        /* member name; NULL when this is an index */
    size_t index;
} jloc;

#define JLOC_ROOT(name) ((jloc){NULL, (name), 0})
static inline jloc jloc_key(const jloc *up, const char *key)
{
    return (jloc){up, key, 0};
}
static inline jloc jloc_index(const jloc *up, size_t index)
{
    return (jloc){up, NULL, index};
}

typedef struct jcheck jcheck;

/* A new, empty problem list; NULL when out of memory. */
jcheck *jcheck_new(void);
void jcheck_free(jcheck *jc);  /* accepts NULL */

/* True when a problem was found or memory ran out while recording one
 * (then the list may be incomplete: see jcheck_oom). */
bool jcheck_failed(const jcheck *jc);
bool jcheck_oom(const jcheck *jc);
/* Problems found, including those past JCHECK_MAX_PROBLEMS. */
size_t jcheck_count(const jcheck *jc);
/* The list (a JSON array, borrowed from jc). */
json_t *jcheck_problems(jcheck *jc);

/* Record a problem at `at`. msg is the whole message; input is borrowed
 * (NULL: JSON null); ctx is taken (may be NULL). For rules the getters
 * cannot express, use type "value_error" and a msg "Value error, ...". */
void jcheck_add(jcheck *jc, const jloc *at, const char *type, const char *msg,
                json_t *input, json_t *ctx);

/* Parse text as one JSON value of any type (duplicate names and NUL in
 * strings refused). Returns it (a new reference), or NULL with a
 * json_invalid problem at [root, byte position]. */
json_t *jcheck_load(jcheck *jc, const jloc *at, const char *text, size_t len);

/* flags of the member getters */
enum {
    JC_REQUIRED = 1,  /* absent is a `missing` problem */
    JC_NULLABLE = 2,  /* null is accepted (JC_NULL) */
    JC_NOCASE = 4,    /* jcheck_literal: compare ASCII case-insensitively */
};
enum { JC_BAD = -1, JC_ABSENT = 0, JC_OK = 1, JC_NULL = 2 };

/* v must be an object (else dict_type) whose member names are all in
 * allowed (NULL-terminated; each other name is an extra_forbidden problem
 * naming the allowed ones; allowed NULL: any names). Returns v, or NULL
 * when it is no object. */
json_t *jcheck_object(jcheck *jc, const jloc *at, json_t *v, const char *const *allowed);

/* Member key of obj as an object checked as jcheck_object does. Unlike
 * the other getters, *out is set whenever the member is an object, even
 * when some of its names are refused (JC_BAD), so that its members can
 * still be checked and every problem reported. */
int jcheck_member_object(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                         unsigned flags, const char *const *allowed, json_t **out);
/* Member key as an array of at most max_items items. */
int jcheck_array(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                 unsigned flags, size_t max_items, json_t **out);
/* Each item of an array member with its loc:
 *     jcheck_iter it;
 *     if (jcheck_items(jc, at, obj, "faults", 0, 100, &it) == JC_OK)
 *         for (json_t *item; (item = jcheck_item(&it));)
 *             ... check item at &it.at ...
 * jcheck_items checks the member as jcheck_array does and returns what it
 * returns; unless JC_OK, jcheck_item hands out nothing. The iterator holds
 * locs that point into itself and to at: keep it where it is. */
typedef struct jcheck_iter {
    json_t *arr;    /* borrowed: the array, NULL when there is none */
    jloc list;      /* the array's loc */
    jloc at;        /* the loc of the item jcheck_item handed out last */
    size_t next;
} jcheck_iter;
int jcheck_items(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                 unsigned flags, size_t max_items, jcheck_iter *it);
/* The next item (borrowed), its loc in it->at; NULL after the last. */
json_t *jcheck_item(jcheck_iter *it);
/* Member key as a JSON integer (not a float, string or boolean) in
 * min..max. */
int jcheck_int(jcheck *jc, const jloc *at, json_t *obj, const char *key,
               unsigned flags, json_int_t min, json_int_t max, json_int_t *out);
/* Member key as a number (integer or not) in min..max. */
int jcheck_number(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                  unsigned flags, double min, double max, double *out);
/* Member key as a string of min_chars..max_chars characters (code points)
 * holding no NUL. */
int jcheck_string(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                  unsigned flags, size_t min_chars, size_t max_chars, const char **out);
/* Member key as one of the strings in allowed (NULL-terminated); *out is
 * the matching entry of allowed (so JC_NOCASE hands out its spelling). */
int jcheck_literal(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                   unsigned flags, const char *const *allowed, const char **out);
/* Member key as true or false. */
int jcheck_bool(jcheck *jc, const jloc *at, json_t *obj, const char *key,
                unsigned flags, bool *out);
/* Member key as any JSON value (only JC_REQUIRED applies). */
int jcheck_any(jcheck *jc, const jloc *at, json_t *obj, const char *key,
               unsigned flags, json_t **out);

/* The loc of `at` as a JSON array (new reference; NULL when out of
 * memory), e.g. for a caller's own problem entries. */
json_t *jcheck_loc(const jloc *at);

#endif
