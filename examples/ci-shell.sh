#!/bin/sh
# ci-shell.sh COMMAND...: ucmock for any CI, no container needed. Starts
# ucmock on a free port with a fresh data dir, reads its URL from the first
# line it prints, waits for /healthz, runs COMMAND with USER_CLEANING_BASE
# set to that URL, stops the server and exits with COMMAND's status.
#   UCMOCK=/path/to/ucmock examples/ci-shell.sh python -m pytest tests/
# Extra server flags: UCMOCK_* variables (e.g. UCMOCK_RATE_LIMIT=0).
set -eu
ucmock=${UCMOCK:-ucmock}
tmp=$(mktemp -d)
"$ucmock" --listen 127.0.0.1:0 --data-dir "$tmp/data" >"$tmp/out" 2>"$tmp/log" &
pid=$!
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || echo "ci-shell.sh: ucmock exited with status $?" >&2
  rm -rf "$tmp"
}
trap stop EXIT

# The first stdout line: "ucmock listening on http://127.0.0.1:PORT (data dir ...)".
while [ ! -s "$tmp/out" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$tmp/log" >&2
    exit 1
  fi
  sleep 0.1
done
USER_CLEANING_BASE=$(sed -n '1s/^ucmock listening on \([^ ]*\) .*/\1/p' "$tmp/out")
export USER_CLEANING_BASE

# Ready when /healthz answers 200 (curl -fsS "$USER_CLEANING_BASE/healthz" works too).
i=0
until "$ucmock" --probe "$USER_CLEANING_BASE/healthz" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -ge 100 ]; then
    echo "ci-shell.sh: $USER_CLEANING_BASE/healthz never answered 200" >&2
    exit 1
  fi
  sleep 0.1
done

status=0
"$@" || status=$?
exit "$status"
