#!/bin/sh
# ping.sh -- requests/s of four routes on one lighttpd, measured with wrk on
# loopback, alternating, median of several rounds, printed with their ratio
# to a minimal libfcgi hello-world (bench/hello.c) behind the same server:
#
#   static        lighttpd serving a small file: the HTTP ceiling
#   hello         bench/hello.fcgi: the ceiling of any FastCGI route
#   ping          GET /ping: gridrest's dispatcher, no token, no store
#   account       GET /accounts/root with a token: token check and one
#                 record, both from Berkeley DB
#
# Targets: ping >= 0.90 x hello, account >= 0.85 x hello.
# Settings: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNS (32),
# BENCH_PORT (18080), GR_BUILD (build).
set -eu
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-32}
port=${BENCH_PORT:-18080}
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || scripts/install-deps

# the deployment, plus the reference responder under /bench/hello
bench_hello_conf "$T/bench.conf"
bench_start "$T/bench.conf"

url_static=$base/static/ping.json
url_hello=$base/bench/hello
url_ping=$base/ping
url_account=$base/accounts/root

# every URL must answer 200 before it is measured
for n in static hello ping account; do
	eval "u=\$url_$n"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Rucio-Auth-Token: $token" "$u")
	[ "$code" = 200 ] || { echo "$n: $u answered $code"; exit 1; }
done

run() { # name url -> req/s
	wrk -t2 -c"$conns" -d"${secs}s" -H "X-Rucio-Auth-Token: $token" "$2" |
	    awk '/^Requests\/sec/ { printf "%d\n", $2 } /Non-2xx/ { print "non-2xx" > "/dev/stderr" }'
}

# warm every path once, then alternate the four, round after round
for n in static hello ping account; do
	eval "u=\$url_$n"
	wrk -t2 -c"$conns" -d1s -H "X-Rucio-Auth-Token: $token" "$u" >/dev/null
done
r=1
while [ "$r" -le "$rounds" ]; do
	for n in static hello ping account; do
		eval "u=\$url_$n"
		echo "$n $(run "$n" "$u")" >>"$T/results"
	done
	r=$((r + 1))
done

median() {
	awk -v n="$1" '$1 == n { print $2 }' "$T/results" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
hello=$(median hello)
echo "gridrest bench/ping.sh: wrk -t2 -c$conns, ${secs}s x $rounds rounds, alternating, medians"
printf '%-8s %10s %8s  %s\n' route req/s x_hello rounds
for n in static hello ping account; do
	m=$(median "$n")
	all=$(awk -v n="$n" '$1 == n { printf "%s ", $2 }' "$T/results")
	printf '%-8s %10d %8.2f  %s\n' "$n" "$m" "$(echo "$m $hello" | awk '{ print $1 / $2 }')" "$all"
done
ping=$(median ping)
account=$(median account)
echo "$ping $account $hello" | awk '{
	printf "targets: ping %.2f (>= 0.90) %s, account %.2f (>= 0.85) %s\n",
	    $1 / $3, ($1 / $3 >= 0.90 ? "met" : "NOT met"),
	    $2 / $3, ($2 / $3 >= 0.85 ? "met" : "NOT met") }'
