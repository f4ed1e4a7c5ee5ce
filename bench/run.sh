#!/usr/bin/env bash
# Runs the benchmarks and prints one table (BENCHMARKS.md keeps results).
# Every figure is a ratio against a baseline measured in this same run.
# Needs wrk (Debian) and python3; never run by .ci/run.
#
#   bench/run.sh            # 10 s per measurement
#   SECONDS_PER_RUN=30 ROUNDS=5 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")"
S=${SECONDS_PER_RUN:-10}
VERIFY=/protected/json/verify/1234567/1

command -v wrk >/dev/null || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 2; }
env -u CARGO_TARGET_DIR cargo build --release --quiet

target/release/ceiling 0 > .ceiling.out &
CEILING=$!
trap 'kill $CEILING 2>/dev/null' EXIT
until grep -q listening .ceiling.out 2>/dev/null; do sleep 0.1; done
URL=$(sed 's/ceiling: listening on //' .ceiling.out)

wrk_rps() { wrk -t "$1" -c "$2" -d "${S}s" "$URL$VERIFY" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
median() { tr ' ' '\n' <<<"$*" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check authy==2.2.6
fi

# Rounds interleave every measurement, so a noisy minute hits all of them; the
# table shows the median of each.
ROUNDS=${ROUNDS:-3}
c1=() c64=() seqs=() cts=() tasks=() concs=() pys=() r10=() r100=() hs=() rs=() h64=() r64=()
for round in $(seq "$ROUNDS"); do
    echo "round $round of $ROUNDS..." >&2
    c1+=("$(wrk_rps 1 1)")
    c64+=("$(wrk_rps 2 64)")
    client=$(target/release/client "$URL" "$S")
    seqs+=("$(awk '$1 == "sequential" {print $2}' <<<"$client")")
    cts+=("$(awk '$1 == "sequential_current_thread" {print $2}' <<<"$client")")
    tasks+=("$(awk '$1 == "sequential_task" {print $2}' <<<"$client")")
    concs+=("$(awk '/^concurrent64/ {print $2}' <<<"$client")")
    r10+=("$(awk '/^rss_10k/ {print $2}' <<<"$client")")
    r100+=("$(awk '/^rss_100k/ {print $2}' <<<"$client")")
    pys+=("$(.venv/bin/python python_client.py "$URL" "$S")")
    layers=$(target/release/layers "$URL" "$S")
    hs+=("$(awk '$1 == "hyper_sequential" {print $2}' <<<"$layers")")
    rs+=("$(awk '$1 == "reqwest_sequential" {print $2}' <<<"$layers")")
    h64+=("$(awk '$1 == "hyper_64" {print $2}' <<<"$layers")")
    r64+=("$(awk '$1 == "reqwest_64" {print $2}' <<<"$layers")")
done
ceiling1=$(median "${c1[@]}") ceiling64=$(median "${c64[@]}")
seq=$(median "${seqs[@]}") ct=$(median "${cts[@]}") task=$(median "${tasks[@]}") conc=$(median "${concs[@]}") python=$(median "${pys[@]}")
rss10=$(median "${r10[@]}") rss100=$(median "${r100[@]}")
hseq=$(median "${hs[@]}") rseq=$(median "${rs[@]}") hconc=$(median "${h64[@]}") rconc=$(median "${r64[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
printf '\n%-44s %12s %10s %8s\n' "median of $ROUNDS rounds, $S s each" "value" "ratio" "target"
printf '%-44s %12s %10s %8s\n' "ceiling, wrk -c1 (req/s)" "$ceiling1" "1.00" ""
printf '%-44s %12s %10s %8s\n' "ceiling, wrk -c64 (req/s)" "$ceiling64" "1.00" ""
printf '%-44s %12s %10s %8s\n' "client sequential verify (calls/s) vs -c1" "$seq" "$(ratio "$seq" "$ceiling1")" ">=0.80"
printf '%-44s %12s %10s %8s\n' "  same, current-thread runtime, vs -c1" "$ct" "$(ratio "$ct" "$ceiling1")" ">=0.80"
printf '%-44s %12s %10s %8s\n' "  same, in a task (multi-thread), vs -c1" "$task" "$(ratio "$task" "$ceiling1")" ">=0.80"
printf '%-44s %12s %10s %8s\n' "client 64 concurrent (calls/s) vs -c64" "$conc" "$(ratio "$conc" "$ceiling64")" ">=0.70"
printf '%-44s %12s %10s %8s\n' "python client sequential (calls/s)" "$python" "" ""
printf '%-44s %12s %10s %8s\n' "client sequential vs python client" "" "$(ratio "$seq" "$python")" ">=8"
printf '%-44s %12s %10s %8s\n' "client RSS after 10k / 100k calls (kB)" "$rss10/$rss100" "$(ratio "$rss100" "$rss10")" "~1.00"
echo "the layers under the client, alone (no authy code):"
printf '%-44s %12s %10s %8s\n' "  bare reqwest sequential vs -c1" "$rseq" "$(ratio "$rseq" "$ceiling1")" ""
printf '%-44s %12s %10s %8s\n' "  bare reqwest, 64 tasks, vs -c64" "$rconc" "$(ratio "$rconc" "$ceiling64")" ""
printf '%-44s %12s %10s %8s\n' "  hyper connection sequential vs -c1" "$hseq" "$(ratio "$hseq" "$ceiling1")" ""
printf '%-44s %12s %10s %8s\n' "  hyper, one connection per task, vs -c64" "$hconc" "$(ratio "$hconc" "$ceiling64")" ""
printf '%-44s %12s %10s %8s\n' "  client current-thread vs bare reqwest" "" "$(ratio "$ct" "$rseq")" ""
printf '%-44s %12s %10s %8s\n' "  client 64 concurrent vs bare reqwest" "" "$(ratio "$conc" "$rconc")" ""
