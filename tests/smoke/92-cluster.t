#!/bin/sh
# 92-cluster.t -- three nodes over one replicated store (scripts/
# cluster-local): one master, a write on it seen by both replicas, a
# write on a replica forwarded to the master (93-cluster-forward.t
# tests forwarding), the group's view
# (gridrest-db group); kill -9 of every process of the master node: a new
# master within 10 s that takes writes, the old master back as a replica
# that catches up; a master alone (both replicas killed) refuses writes
# (503) instead of acknowledging them; gridrest-db verify clean on each.
. tests/smoke/lib.sh

cluster_init
# db_on I ARGS...: gridrest-db in node I's home, as a process of the node
db_on() {
	local n
	n=$1
	shift
	(
		eval "$(cl node-env "$n" | sed 's/^/export /')"
		"$B/gridrest-db" "$@"
	)
}
# account_on I NAME: GET /accounts/NAME on node I is 200
account_on() {
	on "$1" GET "/accounts/$2"
	[ "$STATUS" = 200 ] && [ "$(json .account)" = "$2" ]
}
# wait_account I NAME: the account reaches node I within 10 s
wait_account() {
	local i
	i=0
	until account_on "$1" "$2" || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	account_on "$1" "$2"
}
# replicas_listed: gridrest-db group's table has two replica lines
replicas_listed() {
	[ "$(grep -Ec '^127\.0\.0\.[0-9]+:[0-9]+ +replica ' "$T/group")" = 2 ]
}
# no_background_writes I: node I's log has no refused write of a sweep or
# a daemon (what a request was refused is answered, not logged so)
no_background_writes() {
	! grep -E '(undertaker|rules|drm|mover|reaper|subscriptions|tasks)[a-z-]*: .*replica' \
	    "$GRIDREST_CLUSTER/node$1/log/error.log"
}
add_account() {
	on "$1" POST "/accounts/$2" --data-binary '{"type": "USER", "email": "a@b.c"}' \
	    -H 'Content-Type:'
}

cluster_start3
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' "$(node "$r1")/health")
is "GET /health on a replica: 200" "$STATUS" 200
is "... names the master" "$(json .master_url)" "$(node "$m")"
is "... caught up" "$(json .caught_up)" true
is "... lists the two other sites" "$(json '.sites | length')" 2

# a token issued on the master is good on every node
BASE=$(node "$m")
VIA=
login
ok "root logs in on the master" nonempty "$TOKEN"
add_account "$m" alice
is "POST /accounts/alice on the master: 201" "$STATUS" 201
ok "alice is on replica $r1" wait_account "$r1" alice
ok "alice is on replica $r2" wait_account "$r2" alice

add_account "$r1" bob
is "a write on a replica is forwarded to the master: 201" "$STATUS" 201
on "$m" GET /accounts/bob
is "... and made there" "$(json .account)" bob

# requests to every family of a replica: its backends start no
# background writer and run no sweep (the undertaker's, the rules'),
# which would only meet refusals there
for path in /dids/root/ /rses/ /jobs/ /filecatalogue/ /script; do
	on "$r1" GET "$path"
done
on "$r1" GET /accounts/alice
is "reads on replica $r1 answered" "$STATUS" 200
sleep 1
ok "... and no background write was tried there" \
    no_background_writes "$r1"

db_on "$r2" group >"$T/group" 2>&1
ok "gridrest-db group on a replica lists the master" \
    grep -Eq "^127\.0\.0\.$((10 + m)):[0-9]+ +master " "$T/group"
ok "... and both replicas" replicas_listed

# kill -9 of every process of the master node
start=$(date +%s)
cl kill "$m"
new=$(cl master 10)
took=$(($(date +%s) - start))
ok "a new master within 10 s (took ${took} s)" nonempty "$new"
ok "... one of the replicas" matches "$new" "^($r1|$r2)\$"
add_account "$new" carol
is "a write on the new master: 201" "$STATUS" 201
on "$new" GET /accounts/alice
is "... which has the old master's write" "$STATUS" 200

# the old master comes back as a replica and catches up
ok "the old master's node starts again" cl serve "$m"
i=0
until [ "$(role "$m")" = replica ] || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "... as a replica" "$(role "$m")" replica
ok "... with the new master's write" wait_account "$m" carol

for i in 1 2 3; do
	db_on "$i" verify >"$T/verify$i" 2>&1
	ok "gridrest-db verify on node $i" grep -q '^verify: ok$' "$T/verify$i"
done

# the master alone: both replicas killed, a write cannot be acknowledged
# by a quorum and is refused, not reported done
for i in 1 2 3; do
	[ "$i" = "$new" ] || cl kill "$i"
done
add_account "$new" dave
ok "a write on a master without its quorum: 503" \
    error_is 503 ResourceTemporaryUnavailable
ok "... saying it was not acknowledged" \
    matches "$(json .ExceptionMessage)" "not acknowledged"

exit 0
