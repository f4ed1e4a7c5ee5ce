#!/usr/bin/env bash
# Instructions per request of the server, for the valid and the wrong-token
# verification paths, counted by valgrind's callgrind: unlike time on these
# shared machines, the count repeats within about 1% for the same binary, so an
# A/B of a few percent of CPU work shows.
#
# It counts user space only (no system calls, no disk), and only inside the
# HTTP connections' tasks and the writer's commits. Under valgrind the server
# runs about 50 times slower, so its timed loops (checkpoints every 10 ms, the
# callback poll every 500 ms) would add far more per request than natively,
# and by how much would depend on the machine's load. Also, SHA-1 and SHA-256
# run their portable code under valgrind (no SHA extensions), so TOTP and the
# API-key hash weigh more than natively. Both sides pay this alike.
#
#   ABIN=/tmp/base-target/release/authy BBIN=target/release/authy bench/instructions.sh
#   USERS=300 ROUNDS=2 bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")"
source ./serve.sh
BIN=${CARGO_TARGET_DIR:-../target}/release/authy
USERS=${USERS:-300}
command -v valgrind >/dev/null || { echo "bench: install valgrind (apt-get install valgrind)" >&2; exit 2; }
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && pkill -f "callgrind-out-file=$WORK" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# count FILE: runs the file's paths (8 connections), prints instructions per request.
count() {
    local vpid=$1 file=$2 out requests dump
    callgrind_control -z "$vpid" > /dev/null 2>&1
    out=$(wrk -t1 -c8 -d60s -s paths.lua "$URL" -- "$file" "$KEY")
    requests=$(awk '/^rps/ {r = $2} /^seconds/ {s = $2} END {printf "%d", r * s}' <<<"$out")
    callgrind_control -d "$vpid" > /dev/null 2>&1
    dump=$(ls -t "$WORK"/callgrind.out.* | head -1)
    awk -v n="$requests" '/^(summary|totals):/ {printf "%8.0f", $2 / n; exit}' "$dump"
}

side() { # LABEL BIN
    rm -f "$WORK"/bench.db* "$WORK"/callgrind.out.* "$WORK/server.out"
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --collect-atstart=no '"'"'--toggle-collect=*Dispatcher*poll_catch*'"'"' '"'"'--toggle-collect=*db::writer::commit'"'"' --callgrind-out-file=%s/callgrind.out.%%p %s "$@"\n' "$WORK" "$2" > "$WORK/wrap.sh"
    chmod +x "$WORK/wrap.sh"
    start_server "$WORK/wrap.sh" "sqlite://$WORK/bench.db" "$WORK/server.out"
    target/release/server_setup "$URL" "$KEY" "$USERS" "$WORK" "$USERS" > /dev/null 2>&1
    local vpid
    vpid=$(pgrep -f "callgrind-out-file=$WORK" | head -1)
    echo "$1  valid $(count "$vpid" "$WORK/valid.txt") | wrong $(count "$vpid" "$WORK/wrong.txt")  instructions/request"
    kill "$vpid"
    wait "$SERVER" 2> /dev/null || true
}

env -u CARGO_TARGET_DIR cargo build --release --quiet
echo "$USERS users, all verifying; A: ${ABIN:-$BIN}; B: ${BBIN:-$BIN}"
for _ in $(seq "${ROUNDS:-1}"); do
    side A "${ABIN:-$BIN}"
    side B "${BBIN:-$BIN}"
done
