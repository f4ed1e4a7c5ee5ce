#!/usr/bin/env bash
# A/B of the server's verification paths: the server's CPU time per request
# (utime + stime from /proc, so other load on the machine barely moves it) and
# req/s, for a valid and a wrong-token run, alternating A and B for ROUNDS.
# Throughput on these shared machines drifts by ±15% between runs; CPU per
# request is the figure to compare.
#
#   BARGS="--durability normal" bench/ab.sh
#   B_ENV="LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2" bench/ab.sh
#   BBIN=/tmp/other-target/release/authy USERS=300000 DEVICES=30000 bench/ab.sh
#
# A_ENV/B_ENV: environment of each side; ABIN/BBIN: the authy binary of each
# side (default: $CARGO_TARGET_DIR or ../target, release); AARGS/BARGS: extra
# `authy serve` options. Build first (bench/server.sh builds both).
set -euo pipefail
cd "$(dirname "$0")"
source ./serve.sh
BIN=${CARGO_TARGET_DIR:-../target}/release/authy
USERS=${USERS:-20000}
DEVICES=${DEVICES:-$USERS}
WORK=$(mktemp -d)
SERVER=
cleanup() { kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)

# One wrk run of paths.lua: "N/s  X us/req".
measure() { # FILE URL
    local before after out
    before=$(cpu_ticks "$SERVER")
    out=$(wrk -t1 -c64 -d4s -s paths.lua "$2" -- "$1" "$KEY")
    after=$(cpu_ticks "$SERVER")
    awk -v out="$out" -v ticks=$((after - before)) -v hz="$ticks_per_second" 'BEGIN {
        n = split(out, lines, "\n")
        for (i = 1; i <= n; i++) { split(lines[i], f, " "); v[f[1]] = f[2] }
        printf "%6d/s %5.1f us/req", v["rps"], ticks / hz * 1e6 / (v["rps"] * v["seconds"])
    }'
}

side() { # LABEL ENV BIN ARGS
    rm -f "$WORK"/bench.db* "$WORK/server.out"
    # shellcheck disable=SC2086 # ARGS is a list of words.
    SERVER_ENV=$2 start_server "$3" "sqlite://$WORK/bench.db" "$WORK/server.out" $4
    target/release/server_setup "$URL" "$KEY" "$USERS" "$WORK" "$DEVICES" > /dev/null 2>&1
    echo "$1  valid $(measure "$WORK/valid.txt" "$URL") | wrong $(measure "$WORK/wrong.txt" "$URL")"
    kill "$SERVER"
    wait "$SERVER" 2> /dev/null || true
}

echo "$USERS users, $DEVICES verifying; A: ${A_ENV:-} ${ABIN:-$BIN} ${AARGS:-}; B: ${B_ENV:-} ${BBIN:-$BIN} ${BARGS:-}"
for _ in $(seq "${ROUNDS:-2}"); do
    side A "${A_ENV:-}" "${ABIN:-$BIN}" "${AARGS:-}"
    side B "${B_ENV:-}" "${BBIN:-$BIN}" "${BARGS:-}"
done
