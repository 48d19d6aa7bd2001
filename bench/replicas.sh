#!/bin/sh
# replicas.sh -- the replica catalogue under load, through lighttpd:
#
#   register   BENCH_FILES (1,000,000) file replicas in batches of 1000,
#              half on each of 2 RSEs, BENCH_CLIENTS (2) clients at once,
#              durable commits (GRIDREST_DURABILITY=sync): replicas/s
#   list       POST /replicas/list of a dataset of BENCH_LIST (10,000)
#              files, median of 3: entries/s, and the rses backends'
#              peak RSS before and after (VmHWM)
#   expr       RSE-expression evaluation over 1000 RSEs (bench/expr.c,
#              in a private store): microseconds per evaluation
#
# Targets: >= 50k replicas/s registered; listing >= 200k
# entries/s with flat backend memory. Settings: BENCH_FILES, BENCH_CLIENTS,
# BENCH_LIST, BENCH_PORT (18090), GR_BUILD (build).
set -eu
files=${BENCH_FILES:-1000000}
clients=${BENCH_CLIENTS:-2}
nlist=${BENCH_LIST:-10000}
port=${BENCH_PORT:-18090}
batch=1000
export GRIDREST_DURABILITY=${GRIDREST_DURABILITY:-sync}
export GRIDREST_CACHE_MB=${GRIDREST_CACHE_MB:-512}
. "$(dirname "$0")/lib.sh"
bench_start

call POST /scopes/root/bench ''
for r in BENCH_A BENCH_B; do
	call POST "/rses/$r" '{}'
	call POST "/rses/$r/protocols/root" "{\"hostname\": \"$r.example.org\", \"port\": 1094, \"prefix\": \"/data\", \"impl\": \"xrootd\", \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}}}"
done

# the request bodies, made before the clock starts: batch b holds files
# b*1000 .. b*1000+999 and goes to BENCH_A (even b) or BENCH_B (odd b)
nb=$(( (files + batch - 1) / batch ))
mkdir "$T/batches"
awk -v nb="$nb" -v batch="$batch" -v dir="$T/batches" 'BEGIN {
	for (b = 0; b < nb; b++) {
		f = sprintf("%s/%06d", dir, b)
		printf "{\"rse\": \"%s\", \"files\": [", (b % 2 ? "BENCH_B" : "BENCH_A") > f
		for (i = 0; i < batch; i++) {
			n = b * batch + i
			printf "%s{\"scope\":\"bench\",\"name\":\"file.%08d\",\"bytes\":%d,\"adler32\":\"%08x\"}", \
			    (i ? "," : ""), n, 1000 + n % 1000, n > f
		}
		printf "]}" > f
		close(f)
	}
}'

hwm() { # the largest VmHWM of the rses backends, in kB
	for p in $(pgrep -f "$B/cgi-bin/rses.fcgi"); do
		awk '/^VmHWM/ { print $2 }' "/proc/$p/status"
	done | sort -n | tail -1
}

now() { date +%s.%N; }
# one curl per client, each sending its share of the batches one after
# the other on one connection (a curl started per batch would cost more
# than the batch)
c=0
while [ $c -lt "$clients" ]; do
	: >"$T/client.$c"
	c=$((c + 1))
done
i=0
for f in "$T"/batches/*; do
	cat >>"$T/client.$((i % clients))" <<CFG
url = "$base/replicas"
data-binary = "@$f"
header = "X-Rucio-Auth-Token: $token"
output = "/dev/null"
write-out = "%{http_code} %{time_total}\\n"
next
CFG
	i=$((i + 1))
done
c=0
while [ $c -lt "$clients" ]; do
	sed -i '$d' "$T/client.$c" # no "next" after the last one
	c=$((c + 1))
done
t0=$(now)
pids=
c=0
while [ $c -lt "$clients" ]; do
	curl -s -K "$T/client.$c" >"$T/codes.$c" &
	pids="$pids $!"
	c=$((c + 1))
done
# shellcheck disable=SC2086 # the list of pids
wait $pids
t1=$(now)
cat "$T"/codes.* >"$T/codes"
bad=$(grep -vc '^201 ' "$T/codes" || true)
[ "$bad" -eq 0 ] || { echo "registration: $bad batches failed"; sort "$T/codes" | uniq -c; exit 1; }
used=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/rses/BENCH_A/usage?source=rucio" | jq .files)
usedb=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/rses/BENCH_B/usage?source=rucio" | jq .files)
[ $((used + usedb)) -eq "$files" ] || { echo "counted $used + $usedb, not $files"; exit 1; }

# the listing: a dataset of the first BENCH_LIST files, one request
awk -v n="$nlist" 'BEGIN {
	printf "{\"type\": \"DATASET\", \"dids\": ["
	for (i = 0; i < n; i++)
		printf "%s{\"scope\":\"bench\",\"name\":\"file.%08d\"}", (i ? "," : ""), i
	printf "]}"
}' >"$T/ds.json"
call POST /dids/bench/dataset "@$T/ds.json"
echo '{"dids": [{"scope": "bench", "name": "dataset"}], "ignore_availability": true}' >"$T/list.json"
curl -s -o /dev/null -H "X-Rucio-Auth-Token: $token" --data-binary "@$T/list.json" "$base/replicas/list"
rss0=$(hwm)
# three timed runs; the median counts
for run in 1 2 3; do
	curl -s -o "$T/list.out" -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
	    --data-binary "@$T/list.json" "$base/replicas/list" >>"$T/list.times"
done
lt=$(sort -n "$T/list.times" | sed -n 2p)
lines=$(wc -l <"$T/list.out")
[ "$lines" -eq "$nlist" ] || { echo "listed $lines entries, not $nlist"; exit 1; }
rss1=$(hwm)

echo "gridrest bench/replicas.sh: $files replicas on 2 RSEs, batches of $batch, $clients clients, durability $GRIDREST_DURABILITY"
echo "$t0 $t1 $files" | awk '{ d = $2 - $1; printf "register  %8.1f s  %10.0f replicas/s   (target >= 50000: %s)\n", d, $3 / d, ($3 / d >= 50000 ? "met" : "NOT met") }'
awk '{ s += $2; n++ } END { printf "          %8.1f ms per batch request, as its client saw it (mean of %d)\n", s / n * 1000, n }' "$T/codes"
echo "$lt $lines" | awk '{ printf "list      %8.3f s  %10.0f entries/s    (target >= 200000: %s)\n", $1, $2 / $1, ($2 / $1 >= 200000 ? "met" : "NOT met") }'
echo "rses backend peak RSS: ${rss0} kB before the listings, ${rss1} kB after three more"
mkdir "$T/expr"
"$B/bench/expr_bench" "$T/expr" 1000 200
