/* delim_split.c: where a delimited file can be cut into byte ranges that
 * several readers read apart (see delimited.h): quote counts, the record
 * boundary at or after an offset, and the bounds of n shares. */
#include "formats/delimited.h"

#include <string.h>

uint64_t delim_count_quotes(const delim_reader *r, uint64_t a, uint64_t b)
{
    const char *s = delim_data(r);
    uint64_t n = 0;
    if (b > delim_size(r))
        b = delim_size(r);
    /* memchr: most files have few quotes, and it skips the rest fast */
    for (const char *p = s + a, *end = s + (b > a ? b : a);
         p < end && (p = memchr(p, '"', (size_t)(end - p))); p++)
        n++;
    return n;
}

uint64_t delim_boundary(const delim_reader *r, char delim, uint64_t from, int odd)
{
    const char *s = delim_data(r);
    uint64_t size = delim_size(r);
    if (from < delim_bom_len(r))
        from = delim_bom_len(r);
    for (uint64_t i = from; i < size; i++) {
        char ch = s[i];
        if (ch == '"' && delim != DELIM_LINES) {
            odd = !odd;
        } else if ((ch == '\n' || ch == '\r') && !odd) {
            if (ch == '\r' && i + 1 < size && s[i + 1] == '\n')
                i++;
            return i + 1;
        }
    }
    return size;
}

uint64_t delim_next_bound(const delim_reader *r, char delim, uint64_t a, uint64_t step,
                          uint64_t tail)
{
    uint64_t m = delim_size(r);
    if (a >= m)
        return 0;
    uint64_t t = m - a > step ? a + step : m;
    uint64_t x = t - a > tail ? t - tail : a;
    uint64_t q = delim == DELIM_LINES ? 0 : delim_count_quotes(r, a, x);
    uint64_t b = delim_boundary(r, delim, x, (int)(q & 1));
    return b < m ? b : 0;
}

uint64_t delim_share_start(const delim_reader *r, uint64_t start, size_t n, size_t k)
{
    if (start > delim_size(r))
        start = delim_size(r);
    return start + (delim_size(r) - start) * k / n;
}

void delim_split_counted(const delim_reader *r, char delim, uint64_t start, size_t n,
                         const uint64_t *quotes, uint64_t *bounds)
{
    /* quotes before the first share: the header's */
    uint64_t before = delim == DELIM_LINES ? 0 : delim_count_quotes(r, delim_bom_len(r), start);
    delim_split_after(r, delim, start, before, n, quotes, bounds);
}

void delim_split_after(const delim_reader *r, char delim, uint64_t start, uint64_t before,
                       size_t n, const uint64_t *quotes, uint64_t *bounds)
{
    const char *d = delim_data(r);
    uint64_t size = delim_size(r), prev = start;
    uint64_t q = delim == DELIM_LINES ? 0 : before;
    bounds[0] = start;
    for (size_t k = 1; k < n; k++) {
        uint64_t s = delim_share_start(r, start, n, k);
        if (delim != DELIM_LINES)
            q += quotes ? quotes[k - 1]
                        : delim_count_quotes(r, delim_share_start(r, start, n, k - 1), s);
        uint64_t b;
        if (s < prev)
            b = prev;
        else if (s > delim_bom_len(r) && !(q & 1) &&
                 (d[s - 1] == '\n' || (d[s - 1] == '\r' && (s == size || d[s] != '\n'))))
            b = s; /* right after a line end already */
        else
            b = delim_boundary(r, delim, s, (int)(q & 1));
        bounds[k] = prev = b > prev ? b : prev;
    }
    bounds[n] = size;
}

void delim_split(const delim_reader *r, char delim, uint64_t start, size_t n, uint64_t *bounds)
{
    delim_split_counted(r, delim, start, n, NULL, bounds);
}
