#!/bin/sh
# 49-rule-inject.t -- INJECT rules (asynchronous here; large ones go the
# same way) are applied by gridrest-rules, the evaluator the rses backends
# start on demand: batch by batch, each its own transaction, so a kill -9
# in the middle loses nothing and counts nothing twice; the evaluator
# leaves when idle. Small batches make the run long enough to kill (a
# batch before the last does not wait for the disk: 3000 of them).
. tests/smoke/lib.sh
GRIDREST_RULES_BATCH=1 GRIDREST_KEEPER_IDLE=2
export GRIDREST_RULES_BATCH GRIDREST_KEEPER_IDLE
server_start
db=$B/gridrest-db
login
N=3000

counts() { # rule -> "state ok replicating stuck"
	req GET "/rules/$1"
	json -r '"\(.state) \(.locks_ok_cnt) \(.locks_replicating_cnt) \(.locks_stuck_cnt)"'
}
evaluator() { # the running evaluator's pid, or nothing
	p=$(cat "$GRIDREST_HOME/db/rules.lock" 2>/dev/null)
	[ -n "$p" ] && grep -q gridrest-rules "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}

reqb POST /scopes/root/data ''
for r in SITE_A SITE_B; do reqb POST "/rses/$r" '{}'; done
reqb POST /dids/data/big '{"type": "DATASET"}'
for part in $(seq 1 6); do # bodies under the server's request limit
	seq $(((part - 1) * N / 6 + 1)) $((part * N / 6)) |
	    jq -R '{scope: "data", name: ("f" + .), bytes: 10}' |
	    jq -sc '{rse: "SITE_A", files: .}' >"$T/files"
	reqb POST /replicas "$(cat "$T/files")"
	jq -c '{dids: [.files[] | {scope, name}]}' "$T/files" >"$T/ds"
	reqb POST /dids/data/big/dids "$(cat "$T/ds")"
done
is "a dataset of $N files on SITE_A" "$STATUS" 201

reqb POST /rules/ '{"dids": [{"scope": "data", "name": "big"}], "account": "root", "copies": 1, "rse_expression": "SITE_B", "asynchronous": true}'
rule=$(json '.[0]')
c=$(counts "$rule")
ok_all "an asynchronous rule: INJECT, not applied in the request" \
    [ "${c%% *}" = INJECT ] -- [ "$(echo "$c" | cut -d' ' -f3)" -lt $N ]

# the answer's tick starts the evaluator; kill -9 it in the middle
i=0
until pid=$(evaluator) && [ -n "$pid" ] || [ $i -ge 100 ]; do
	sleep 0.05
	req GET "/rules/$rule"
	i=$((i + 1))
done
ok "the backend started gridrest-rules (its own process, seen in ps)" [ -n "$pid" ]
i=0
until c=$(counts "$rule") && [ "${c#INJECT 0 }" != "$c" ] && [ "$(echo "$c" | cut -d' ' -f3)" -ge 20 ] || [ $i -ge 200 ]; do
	sleep 0.02
	i=$((i + 1))
done
kill -9 "$pid"
# a process killed inside the store makes the others recover it: a
# request may fail once meanwhile (the client retries), none after
i=0
until req GET "/rules/$rule" && [ "$STATUS" = 200 ] || [ $i -ge 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
c=$(counts "$rule")
n=$(echo "$c" | cut -d' ' -f3)
ok_all "killed in the middle: still INJECT, some locks ($n of $N)" \
    [ "${c%% *}" = INJECT ] -- [ "$n" -gt 0 ] -- [ "$n" -lt $N ]
"$db" verify >"$T/verify" 2>&1
ok "... and what it committed is consistent (verify)" grep -q '^verify: ok' "$T/verify"

# the next tick starts another, which goes on where the last commit ended
i=0
until [ "$(counts "$rule")" = "REPLICATING 0 $N 0" ] || [ $i -ge 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "a new evaluator finishes the rule: every file locked once" \
    "$(counts "$rule")" "REPLICATING 0 $N 0"
req GET "/rules/$rule/locks"
is "... $N locks, one per file" "$(jq -r .name "$T/body" | sort -u | wc -l)" $N
"$db" verify >"$T/verify" 2>&1
ok "... counters, lock_cnt and usage agree (verify)" grep -q '^verify: ok' "$T/verify"
req GET /accounts/root/usage/local/SITE_B
is "... root's usage: $N files of 10 bytes" "$(json -c '[.files, .bytes]')" "[$N,$((N * 10))]"

# idle, it leaves
sleep 3.5
ok "the evaluator leaves when idle" [ -z "$(evaluator)" ]
