#!/bin/sh
# filecatalogue.sh -- the DIRAC file catalogue under load, through lighttpd:
#
#   dirs      BENCH_DIRS (100,000) directories /bench/gGGG/dNNNN (1000 per
#             group), each with the metadata run=<its number> and
#             site=S<number % 100>, created 1000 per request
#   search    GET .../directory/<base64 of />/search?run>=100&run<110 (10
#             directories match), median of 21, once with 1000
#             directories in the catalogue and again with all of them:
#             the latency must not grow with the catalogue
#   register  BENCH_FILES (1,000,000) files, 10 per directory, in batches
#             of 1000, BENCH_CLIENTS (2) clients at once, durable commits
#             (GRIDREST_DURABILITY=sync): files/s
#   list      1000 listings of directories of 10 files on one connection
#             (listings/s), and the 1000 subdirectories of one group,
#             median of 3 (entries/s)
#   fields    GET /filecatalogue/metadata: every field with all its values
#
# Targets: >= 30k files/s registered; search latency flat.
# Settings: BENCH_DIRS, BENCH_FILES, BENCH_CLIENTS, BENCH_PORT (18094),
# GR_BUILD (build).
set -eu
dirs=${BENCH_DIRS:-100000}
files=${BENCH_FILES:-1000000}
clients=${BENCH_CLIENTS:-2}
port=${BENCH_PORT:-18094}
batch=1000
export GRIDREST_DURABILITY=${GRIDREST_DURABILITY:-sync}
export GRIDREST_CACHE_MB=${GRIDREST_CACHE_MB:-512}
. "$(dirname "$0")/lib.sh"
bench_start

b64() { printf %s "$1" | base64 -w0 | tr '+/' '-_'; }
now() { date +%s.%N; }
call POST /filecatalogue/metadata '{"name": "run", "type": "int"}'
call POST /filecatalogue/metadata '{"name": "site", "type": "string"}'

# directory batch g: /bench/gGGG/d0000 .. d0999, numbered g*1000 + i
ng=$(( (dirs + batch - 1) / batch ))
mkdir "$T/dirs" "$T/files"
awk -v ng="$ng" -v batch="$batch" -v nd="$dirs" -v dir="$T/dirs" 'BEGIN {
	for (g = 0; g < ng; g++) {
		f = sprintf("%s/%06d", dir, g)
		printf "[" > f
		for (i = 0; i < batch && g * batch + i < nd; i++) {
			n = g * batch + i
			printf "%s{\"path\":\"/bench/g%03d/d%04d\",\"meta\":{\"run\":%d,\"site\":\"S%d\"}}", \
			    (i ? "," : ""), g, i, n, n % 100 > f
		}
		printf "]" > f
		close(f)
	}
}'
# file batch b: 10 files in each of the 100 directories b*100 .. b*100+99
nb=$(( (files + batch - 1) / batch ))
awk -v nb="$nb" -v batch="$batch" -v nd="$dirs" -v dir="$T/files" 'BEGIN {
	for (b = 0; b < nb; b++) {
		f = sprintf("%s/%06d", dir, b)
		printf "[" > f
		for (i = 0; i < batch; i++) {
			n = b * batch + i
			d = int(n / 10) % nd
			printf "%s{\"lfn\":\"/bench/g%03d/d%04d/f%07d\",\"size\":%d,\"checksum\":\"%08x\",\"replicas\":{\"SE-A\":\"root://se/%07d\"}}", \
			    (i ? "," : ""), int(d / 1000), d % 1000, n, 1000 + n % 1000, n, n > f
		}
		printf "]" > f
		close(f)
	}
}'

post_all() { # NAME URL FILE...: POST each file on one connection (curl
	# config $T/cfg.NAME); status codes and times are added to
	# $T/codes.NAME
	name=$1
	cfg=$T/cfg.$1
	url=$2
	shift 2
	: >"$cfg"
	for f in "$@"; do
		cat >>"$cfg" <<CFG
url = "$base$url"
data-binary = "@$f"
header = "X-Rucio-Auth-Token: $token"
output = "/dev/null"
write-out = "%{http_code} %{time_total}\\n"
next
CFG
	done
	sed -i '$d' "$cfg"
	curl -s -K "$cfg" >>"$T/codes.$name"
}

search_ms() { # the median latency of 21 searches, in ms
	q="run=%3E%3D|100&run=%3C|110"
	out=$(curl -sf -H "X-Rucio-Auth-Token: $token" "$base/filecatalogue/directory/$(b64 /)/search?$q")
	n=$(printf %s "$out" | jq '.d.bench.d.g000.d | length')
	[ "$n" -eq 10 ] || { echo "the search found $n directories, not 10"; exit 1; }
	for i in $(seq 21); do
		curl -s -o /dev/null -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
		    "$base/filecatalogue/directory/$(b64 /)/search?$q"
	done | sort -n | sed -n 11p | awk '{ printf "%.2f", $1 * 1000 }'
}

t0=$(now)
post_all d /filecatalogue/directories "$T/dirs/000000"
t1=$(now)
s1=$(search_ms)
# shellcheck disable=SC2046 # the batch files
post_all d /filecatalogue/directories $(ls "$T"/dirs/* | sed 1d)
t2=$(now)
s2=$(search_ms)
bad=$(grep -vc '^201' "$T/codes.d" || true)
[ "$bad" -eq 0 ] || { echo "directories: $bad batches failed"; sort "$T/codes.d" | uniq -c; exit 1; }

# registration: the batches dealt out to the clients
t3=$(now)
pids=
c=0
while [ $c -lt "$clients" ]; do
	# shellcheck disable=SC2046 # the batch files
	(trap - EXIT; post_all "f$c" /filecatalogue/files $(ls "$T"/files/* | awk -v c=$c -v n="$clients" 'NR % n == c')) &
	pids="$pids $!"
	c=$((c + 1))
done
# shellcheck disable=SC2086 # the list of pids
wait $pids
t4=$(now)
cat "$T"/codes.f* >"$T/codes"
bad=$(grep -vc '^201' "$T/codes" || true)
[ "$bad" -eq 0 ] || { echo "registration: $bad batches failed"; sort "$T/codes" | uniq -c; exit 1; }

# listings: 1000 directories of 10 files, then a group of 1000 subdirectories
: >"$T/cfg"
for i in $(seq 0 999); do
	printf 'url = "%s/filecatalogue/directory/%s"\nheader = "X-Rucio-Auth-Token: %s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' \
	    "$base" "$(b64 "/bench/g000/d$(printf %04d "$i")")" "$token" >>"$T/cfg"
done
sed -i '$d' "$T/cfg"
t5=$(now)
curl -s -K "$T/cfg" >"$T/lcodes"
t6=$(now)
[ "$(grep -c '^200' "$T/lcodes")" -eq 1000 ] || { echo "listings failed"; sort "$T/lcodes" | uniq -c; exit 1; }
nfiles=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/filecatalogue/directory/$(b64 /bench/g000/d0000)" | jq '.Files | length')
for run in 1 2 3; do
	curl -s -o "$T/group.out" -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
	    "$base/filecatalogue/directory/$(b64 /bench/g000)" >>"$T/group.times"
done
gt=$(sort -n "$T/group.times" | sed -n 2p)
# every field with every value (the index, one distinct value at a time)
mt=$(curl -s -o "$T/meta.out" -w '%{time_total}' -H "X-Rucio-Auth-Token: $token" "$base/filecatalogue/metadata")
nvals=$(jq '[.[].values | length] | add' "$T/meta.out")
nsub=$(jq '.SubDirs | length' "$T/group.out")

echo "gridrest bench/filecatalogue.sh: $dirs directories, $files files, batches of $batch, $clients clients, durability $GRIDREST_DURABILITY"
echo "$t0 $t1 $t2 $dirs" | awk '{ printf "dirs      %8.1f s  %10.0f directories/s (with 2 metadata values each)\n", $3 - $1, $4 / ($3 - $1) }'
echo "search    ${s1} ms with $batch directories, ${s2} ms with $dirs (median of 21; 10 match)"
echo "$t3 $t4 $files" | awk '{ d = $2 - $1; printf "register  %8.1f s  %10.0f files/s      (target >= 30000: %s)\n", d, $3 / d, ($3 / d >= 30000 ? "met" : "NOT met") }'
awk '{ t[NR] = $2 } END { k = int(NR / 10); for (i = 1; i <= k; i++) { a += t[i]; b += t[NR - k + i] }
	printf "          %8.1f ms per batch in the first tenth, %.1f ms in the last (as client 0 saw them)\n", a / k * 1000, b / k * 1000 }' "$T/codes.f0"
echo "$t5 $t6 $nfiles" | awk '{ d = $2 - $1; printf "list      %8.3f s  %10.0f listings/s of %d files (1000 on one connection)\n", d, 1000 / d, $3 }'
echo "$gt $nsub" | awk '{ printf "          %8.3f s  %10.0f entries/s (a directory of %d subdirectories, median of 3)\n", $1, $2 / $1, $2 }'
echo "$mt $nvals" | awk '{ printf "fields    %8.3f s  for GET /filecatalogue/metadata (%d distinct values)\n", $1, $2 }'
