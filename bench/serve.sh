# Sourced by server.sh and ab.sh: the one way the benchmarks run `authy serve`.
# No send limits, and 20 failures per user, so every wrong code is a 401 that
# records a failure (with the default 5, the sixth would be a 429 that writes
# nothing).
KEY=bench-key-0123456789abcdefABCDEF

# start_server BIN DATABASE_URL LOG [OPTION...]: starts it in the background
# (SERVER is its pid, SERVER_ENV words go before it through `env`), waits until
# it listens, and sets URL.
start_server() {
    local bin=$1 database=$2 log=$3
    shift 3
    # shellcheck disable=SC2086 # SERVER_ENV is a list of words.
    env ${SERVER_ENV:-} "$bin" serve --listen 127.0.0.1:0 --database "$database" --api-key "$KEY" \
        --max-sends-per-app 0 --max-sends-per-phone 0 --max-verify-failures 20 "$@" > "$log" 2>/dev/null &
    SERVER=$!
    until grep -q listening "$log" 2>/dev/null; do sleep 0.1; done
    URL=$(sed 's/.*listening on //' "$log")
}
