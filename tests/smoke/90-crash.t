#!/bin/sh
# 90-crash.t -- writes through lighttpd while auth backends are killed with
# SIGKILL: lighttpd respawns them, the store recovers, and every write that
# was acknowledged with 201 is there afterwards. Only requests in flight at
# a kill may fail.
. tests/smoke/lib.sh
# what Berkeley DB cannot give back after a recovery (recovery.supp)
[ -n "${GR_ASAN:-}" ] && export LSAN_OPTIONS="suppressions=$top/tests/smoke/recovery.supp"
server_start
login
lpid=$(cat "$GRIDREST_HOME/run/lighttpd.pid")

WRITERS=4
PER=120
writer() {
	trap - EXIT # a background writer is no test of its own
	w=$1
	i=1
	while [ $i -le $PER ]; do
		code=$(curl -s --unix-socket "$GRIDREST_HTTP_BIND" -o /dev/null \
		    -w '%{http_code} %{time_total}' -X POST -H "X-Rucio-Auth-Token: $TOKEN" \
		    --data-binary '{"type": "USER", "email": "c@example.org"}' \
		    "http://localhost/accounts/w${w}n$i")
		echo "w${w}n$i $code"
		i=$((i + 1))
	done >"$T/writer.$w"
}

pids=
w=1
while [ $w -le $WRITERS ]; do
	writer $w &
	pids="$pids $!"
	w=$((w + 1))
done

# kill an auth backend twice while the writers run
kills=0
for at in 100 300; do
	while [ "$(cat "$T"/writer.* 2>/dev/null | wc -l)" -lt $at ]; do
		sleep 0.02
	done
	victim=$(pgrep -P "$lpid" -f auth.fcgi | head -1)
	[ -n "$victim" ] && kill -9 "$victim" && kills=$((kills + 1))
done
wait $pids

total=$(cat "$T"/writer.* | wc -l)
acked=$(cat "$T"/writer.* | awk '$2 == 201' | wc -l)
nfailed=$(cat "$T"/writer.* | awk '$2 != 201' | wc -l)
slowest=$(cat "$T"/writer.* | sort -k3 -n | tail -1 | cut -d' ' -f3)
echo "# $total writes, $acked acknowledged, $nfailed failed, $kills backends killed, slowest ${slowest}s"
cat "$T"/writer.* | awk '$2 != 201 { print "#   " $0 }'
is "every write was answered" "$total" $((WRITERS * PER))
is "two backends were killed" "$kills" 2
ok "only requests in flight at a kill failed (<= $WRITERS per kill)" \
    [ "$nfailed" -le $((WRITERS * 2)) ]

# a request sent just as its backend dies is in flight too: let lighttpd
# notice the death and respawn before reading back
i=0
while [ "$(pgrep -P "$lpid" -f auth.fcgi | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.5
req GET /accounts
is "list after the kills: 200" "$STATUS" 200
jq -r .account "$T/body" | sort >"$T/present"
cat "$T"/writer.* | awk '$2 == 201 { print $1 }' | sort >"$T/acked"
is "every acknowledged write is present" \
    "$(comm -23 "$T/acked" "$T/present" | wc -l | tr -d ' ')" 0
is "lighttpd respawned the family: 2 auth backends again" \
    "$(pgrep -P "$lpid" -f auth.fcgi | wc -l | tr -d ' ')" 2
req GET /ping
is "still serving" "$STATUS" 200
"$B/gridrest-db" verify >"$T/verify.out" 2>&1
ok "the store verifies" grep -q '^verify: ok' "$T/verify.out"
