#!/bin/sh
set -eu
port=18780
. "$(dirname "$0")/lib.sh"
bench_start
wrk -t2 -c32 -d12s -H "X-Rucio-Auth-Token: $token" "$base/accounts/root" > "$T/wrk.out" &
sleep 3
perf record -F 2000 -p $(pgrep -d, -f "$B/cgi-bin/auth.fcgi") -o /tmp/perf-auth.data -- sleep 6 >/dev/null 2>&1
wait
cat "$T/wrk.out" | grep Requests
