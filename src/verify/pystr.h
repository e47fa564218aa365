/* pystr.h: Python's str, as the validator ports need it.
 *
 * email*.c and idna.c port Python code, so they work on code-point strings
 * (uint32_t arrays) read from bytes the way Python reads them, and they
 * build exception texts the way Python formats them (repr(), character
 * names). One validation runs in a pyctx: the strings live in its scratch
 * arena, the failing check's text in its growable buffer. Nothing here
 * logs. */
#ifndef UC_PYSTR_H
#define UC_PYSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ---- a growable text (exception messages) -------------------------------- */

#define PYTEXT_MAX (1u << 20)  /* a reason past 1 MiB counts as out of memory */

typedef struct pytext {
    struct buf b;  /* the text, NUL-terminated once anything was written */
    bool off;      /* the caller wants no text: every write is a no-op */
    bool oom;      /* a write failed; the text is incomplete */
} pytext;

void pytext_init(pytext *b, bool off);
void pytext_put(pytext *b, const char *s, size_t n);
void pytext_puts(pytext *b, const char *s);
void pytext_printf(pytext *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One code point as UTF-8. NUL becomes U+FFFD (a C string cannot hold
 * it); U+DC80..U+DCFF (undecodable input bytes) go back as those bytes;
 * other surrogates, which UTF-8 cannot hold, become '?'. */
void pytext_cp(pytext *b, uint32_t c);
void pytext_u32(pytext *b, const uint32_t *s, size_t n);
/* repr(s) exactly as CPython writes it. */
void pytext_repr(pytext *b, const uint32_t *s, size_t n);
/* Put prefix before and suffix after what b holds. */
void pytext_wrap(pytext *b, const char *prefix, const char *suffix);
/* The text, malloc'd, for the caller to free (b is left empty); NULL when
 * b is off, holds nothing or ran out of memory (or past PYTEXT_MAX). */
char *pytext_take(pytext *b);
void pytext_free(pytext *b);   /* accepts a zeroed or freed b */

/* ---- one validation's context: scratch memory and the error text -------- */

#define PYCTX_STACK 4096  /* code points served from the context itself */

typedef struct pyctx_block pyctx_block;

typedef struct pyctx {
    uint32_t mem[PYCTX_STACK];
    size_t used;         /* code points of mem handed out */
    pyctx_block *heap;   /* blocks past mem, newest first */
    pytext err;          /* the text of the exception raised, if any */
    bool oom;            /* scratch memory ran out: err says nothing */
} pyctx;

/* want_text false: no exception text is built (faster; err stays empty). */
void pyctx_init(pyctx *c, bool want_text);
/* Room for n code points, valid until pyctx_release(). The part in mem
 * can be rewound by restoring c->used. NULL (and c->oom set) when out of
 * memory. */
uint32_t *pyctx_alloc(pyctx *c, size_t n);
/* Record that memory ran out; returns false for `return pyctx_nomem(c);`. */
bool pyctx_nomem(pyctx *c);
void pyctx_release(pyctx *c);  /* frees the heap blocks and err */

/* ---- code points ----------------------------------------------------------- */

bool pystr_is_surrogate(uint32_t c);
/* str.isspace() (also what re's \s and str.strip() use). */
bool pystr_isspace(uint32_t c);
/* unicodedata.category(c)[0]: 'L', 'M', 'N', 'P', 'S', 'Z' or 'C'. */
char pystr_category_major(uint32_t c);
/* unicodedata.category(c) == "Zs" */
bool pystr_is_space_separator(uint32_t c);
/* unicodedata.name(c); false when c has no name. */
#define PYSTR_NAME_MAX 256
bool pystr_char_name(uint32_t c, char name[PYSTR_NAME_MAX]);

/* ---- code-point strings ---------------------------------------------------- */

/* bytes.decode("utf-8", "surrogateescape"): strict UTF-8 to code points
 * (core/utf8.h's decoder), every byte outside a valid sequence becoming
 * U+DC00 + byte. out holds
 * n code points; returns how many were written. */
size_t pystr_decode(const uint8_t *s, size_t n, uint32_t *out);
bool pystr_is_ascii(const uint32_t *s, size_t n);
/* len(s.encode("utf-8")) (a surrogate counts 3). */
size_t pystr_utf8_len(const uint32_t *s, size_t n);
/* s as UTF-8 into out (room for pystr_utf8_len(s, n)); returns the length.
 * Surrogates are written as pytext_cp() writes them. */
size_t pystr_utf8(const uint32_t *s, size_t n, char *out);
/* unicodedata.normalize("NFC", s). Returns s itself when it is ASCII,
 * else a string in c's memory; NULL when out of memory. */
uint32_t *pystr_nfc(pyctx *c, uint32_t *s, size_t n, size_t *outn);
/* unicodedata.normalize("NFC", s[i:])[0] != s[i], looking no further
 * than the characters that can change the answer. memo (NULL, or zeroed
 * before the first call on s, then passed again with growing i) keeps a
 * walk along a long run of combining marks linear. -1 when out of memory. */
typedef struct pystr_nfc_memo {
    size_t at;      /* a mark of class ccc sits here, in the run after i */
    int ccc;
} pystr_nfc_memo;
int pystr_nfc_head_changes(const uint32_t *s, size_t n, size_t i, pystr_nfc_memo *memo);
/* The index of the first c in s[from, n), or n. */
size_t pystr_find(const uint32_t *s, size_t n, size_t from, uint32_t c);

#endif
