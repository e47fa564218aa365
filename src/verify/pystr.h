/* pystr.h: Python's str, as the validator ports need it.
 *
 * email.c and idna.c port Python code, so they work on code-point strings
 * (uint32_t arrays) read from bytes the way Python reads them, and they
 * build reason texts the way Python formats them (repr(), character
 * names). The strings live in a scratch arena; the texts in a bounded
 * buffer. Nothing here logs or allocates outside the arena. */
#ifndef UC_PYSTR_H
#define UC_PYSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The reason given when scratch memory runs out (Python would raise
 * MemoryError). Compared by address: a function that gets it from a
 * callee passes it on unchanged. */
extern const char pystr_oom[];

/* ---- scratch memory: stack first, the heap only for long input ---------- */

#define PYARENA_STACK 4096

typedef struct pyarena_block pyarena_block;

typedef struct pyarena {
    uint32_t mem[PYARENA_STACK];
    size_t used;           /* code points of mem handed out */
    pyarena_block *heap;   /* blocks past mem, newest first */
} pyarena;

void pyarena_init(pyarena *a);
/* Room for n code points, valid until pyarena_release(). The stack part
 * can be rewound by restoring a->used. NULL when out of memory. */
uint32_t *pyarena_alloc(pyarena *a, size_t n);
void pyarena_release(pyarena *a);  /* frees the heap blocks */

/* ---- a bounded text buffer (reason messages) ----------------------------- */

typedef struct pytext {
    char *p;
    size_t cap, len;
} pytext;

/* Write into p[0, cap) (cap >= 1); the text is always NUL-terminated and
 * silently cut at cap - 1 bytes. */
pytext pytext_init(char *p, size_t cap);
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
/* unicodedata.name(c, repr(c)) */
void pytext_char_name(pytext *b, uint32_t c);

/* ---- code-point strings -------------------------------------------------- */

bool pystr_is_surrogate(uint32_t c);
/* bytes.decode("utf-8", "surrogateescape"): strict UTF-8 to code points,
 * every byte outside a valid sequence becoming U+DC00 + byte. out holds
 * n code points; returns how many were written. */
size_t pystr_decode(const uint8_t *s, size_t n, uint32_t *out);
bool pystr_is_ascii(const uint32_t *s, size_t n);
/* len(s.encode("utf-8")) (a surrogate counts 3). */
size_t pystr_utf8_len(const uint32_t *s, size_t n);
/* unicodedata.normalize("NFC", s). Returns s itself when it is ASCII,
 * else a string in a's memory; NULL when out of memory. */
uint32_t *pystr_nfc(pyarena *a, uint32_t *s, size_t n, size_t *outn);
/* unicodedata.category(c)[0]: 'L', 'M', 'N', 'P', 'S', 'Z' or 'C'. */
char pystr_category_major(uint32_t c);

#endif
