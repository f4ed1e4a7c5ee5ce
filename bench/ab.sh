#!/usr/bin/env bash
# A/B of the server's verification paths, for a valid and a wrong-token run,
# alternating A and B for ROUNDS. Per request, it prints:
# - the server's CPU time (utime + stime from /proc);
# - the whole machine's busy time, which adds the kernel's writeback threads
#   flushing the server's fsyncs, the loopback's softirqs and wrk's share;
# - the bytes the server caused to be written to disk (/proc/PID/io).
# Throughput and CPU time on these shared machines drift by ±15% between runs,
# so compare several rounds; bytes per request are steady.
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
# Busy ticks of the whole machine: user, nice, system, irq, softirq. They add
# what the server's own time misses (the kernel's writeback threads flushing
# its fsyncs, the loopback's softirqs) and wrk's share, the same for A and B.
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
ticks_per_second=$(getconf CLK_TCK)

# One wrk run of paths.lua: "N/s  X us/req (server)  Y us/req (machine)".
measure() { # FILE URL
    local before after busy_before busy_after out
    before=$(cpu_ticks "$SERVER")
    busy_before=$(busy_ticks)
    io_before=$(awk '/^write_bytes/ {print $2}' /proc/$SERVER/io)
    out=$(wrk -t1 -c64 -d4s -s paths.lua "$2" -- "$1" "$KEY")
    after=$(cpu_ticks "$SERVER")
    busy_after=$(busy_ticks)
    io_after=$(awk '/^write_bytes/ {print $2}' /proc/$SERVER/io)
    awk -v out="$out" -v ticks=$((after - before)) -v busy=$((busy_after - busy_before)) -v io=$((io_after - io_before)) \
        -v hz="$ticks_per_second" 'BEGIN {
        n = split(out, lines, "\n")
        for (i = 1; i <= n; i++) { split(lines[i], f, " "); v[f[1]] = f[2] }
        requests = v["rps"] * v["seconds"]
        printf "%6d/s p99 %5.2f ms %5.1f us/req, machine %5.1f, %5.0f B/req", v["rps"], v["p99_ms"], ticks / hz * 1e6 / requests, busy / hz * 1e6 / requests, io / requests
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
