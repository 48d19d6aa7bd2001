#!/bin/sh
# 49-rule-concurrency.t -- 8 clients at once attach files to datasets
# under rules (and a container rule above two of them) while rules are
# added and deleted on the same datasets; afterwards every request was
# answered (no 5xx), every rule holds one lock per file below it, and
# gridrest-db verify finds counters, lock_cnt and usage in agreement.
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login

reqb POST /scopes/root/data ''
for r in SITE_A SITE_B SITE_C; do reqb POST "/rses/$r" '{}'; done
seq 0 219 | jq -R '{scope: "data", name: ("f" + .), bytes: 7}' | jq -s '{rse: "SITE_A", files: .}' >"$T/files"
reqb POST /replicas "$(cat "$T/files")"
for d in 0 1 2 3; do
	reqb POST /dids/data/ds$d '{"type": "DATASET"}'
	reqb POST /rules/ "{\"dids\": [{\"scope\": \"data\", \"name\": \"ds$d\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"SITE_B\"}"
	echo "$(json '.[0]') ds$d" >>"$T/rules"
done
reqb POST /dids/data/cont '{"type": "CONTAINER", "dids": [{"scope": "data", "name": "ds0"}, {"scope": "data", "name": "ds1"}]}'
reqb POST /rules/ '{"dids": [{"scope": "data", "name": "cont"}], "account": "root", "copies": 1, "rse_expression": "SITE_C", "grouping": "ALL"}'
echo "$(json '.[0]') cont" >>"$T/rules"
is "four datasets with a rule each, a container rule above two" "$(wc -l <"$T/rules")" 5

client() { # k: 20 attachments to ds(k%4), a rule added and deleted twice
	k=$1
	ds=ds$((k % 4))
	for j in $(seq 0 19); do
		n=$((k * 20 + j + 40))
		reqb POST "/dids/data/$ds/dids" "{\"dids\": [{\"scope\": \"data\", \"name\": \"f$n\"}]}"
		echo "attach $STATUS" >>"$T/status.$k"
		if [ $((j % 10)) = 0 ]; then
			reqb POST /rules/ "{\"dids\": [{\"scope\": \"data\", \"name\": \"$ds\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"SITE_A|SITE_C\"}"
			echo "add $STATUS" >>"$T/status.$k"
			id=$(json '.[0]' 2>/dev/null)
			if [ "$STATUS" = 201 ]; then
				req DELETE "/rules/$id" --data-binary '{}'
				echo "delete $STATUS" >>"$T/status.$k"
			fi
		fi
	done
}
pids=
for k in 1 2 3 4 5 6 7 8; do
	(T2=$T/c$k; mkdir -p "$T2"; T=$T2 client "$k"; cp "$T2/status.$k" "$T/status.$k") &
	pids="$pids $!"
done
# shellcheck disable=SC2086 # the clients only, not the server
wait $pids
cat "$T"/status.* >"$T/all"
is "every attachment answered 201 (160)" "$(grep -c '^attach 201$' "$T/all")" 160
is "no other answer than 201, 200 and 409 (a rule twice)" \
    "$(grep -vc ' 20[01]$\| 409$' "$T/all")" 0
ok "some rules were added and deleted meanwhile" grep -q '^delete 200$' "$T/all"
while read -r id did; do
	req GET "/rules/$id"
	held=$(json '.locks_ok_cnt + .locks_replicating_cnt + .locks_stuck_cnt')
	req GET "/rules/$id/locks"
	stored=$(wc -l <"$T/body")
	want=40
	[ "$did" = cont ] && want=80 # ds0 and ds1 below it
	is "rule on $did: counters, stored locks and files agree" "$held $stored" "$want $want"
done <"$T/rules"
"$db" verify >"$T/verify" 2>&1
ok "gridrest-db verify: counters, lock_cnt and usage agree with the locks" \
    grep -q '^verify: ok' "$T/verify"
