#!/usr/bin/env bash
# Server figures: release `authy serve` on a SQLite file against the ceiling, both
# driven by wrk at 64 connections in this same run. Prints one table.
#
#   bench/server.sh               # 10k users, 10 s per measurement
#   USERS=2000 SECONDS_PER_RUN=5 DURABILITY=normal bench/server.sh
#   USERS=1000000 bench/server.sh # 1M users, 30k of them verifying
#
# Verifications use the DEVICES users (default: up to 30,000) that have an
# Authy-app device, six fresh codes and ten wrong ones each, and last
# at most VERIFY_SECONDS (4): a run stops early when its codes run out (10k users
# give 60,000 fresh codes, 2 s at 30,000/s), and the "s" column says how long it
# ran. Every valid code is sent once, so the valid run has 0 non-2xx. The
# server's options are serve.sh's.
set -euo pipefail
cd "$(dirname "$0")"
source ./serve.sh
S=${SECONDS_PER_RUN:-10}
USERS=${USERS:-10000}
DEVICES=${DEVICES:-$(( USERS < 30000 ? USERS : 30000 ))}
VS=${VERIFY_SECONDS:-4}
DURABILITY=${DURABILITY:-full}   # authy serve --durability full|normal
TARGET=${CARGO_TARGET_DIR:-../target}

command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 2; }
env -u CARGO_TARGET_DIR cargo build --release --quiet
(cd .. && cargo build --release --quiet -p authy-cli)
WORK=$(mktemp -d)
cleanup() { kill "${CEILING:-}" "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

target/release/ceiling 0 > "$WORK/ceiling.out" & CEILING=$!
start_server "$TARGET/release/authy" "sqlite://$WORK/bench.db" "$WORK/server.out" --durability "$DURABILITY"
until grep -q listening "$WORK/ceiling.out" 2>/dev/null; do sleep 0.1; done
CEILING_URL=$(sed 's/.*listening on //' "$WORK/ceiling.out")

wrk_rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$1"; }
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }

ceiling=$(wrk_rps "$(wrk -t1 -c64 -d"${S}s" "$CEILING_URL/protected/json/verify/1234567/1")")
target/release/server_setup "$URL" "$KEY" "$USERS" "$WORK" "$DEVICES"
rss_users=$(rss)
valid=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$URL" -- "$WORK/valid.txt" "$KEY")
wrong=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$URL" -- "$WORK/wrong.txt" "$KEY")
create=$(wrk -t1 -c64 -d"${S}s" -s create.lua "$URL" -- "$KEY")
onetouch=$(wrk -t1 -c64 -d"${S}s" -s onetouch.lua "$URL" -- "$WORK/valid.txt" "$KEY")
details=$(wrk -t1 -c64 -d"${S}s" -H "X-Authy-API-Key: $KEY" "$URL/protected/json/app/details")
rss_after=$(rss)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
row() { printf '%-46s %10s %8s %9s %8s %5s\n' "$@"; }
printf '\n'
row "wrk -t1 -c64, $S s ($VS s verifying), $USERS users, $DURABILITY" "req/s" "ratio" "p99 ms" "non-2xx" "s"
row "ceiling (fixed verify body)" "$ceiling" "1.000" "" ""
row "valid verifications (fresh TOTP codes)" "$(field rps "$valid")" "$(ratio "$(field rps "$valid")" "$ceiling")" "$(field p99_ms "$valid")" "$(field non2xx "$valid")" "$(field seconds "$valid")"
row "wrong-token verifications" "$(field rps "$wrong")" "$(ratio "$(field rps "$wrong")" "$ceiling")" "$(field p99_ms "$wrong")" "$(field non2xx "$wrong")" "$(field seconds "$wrong")"
row "user creations (durable writes)" "$(wrk_rps "$create")" "$(ratio "$(wrk_rps "$create")" "$ceiling")" "$(field p99_ms "$create")" "$(field non2xx "$create")"
row "OneTouch create + status (each a request)" "$(wrk_rps "$onetouch")" "$(ratio "$(wrk_rps "$onetouch")" "$ceiling")" "$(field p99_ms "$onetouch")" "$(field non2xx "$onetouch")"
row "app/details (read + API-call counter)" "$(wrk_rps "$details")" "$(ratio "$(wrk_rps "$details")" "$ceiling")" "" ""
row "server RSS after setup / after runs (kB)" "$rss_users/$rss_after" "" "" ""
