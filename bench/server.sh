#!/usr/bin/env bash
# Server figures: release `authy serve` on a SQLite file against the ceiling, both
# driven by wrk at 64 connections in this same run. Prints one table.
#
# Each row runs one wrk command twice, first against the ceiling and then against
# the server, and its "ratio" divides the two. The Lua scripts that make the
# server's requests (a fresh code each, a new phone each) cost wrk about a fifth
# of the ceiling's rate, on the two cores the server shares with it; measured
# with the same script, the ceiling pays that cost too. "plain" divides by the
# ceiling under wrk without a script, the cheapest load wrk can make.
#
#   bench/server.sh               # 10k users, 10 s per measurement
#   USERS=2000 SECONDS_PER_RUN=5 DURABILITY=normal bench/server.sh
#   USERS=1000000 bench/server.sh # 1M users, 30k of them verifying
#   BIN=/tmp/old/release/authy bench/server.sh  # that binary, not the tree's
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
# BIN measures another build (an older commit's) under the same conditions.
if [ -z "${BIN:-}" ]; then
    (cd .. && cargo build --release --quiet -p authy-cli)
    BIN=$TARGET/release/authy
fi
WORK=$(mktemp -d)
cleanup() { kill "${CEILING:-}" "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

target/release/ceiling 0 > "$WORK/ceiling.out" & CEILING=$!
start_server "$BIN" "sqlite://$WORK/bench.db" "$WORK/server.out" --durability "$DURABILITY"
until grep -q listening "$WORK/ceiling.out" 2>/dev/null; do sleep 0.1; done
CEILING_URL=$(sed 's/.*listening on //' "$WORK/ceiling.out")

wrk_rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$1"; }
field() { awk -v k="$1" '$1 == k {print $2}' <<<"$2"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }

plain=$(wrk_rps "$(wrk -t1 -c64 -d"${S}s" "$CEILING_URL/protected/json/verify/1234567/1")")
target/release/server_setup "$URL" "$KEY" "$USERS" "$WORK" "$DEVICES"
rss_users=$(rss)
# The ceiling answers any path; it gets the valid paths over and over, so that
# its run lasts as long as the server's.
for _ in 1 2 3 4 5 6; do cat "$WORK/valid.txt"; done > "$WORK/ceiling.txt"

# Each wrk run: the same command against the ceiling, then the server.
c_valid=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$CEILING_URL" -- "$WORK/ceiling.txt" "$KEY")
valid=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$URL" -- "$WORK/valid.txt" "$KEY")
c_wrong=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$CEILING_URL" -- "$WORK/ceiling.txt" "$KEY")
wrong=$(wrk -t1 -c64 -d"${VS}s" -s paths.lua "$URL" -- "$WORK/wrong.txt" "$KEY")
c_create=$(wrk_rps "$(wrk -t1 -c64 -d"${S}s" -s create.lua "$CEILING_URL" -- "$KEY")")
create=$(wrk -t1 -c64 -d"${S}s" -s create.lua "$URL" -- "$KEY")
c_onetouch=$(wrk_rps "$(wrk -t1 -c64 -d"${S}s" -s onetouch.lua "$CEILING_URL" -- "$WORK/valid.txt" "$KEY")")
onetouch=$(wrk -t1 -c64 -d"${S}s" -s onetouch.lua "$URL" -- "$WORK/valid.txt" "$KEY")
details_args=(-t1 -c64 -d"${S}s" -H "X-Authy-API-Key: $KEY")
c_details=$(wrk_rps "$(wrk "${details_args[@]}" "$CEILING_URL/protected/json/app/details")")
details=$(wrk "${details_args[@]}" "$URL/protected/json/app/details")
rss_after=$(rss)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
row() { printf '%-42s %8s %8s %6s %6s %7s %7s %5s\n' "$@"; }
# row_of NAME SERVER_REQ_PER_S CEILING_REQ_PER_S WRK_OUTPUT
row_of() {
    row "$1" "$2" "$3" "$(ratio "$2" "$3")" "$(ratio "$2" "$plain")" \
        "$(field p99_ms "$4")" "$(field non2xx "$4")" "$(field seconds "$4")"
}
printf '\n'
row "wrk -t1 -c64, $S s ($VS s verifying), $USERS users, $DURABILITY" "req/s" "ceiling" "ratio" "plain" "p99 ms" "non-2xx" "s"
row "ceiling, wrk without a script" "$plain" "" "" "1.000" "" "" ""
row_of "valid verifications (fresh TOTP codes)" "$(field rps "$valid")" "$(field rps "$c_valid")" "$valid"
row_of "wrong-token verifications" "$(field rps "$wrong")" "$(field rps "$c_wrong")" "$wrong"
row_of "user creations (durable writes)" "$(wrk_rps "$create")" "$c_create" "$create"
row_of "OneTouch create + status (each a request)" "$(wrk_rps "$onetouch")" "$c_onetouch" "$onetouch"
row_of "app/details (read + API-call counter)" "$(wrk_rps "$details")" "$c_details" ""
row "server RSS after setup / after runs (kB)" "$rss_users/$rss_after" "" "" "" "" "" ""
