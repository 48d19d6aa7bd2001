#!/bin/sh
# rules.sh -- replication rules at scale, on a private server (durability
# as configured, sync by default: every figure is for durable commits):
#   inject   a rule on a dataset of 10,000 files whose replicas exist:
#            POST /rules/ (>= 10000 locks: INJECT) until the rule is OK,
#            every lock made by the evaluator; locks/s (target >= 50000)
#   big      a rule on a container of 100 datasets x 1,000 files, to an
#            RSE holding none of them: until REPLICATING with every
#            transfer request queued
#   attach   1,000 files attached in one request to a dataset under 3
#            rules: until every lock exists (in the attach itself)
#   get      GET /rules/{id} against /ping (a static file lighttpd serves)
#            and against bench/hello.fcgi (the least a FastCGI answer
#            costs, what bench/dids.sh measures the DID read against) with
#            wrk, alternating, median of BENCH_ROUNDS (3) runs of
#            BENCH_SECS (5) s: ratios (target >= 0.85)
# Figures are printed; nothing is asserted. BENCH_BIG=0 skips "big";
# BENCH_GET_ONLY=1 runs "get" alone (on a rule of 10 files).
port=${BENCH_PORT:-18590}
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || scripts/install-deps
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECS:-5}
conns=${BENCH_CONNS:-8}
bench_hello_conf "$T/hello.conf"
bench_start "$T/hello.conf"

now() { date +%s.%N; }
state_of() { # rule -> its state
	curl -s -H "X-Rucio-Auth-Token: $token" "$base/rules/$1" | jq -r .state
}
wait_state() { # rule state -> waits until the rule is in it (10 ms polls: the
	# inject takes ~0.2 s, a coarser poll would add up to a quarter of it)
	while [ "$(state_of "$1")" != "$2" ]; do sleep 0.01; done
}
files() { # prefix from to -> a POST /replicas body of those files on SITE_A
	seq "$2" "$3" | jq -R "{scope: \"bench\", name: (\"$1\" + .), bytes: 1000}" |
	    jq -sc '{rse: "SITE_A", files: .}'
}
dids() { # prefix from to -> a dids list
	seq "$2" "$3" | jq -R "{scope: \"bench\", name: (\"$1\" + .)}" | jq -sc '{dids: .}'
}
rule() { # DID rse [extra JSON members] -> the new rule's id
	curl -s -H "X-Rucio-Auth-Token: $token" -X POST --data-binary \
	    "{\"dids\": [{\"scope\": \"bench\", \"name\": \"$1\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"$2\"${3:+, $3}}" \
	    "$base/rules/" | jq -r '.[0]'
}

call POST /scopes/root/bench ''
for r in SITE_A SITE_B SITE_C SITE_D SITE_E; do call POST "/rses/$r" '{}'; done

if [ "${BENCH_GET_ONLY:-0}" != 0 ]; then
	call POST /replicas "$(files f 0 9)"
	call POST /dids/bench/ds10k "{\"type\": \"DATASET\", $(dids f 0 9 | cut -c2-)"
	r10k=$(rule ds10k SITE_A)
	BENCH_BIG=0
else
# --- inject: 10,000 files, replicas there ---
call POST /dids/bench/ds10k '{"type": "DATASET"}'
i=0
while [ $i -lt 10 ]; do
	call POST /replicas "$(files f $((i * 1000)) $((i * 1000 + 999)))"
	call POST /dids/bench/ds10k/dids "$(dids f $((i * 1000)) $((i * 1000 + 999)))"
	i=$((i + 1))
done
t0=$(now)
r10k=$(rule ds10k SITE_A)
wait_state "$r10k" OK
t1=$(now)
n=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/rules/$r10k" | jq .locks_ok_cnt)

# --- attach: 1,000 files to a dataset under 3 rules ---
call POST /replicas "$(files a 0 999)"
call POST /dids/bench/dsa '{"type": "DATASET"}'
ra=$(rule dsa SITE_B)
rb=$(rule dsa SITE_C)
rc=$(rule dsa SITE_D)
t2=$(now)
call POST /dids/bench/dsa/dids "$(dids a 0 999)"
t3=$(now)
held=0
for r in $ra $rb $rc; do
	h=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/rules/$r" | jq '.locks_ok_cnt + .locks_replicating_cnt + .locks_stuck_cnt')
	held=$((held + h))
done

# --- big: 100 datasets x 1,000 files in a container ---
if [ "${BENCH_BIG:-1}" != 0 ]; then
	call POST /dids/bench/cont '{"type": "CONTAINER"}'
	d=0
	while [ $d -lt 100 ]; do
		call POST /replicas "$(files "c$d." 0 999)"
		call POST "/dids/bench/cd$d" "{\"type\": \"DATASET\", $(dids "c$d." 0 999 | cut -c2-)"
		call POST /dids/bench/cont/dids "{\"dids\": [{\"scope\": \"bench\", \"name\": \"cd$d\"}]}"
		d=$((d + 1))
	done
	t4=$(now)
	rbig=$(rule cont SITE_E)
	wait_state "$rbig" REPLICATING
	t5=$(now)
	queued=$("$B/gridrest-db" dump requests.db | grep -c "\"state\":\"Q\".*\"rule_id\":\"$rbig\"")
fi
fi

# --- get: GET /rules/{id} against /ping ---
url_get=$base/rules/$r10k
url_ping=$base/ping
url_hello=$base/bench/hello
for u in "$url_get" "$url_ping" "$url_hello"; do
	wrk -t2 -c"$conns" -d1s -H "X-Rucio-Auth-Token: $token" "$u" >/dev/null
done
run() { # url -> req/s
	wrk -t2 -c"$conns" -d"${secs}s" -H "X-Rucio-Auth-Token: $token" "$1" >"$T/wrk.out"
	grep -q Non-2xx "$T/wrk.out" && echo "non-2xx answers from $1" >&2
	awk '/^Requests\/sec/ { printf "%d\n", $2 }' "$T/wrk.out"
}
r=1
while [ "$r" -le "$rounds" ]; do
	echo "get $(run "$url_get")" >>"$T/results"
	echo "ping $(run "$url_ping")" >>"$T/results"
	echo "hello $(run "$url_hello")" >>"$T/results"
	r=$((r + 1))
done
median() { # name
	awk -v n="$1" '$1 == n { print $2 }' "$T/results" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
get=$(median get)
ping=$(median ping)
hello=$(median hello)

"$B/gridrest-db" verify >"$T/verify" 2>&1
echo "gridrest bench/rules.sh: durability ${GRIDREST_DURABILITY:-sync}, batch ${GRIDREST_RULES_BATCH:-2000} files per evaluator transaction"
[ "${BENCH_GET_ONLY:-0}" != 0 ] || echo "$t0 $t1 $n" | awk '{ d = $2 - $1; printf "inject    %8.2f s  %d locks OK on a 10000-file dataset: %.0f locks/s   (target >= 50000: %s)\n", d, $3, $3 / d, ($3 / d >= 50000 ? "met" : "NOT met") }'
[ "${BENCH_GET_ONLY:-0}" != 0 ] || echo "$t2 $t3 $held" | awk '{ d = $2 - $1; printf "attach    %8.2f s  1000 files attached under 3 rules: %d locks made in the attach (%.0f locks/s)\n", d, $3, $3 / d }'
if [ "${BENCH_BIG:-1}" != 0 ]; then
	echo "$t4 $t5 $queued" | awk '{ d = $2 - $1; printf "big       %8.2f s  a rule on 100 datasets x 1000 files to REPLICATING, %d transfer requests queued (%.0f locks/s)\n", d, $3, $3 / d }'
fi
echo "$get $ping $hello" | awk '{ printf "get       %8d req/s  GET /rules/{id}; /ping %d req/s: ratio %.2f; hello %d req/s: ratio %.2f   (target >= 0.85: %s)\n", $1, $2, $1 / $2, $3, $1 / $3, ($1 / $2 >= 0.85 ? "met against /ping" : $1 / $3 >= 0.85 ? "met against hello only" : "NOT met") }'
echo "verify    $(tail -1 "$T/verify")"
