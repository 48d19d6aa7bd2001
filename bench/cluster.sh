#!/bin/sh
# cluster.sh -- what a replication group costs and gives, on this machine:
# one node alone against three local nodes (scripts/cluster-local, acks
# quorum), measured with wrk on loopback:
#
#   writes      POST /accounts/{new name}: durable single writes/s, on the
#               lone node and on the group's master (a quorum's ack each)
#   reads       GET /accounts/root: on the lone node, on one node of the
#               group, and through the group's balancer
#   lag         a write on the master until a replica answers it (ms,
#               median and the worst of BENCH_LAG samples)
#   failover    kill -9 of the master node until a write is acknowledged
#               by the new master (ms)
#
# Every node shares the machine's cores here: the group's figures are a
# lower bound of three machines'. Settings: BENCH_SECONDS (5), BENCH_CONNS
# (16), BENCH_PORT (18300; the group uses the next ports), BENCH_LAG (50).
set -eu
secs=${BENCH_SECONDS:-5}
conns=${BENCH_CONNS:-16}
port=${BENCH_PORT:-18300}
nlag=${BENCH_LAG:-50}
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || scripts/install-deps

# wrk's request generator: POST /accounts/<unique name> (thread, counter)
cat >"$T/post.lua" <<'LUA'
local n = 0
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("id", threads)
end
function request()
	n = n + 1
	return wrk.format("POST", "/accounts/b" .. (id or 0) .. "x" .. n .. "x" ..
	    math.random(1000000), nil,
	    '{"type": "USER", "email": "b@example.org"}')
end
LUA

# wrk_rate URL [SCRIPT]: requests/s (non-2xx answers make it fail)
wrk_rate() {
	out=$(wrk -t2 -c"$conns" -d"${secs}s" -H "X-Rucio-Auth-Token: $2" \
	    ${3:+-s "$3"} "$1")
	if printf '%s\n' "$out" | grep -q Non-2xx; then
		echo "bench: non-2xx answers from $1:" >&2
		printf '%s\n' "$out" >&2
		exit 1
	fi
	printf '%s\n' "$out" | awk '/^Requests\/sec/ { printf "%d\n", $2 }'
}

ms() { date +%s%3N; }

bench_start
one_w=$(wrk_rate "$base" "$token" "$T/post.lua")
one_r=$(wrk_rate "$base/accounts/root" "$token")
bench_cleanup_one() {
	pid=$(cat "$GRIDREST_HOME/run/lighttpd.pid" 2>/dev/null || true)
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
}
bench_cleanup_one

# the group
export GRIDREST_CLUSTER=$T/cluster GRIDREST_CLUSTER_PORT=$((port + 10))
export GRIDREST_CLUSTER_LB_PORT=$((port + 20))
cl() { "$top/scripts/cluster-local" "$@"; }
trap 'cl stop >/dev/null 2>&1; bench_cleanup' EXIT
cl start 3 >/dev/null
m=$(cl master)
node() { echo "http://127.0.0.$((10 + $1)):$GRIDREST_CLUSTER_PORT"; }
r=$((m % 3 + 1))
tok=$(curl -s -D - -o /dev/null -H 'X-Rucio-Account: root' \
    -H 'X-Rucio-Username: root' -H "X-Rucio-Password: $GRIDREST_ROOT_PASSWORD" \
    "$(node "$m")/auth/userpass" | tr -d '\r' |
    sed -n 's/^[Xx]-[Rr]ucio-[Aa]uth-[Tt]oken: *//p')
grp_w=$(wrk_rate "$(node "$m")" "$tok" "$T/post.lua")
grp_r=$(wrk_rate "$(node "$r")/accounts/root" "$tok")
lb_r=$(wrk_rate "http://127.0.0.1:$GRIDREST_CLUSTER_LB_PORT/accounts/root" "$tok")

# lag: each write, then the replica polled until it has it
i=0
: >"$T/lag"
while [ $i -lt "$nlag" ]; do
	t0=$(ms)
	curl -sf -o /dev/null -X POST -H "X-Rucio-Auth-Token: $tok" \
	    --data-binary '{"type": "USER", "email": "l@example.org"}' \
	    "$(node "$m")/accounts/lag$i"
	t1=$(ms)
	until curl -sf -o /dev/null -H "X-Rucio-Auth-Token: $tok" \
	    "$(node "$r")/accounts/lag$i"; do
		:
	done
	echo "$(($(ms) - t1))" >>"$T/lag"
	i=$((i + 1))
done
lag_med=$(sort -n "$T/lag" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
lag_max=$(sort -n "$T/lag" | tail -1)

# failover: kill -9 of the master node, then writes to the others until
# one is acknowledged
t0=$(ms)
cl kill "$m"
k=0
done=
while [ -z "$done" ]; do
	for i in 1 2 3; do
		[ "$i" = "$m" ] && continue
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
		    -H "X-Rucio-Auth-Token: $tok" \
		    --data-binary '{"type": "USER", "email": "f@example.org"}' \
		    "$(node "$i")/accounts/fail$k")
		k=$((k + 1))
		[ "$code" = 201 ] && done=$i && break
	done
done
fail_ms=$(($(ms) - t0))

echo "cluster.sh: 3 local nodes, acks quorum, ${secs}s runs, $conns connections"
echo "  durable writes/s   one node $one_w, group master $grp_w ($(echo "$grp_w $one_w" | awk '{ printf "%.2f", $1 / $2 }') x)"
echo "  reads/s            one node $one_r, a replica $grp_r, balancer $lb_r ($(echo "$lb_r $one_r" | awk '{ printf "%.2f", $1 / $2 }') x one node)"
echo "  write-to-visible   median ${lag_med} ms, worst ${lag_max} ms of $nlag (client side, curl polling)"
echo "  failover           ${fail_ms} ms from kill -9 of node $m to a write acknowledged by node $done"
