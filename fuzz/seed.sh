#!/bin/sh
# seed.sh [TARGET...]: build the seed corpora fuzz/corpus/<target>/ from the
# test fixtures (fixtures/xlsx, fixtures/outcomes.csv) plus a few small
# hand-written samples like the ones the black-box tests upload. Idempotent;
# with no argument, seeds every target.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fx="$root/fixtures"
all="fuzz_delimited fuzz_split fuzz_zip fuzz_xlsx fuzz_email fuzz_signed_url fuzz_parsers"
[ $# -gt 0 ] || set -- $all

# put DIR NAME: stdin into DIR/NAME
put() { cat > "$1/$2"; }

# fuzz_split reads its first byte as ranges and column: prefix the
# delimited seeds with a few such bytes, and add files with quoted line
# breaks and stray quotes near the bounds.
seed_split() {
    sd=$1
    tmp=$(mktemp -d)
    seed_delimited "$tmp"  # sets d: hence sd here
    i=0
    for f in "$tmp"/*; do
        i=$((i + 1))
        { printf "\\$(printf '%03o' $(( (i * 37) % 256 )))"; cat "$f"; } > "$sd/$(basename "$f")"
    done
    rm -rf "$tmp"
    printf '\003email,n\r\na@b.com,"x\r\ny"\r\n\r\nc@d.com,"""q""\n"\r\ne@f.com,3\r\n' | put "$sd" quoted_breaks.csv
    printf '\007email,n\na"b@x.com,1\nc@x.com,"x\ny"\nd@x.com,2\ne@x.com,"\n\n"\n' | put "$sd" stray_quote.csv
    printf '\017email\n \n   \nA@b.com\n\n\nb@c.com\rc@d.com\n' | put "$sd" blank_lines.csv
}

seed_delimited() {
    d=$1
    cp "$fx/outcomes.csv" "$d/outcomes.csv"
    for f in "$root"/tests/blackbox/*.csv "$root"/tests/*/*.tsv; do
        [ -f "$f" ] && cp "$f" "$d/"
    done
    printf 'email,name\na@b.com,Ann\n"q,uoted@x.org","B ""b"" B"\nc@d.io,\n' | put "$d" quoted.csv
    printf 'name;email;age\nAnn;a@b.com;3\r\nBob;bob@example.com;4\r\n' | put "$d" semicolon.csv
    printf 'email\tnote\nx@y.com\tone\ny@z.com\ttwo' | put "$d" tabs.tsv
    printf 'a@b.com\nc@d.com\n\n  e@f.com  \nnot an address\n' | put "$d" plain.txt
    printf 'id|email\n1|p@q.com\n2|r@s.com\n' | put "$d" pipes.txt
    printf '\357\273\277Email,x\nA@B.COM,1\na@b.com,2\n' | put "$d" bom.csv
    printf 'email,x\n"unterminated@x.com,1\nq@r.com,2\n' | put "$d" unterminated.csv
    printf 'email,x\nbad\377utf8@x.com,1\n\300\257@x.com,2\n' | put "$d" badutf8.csv
    printf 'email\n\346\227\245\346\234\254@\344\276\213.jp\n' | put "$d" utf8.csv
}

seed_zip() {
    cp "$fx"/xlsx/*.xlsx "$1/"
}

seed_email() {
    d=$1
    i=0
    # the address column of outcomes.csv, one file per address
    tail -n +2 "$fx/outcomes.csv" | cut -d, -f1 | while IFS= read -r a; do
        i=$((i + 1))
        printf '%s' "$a" > "$d/outcome_$i"
    done
    printf 'user@example.com' | put "$d" plain
    printf '"quoted local"@example.com' | put "$d" quoted
    printf 'user@[127.0.0.1]' | put "$d" literal
    printf 'j\303\274rgen@b\303\274cher.de' | put "$d" idn
    printf 'user@xn--bcher-kva.de' | put "$d" punycode
    printf 'a.b+tag@mailinator.com' | put "$d" disposable
    printf 'x@@y..com' | put "$d" bad
}

seed_signed_url() {
    d=$1
    # 8 bytes of "now" (little endian 1700000000), then id NUL expires NUL sig
    now='\000\361\123\145\000\000\000\000'
    printf "${now}"'0b6f6d3a-2f1e-4c4e-9a57-9d1b4f3f6a11\0001700000600\000%064d' 0 | put "$d" plain
    printf "${now}"'id\000-1\000zz' | put "$d" neg
    printf "${now}"'id\00099999999999999999999999\000abcdef' | put "$d" overflow
    printf "${now}"'\0001700000600\000' | put "$d" empty_id
}

seed_parsers() {
    d=$1
    for s in 10MB 5GB 512KiB 123 1.5GiB 0 18446744073709551615 99999999999999999999GB \
             2026-11-26T06:35:12Z 2026-11-26T06:35:12.123+05:30 1970-01-01T00:00:00-00:00 \
             9999-12-31T23:59:59.999999999Z 2024-02-29T24:00:00Z; do
        printf '%s' "$s" > "$d/$(printf '%s' "$s" | tr -c 'A-Za-z0-9' _)"
    done
}

for t in "$@"; do
    d="$here/corpus/$t"
    mkdir -p "$d"
    case $t in
        fuzz_delimited) seed_delimited "$d" ;;
        fuzz_split) seed_split "$d" ;;
        fuzz_zip|fuzz_xlsx) seed_zip "$d" ;;
        fuzz_email) seed_email "$d" ;;
        fuzz_signed_url) seed_signed_url "$d" ;;
        fuzz_parsers) seed_parsers "$d" ;;
        *) echo "seed.sh: unknown target $t" >&2; exit 2 ;;
    esac
done
