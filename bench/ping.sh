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
# Targets (issue 2): ping >= 0.90 x hello, account >= 0.85 x hello.
# Settings: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNS (32),
# BENCH_PORT (18080), GR_BUILD (build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
B=${GR_BUILD:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-32}
port=${BENCH_PORT:-18080}
command -v wrk >/dev/null || scripts/install-deps

T=$(mktemp -d /tmp/gr-bench.XXXXXX)
export GRIDREST_BUILD=$B GRIDREST_HOME=$T/home
export GRIDREST_HTTP_BIND=127.0.0.1 GRIDREST_HTTP_PORT=$port
export GRIDREST_HTTPS=127.0.0.1:$((port + 1))
export GRIDREST_ROOT_PASSWORD=bench-secret GRIDREST_PBKDF2_ITER=1000
cleanup() {
	pid=$(cat "$GRIDREST_HOME/run/lighttpd.pid" 2>/dev/null || true)
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	sleep 0.5
	rm -rf "$T"
}
trap cleanup EXIT

scripts/gridrest init >/dev/null
# the deployment, plus the reference responder under /bench/hello
cat >"$T/bench.conf" <<CONF
include "$top/lighttpd.conf"
\$HTTP["url"] =~ "^/bench/hello" {
  fastcgi.server = ( "/" => ( "hello" => (
    "socket" => var.home + "/run/hello.sock",
    "bin-path" => "$B/bench/hello.fcgi",
    "max-procs" => var.procs, "check-local" => "disable" ) ) )
}
CONF
scripts/gridrest serve "$T/bench.conf" >"$T/lighttpd.out" 2>&1 &
i=0
until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/lighttpd.out"; exit 1; }
	sleep 0.05
done
token=$(curl -s -D - -o /dev/null -H 'X-Rucio-Account: root' \
    -H 'X-Rucio-Username: root' -H "X-Rucio-Password: $GRIDREST_ROOT_PASSWORD" \
    "http://127.0.0.1:$port/auth/userpass" |
    sed -n 's/^[Xx]-[Rr]ucio-[Aa]uth-[Tt]oken: *\([^\r]*\).*/\1/p')
[ -n "$token" ] || { echo "no token"; exit 1; }

base=http://127.0.0.1:$port
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
