/* floor.c: the benchmark's floor: one libcsv parse of the input and a
 * write-back of every field with two constant columns appended; no dedup,
 * no validation. ucmock's CSV figures are reported as ratios to this.
 *
 * usage: floor IN.csv OUT.csv */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    FILE *f;
    int first;
} out;

static void on_field(void *s, size_t len, void *ud)
{
    out *o = ud;
    if (!o->first)
        putc_unlocked(',', o->f);
    o->first = 0;
    csv_fwrite(o->f, s, len);
}

static void on_row(int c, void *ud)
{
    out *o = ud;
    (void)c;
    fputs(",white,unknown\n", o->f);
    o->first = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: floor IN.csv OUT.csv\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    out o = {fopen(argv[2], "wb"), 1};
    if (!in || !o.f) {
        perror("floor");
        return 1;
    }
    static char obuf[1 << 20], ibuf[1 << 20];
    setvbuf(o.f, obuf, _IOFBF, sizeof obuf);
    struct csv_parser p;
    csv_init(&p, 0);
    size_t n;
    while ((n = fread(ibuf, 1, sizeof ibuf, in)) > 0)
        if (csv_parse(&p, ibuf, n, on_field, on_row, &o) != n) {
            fprintf(stderr, "floor: %s\n", csv_strerror(csv_error(&p)));
            return 1;
        }
    csv_fini(&p, on_field, on_row, &o);
    csv_free(&p);
    fclose(in);
    return fclose(o.f) == 0 ? 0 : 1;
}
