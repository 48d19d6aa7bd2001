#!/bin/sh
# dids.sh -- the DID catalogue at scale, through lighttpd:
#
#   build    BENCH_FILES (1,000,000) files registered as replicas in
#            batches of 1000, then BENCH_DATASETS (10,000) datasets of
#            BENCH_FILES / BENCH_DATASETS files each (POST /dids, their
#            files attached as they are made)
#   get      GET /dids/{scope}/{name} of a dataset with wrk, alternating
#            with the hello-world reference (bench/hello.c) behind the
#            same lighttpd, median of BENCH_ROUNDS (3): req/s and ratio,
#            and the CPU time the backends spent per request
#   bulk     BENCH_BULK (200,000) empty datasets made by POST /dids, 1000
#            a request, durable commits, half from one client and half
#            from two at once: DIDs/s
#   list     GET /dids/bulk/ (the BENCH_BULK datasets): lines/s, and the
#            dids backends' memory during it: the peak of their private
#            memory (RssAnon, sampled) and VmHWM, which also counts the
#            pages of the shared Berkeley DB cache they touched
#   search   a metadata-equality search that finds 10 DIDs, in a scope of
#            10,000 DIDs and in the scope of BENCH_FILES + BENCH_DATASETS
#            DIDs: milliseconds, median of 7
#   top      GET /dids/{scope}/ (the scope's top level) of a scope whose
#            100 datasets hold 100,000 files, against the same listing of
#            100 empty datasets: milliseconds, median of 15 each, and the
#            ratio (BENCH_RUN=top runs this part alone)
#
# Targets: get >= 0.85 x hello; bulk >= 50k DIDs/s; list >= 500k
# lines/s with backend memory flat under 32 MB; search time not growing
# with the table; top <= 2 x (a listing's cost follows its
# lines, not what is below them). Settings: BENCH_RUN (all | top),
# BENCH_FILES, BENCH_DATASETS, BENCH_BULK,
# BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNS (32), BENCH_PORT
# (18100), GR_BUILD (build), GRIDREST_CACHE_MB (512).
set -eu
files=${BENCH_FILES:-1000000}
datasets=${BENCH_DATASETS:-10000}
bulk=${BENCH_BULK:-200000}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNS:-32}
port=${BENCH_PORT:-18100}
export GRIDREST_DURABILITY=${GRIDREST_DURABILITY:-sync}
export GRIDREST_CACHE_MB=${GRIDREST_CACHE_MB:-512}
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || scripts/install-deps
bench_hello_conf "$T/bench.conf"
bench_start "$T/bench.conf"

call() { # METHOD PATH [BODY]: fails the benchmark on an error
	curl -sf -o /dev/null -X "$1" -H "X-Rucio-Auth-Token: $token" \
	    --data-binary "${3-}" "$base$2" || { echo "$1 $2 failed"; exit 1; }
}
now() { date +%s.%N; }
# prepare RUN CLIENTS FILE...: the curl configs of a run that POSTs each
# body file (its first line: the path) from CLIENTS curls at once, each on
# one connection, made before any clock starts
prepare() {
	run=$1
	clients=$2
	shift 2
	c=0
	while [ $c -lt "$clients" ]; do
		: >"$T/$run.client.$c"
		c=$((c + 1))
	done
	i=0
	for f in "$@"; do
		{
			echo "url = \"$base$(head -1 "$f")\""
			echo "data-binary = \"@$f.body\""
			echo "header = \"X-Rucio-Auth-Token: $token\""
			echo 'output = "/dev/null"'
			echo 'write-out = "%{http_code} %{time_total}\n"'
			echo next
		} >>"$T/$run.client.$((i % clients))"
		i=$((i + 1))
	done
	for f in "$T/$run".client.*; do # a last "next" starts an empty transfer
		if [ -s "$f" ]; then sed -i '$d' "$f"; fi
	done
}
# send RUN: the run's curls at once, their answers in $T/RUN.codes.<c>;
# fails on a non-201
send() {
	pids=
	for f in "$T/$1".client.*; do
		[ -s "$f" ] || continue # fewer bodies than clients
		curl -s -K "$f" >"$T/$1.codes.${f##*.}" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086 # the list of pids
	wait $pids
	bad=$(cat "$T/$1".codes.* | grep -vc '^201 ' || true)
	[ "$bad" -eq 0 ] || { echo "$bad requests failed:"; cat "$T/$1".codes.* | sort | uniq -c; exit 1; }
}

call POST /scopes/root/bench ''
call POST /scopes/root/bulk ''
call POST /scopes/root/small ''
call POST /rses/BENCH_A '{}'
call POST /rses/BENCH_A/protocols/root '{"hostname": "a.example.org", "port": 1094, "prefix": "/data", "impl": "xrootd", "domains": {"wan": {"read": 1, "write": 1, "delete": 1}}}'

# --- top: the top level of a deep scope against a flat one ---
call POST /scopes/root/deep ''
call POST /scopes/root/flat ''
mkdir "$T/top"
awk -v dir="$T/top" 'BEGIN {
	for (b = 0; b < 100; b++) { # 1000 files a request
		f = sprintf("%s/rep.%03d", dir, b)
		print "/replicas" > f
		close(f)
		f = f ".body"
		printf "{\"rse\": \"BENCH_A\", \"files\": [" > f
		for (i = b * 1000; i < (b + 1) * 1000; i++)
			printf "%s{\"scope\":\"deep\",\"name\":\"file.%06d\",\"bytes\":1}", (i % 1000 ? "," : ""), i > f
		printf "]}" > f
		close(f)
	}
	for (d = 0; d < 100; d += 10) { # 10 datasets of 1000 files a request
		f = sprintf("%s/ds.%03d", dir, d)
		print "/dids" > f
		close(f)
		f = f ".body"
		printf "[" > f
		for (k = d; k < d + 10; k++) {
			printf "%s{\"scope\":\"deep\",\"name\":\"ds.%03d\",\"type\":\"DATASET\",\"dids\":[", (k > d ? "," : ""), k > f
			for (i = k * 1000; i < (k + 1) * 1000; i++)
				printf "%s{\"scope\":\"deep\",\"name\":\"file.%06d\"}", (i > k * 1000 ? "," : ""), i > f
			printf "]}" > f
		}
		printf "]" > f
		close(f)
	}
	f = dir "/flat"
	print "/dids" > f
	close(f)
	f = f ".body"
	printf "[" > f
	for (k = 0; k < 100; k++)
		printf "%s{\"scope\":\"flat\",\"name\":\"ds.%03d\",\"type\":\"DATASET\"}", (k ? "," : ""), k > f
	printf "]" > f
	close(f)
}'
prepare toprep 2 $(ls "$T"/top/rep.* | grep -v body)
prepare topds 2 $(ls "$T"/top/ds.* | grep -v body)
prepare topflat 1 "$T/top/flat"
send toprep
send topds
send topflat
for s in deep flat; do # warm, and check the answer: the 100 datasets
	curl -s -o "$T/top.$s" -H "X-Rucio-Auth-Token: $token" "$base/dids/$s/"
	n=$(jq -s 'map(select(.level == 0 and .parent == null and .type == "DATASET")) | length' "$T/top.$s")
	[ "$n" -eq 100 ] || { echo "GET /dids/$s/ listed $n top-level datasets, not 100"; exit 1; }
done
k=0
while [ $k -lt 15 ]; do # alternating, so that load hits both alike
	for s in deep flat; do
		curl -s -o /dev/null -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
		    "$base/dids/$s/" >>"$T/top.$s.times"
	done
	k=$((k + 1))
done
top_deep=$(sort -n "$T/top.deep.times" | sed -n 8p)
top_flat=$(sort -n "$T/top.flat.times" | sed -n 8p)
top_report() {
	echo "$top_deep $top_flat" | awk '{ printf "top       %8.2f ms  GET /dids/deep/ (100 datasets holding 100000 files), %.2f ms the same with 100 empty datasets: ratio %.2f   (target <= 2: %s)\n", $1 * 1000, $2 * 1000, $1 / $2, ($1 / $2 <= 2 ? "met" : "NOT met") }'
}
if [ "${BENCH_RUN:-all}" = top ]; then
	echo "gridrest bench/dids.sh (top only): durability $GRIDREST_DURABILITY, cache ${GRIDREST_CACHE_MB} MB"
	top_report
	exit 0
fi

# --- build: files, then datasets holding them ---
per=$((files / datasets))
mkdir "$T/b"
awk -v files="$files" -v per="$per" -v datasets="$datasets" -v bulk="$bulk" -v dir="$T/b" 'BEGIN {
	for (b = 0; b * 1000 < files; b++) {
		f = sprintf("%s/rep.%05d", dir, b)
		print "/replicas" > f
		close(f)
		f = f ".body"
		printf "{\"rse\": \"BENCH_A\", \"files\": [" > f
		for (i = b * 1000; i < files && i < (b + 1) * 1000; i++)
			printf "%s{\"scope\":\"bench\",\"name\":\"file.%08d\",\"bytes\":%d,\"adler32\":\"%08x\"}", \
			    (i % 1000 ? "," : ""), i, 1000 + i % 1000, i > f
		printf "]}" > f
		close(f)
	}
	# datasets, 10000 files to a request
	step = int(10000 / per); if (step < 1) step = 1
	for (d = 0; d < datasets; d += step) {
		f = sprintf("%s/ds.%05d", dir, d)
		print "/dids" > f
		close(f)
		f = f ".body"
		printf "[" > f
		for (k = d; k < d + step && k < datasets; k++) {
			printf "%s{\"scope\":\"bench\",\"name\":\"dataset.%05d\",\"type\":\"DATASET\",\"dids\":[", (k > d ? "," : ""), k > f
			for (i = k * per; i < (k + 1) * per; i++)
				printf "%s{\"scope\":\"bench\",\"name\":\"file.%08d\"}", (i > k * per ? "," : ""), i > f
			printf "]}" > f
		}
		printf "]" > f
		close(f)
	}
	for (b = 0; b * 1000 < bulk; b++) {
		f = sprintf("%s/bulk.%05d", dir, b)
		print "/dids" > f
		close(f)
		f = f ".body"
		printf "[" > f
		for (i = b * 1000; i < bulk && i < (b + 1) * 1000; i++)
			printf "%s{\"scope\":\"bulk\",\"name\":\"ds.%07d\",\"type\":\"DATASET\"}", (i % 1000 ? "," : ""), i > f
		printf "]" > f
		close(f)
	}
	# the small scope: 10000 datasets
	for (b = 0; b < 10; b++) {
		f = sprintf("%s/small.%05d", dir, b)
		print "/dids" > f
		close(f)
		f = f ".body"
		printf "[" > f
		for (i = b * 1000; i < (b + 1) * 1000; i++)
			printf "%s{\"scope\":\"small\",\"name\":\"ds.%05d\",\"type\":\"DATASET\"}", (i % 1000 ? "," : ""), i > f
		printf "]" > f
		close(f)
	}
}'
prepare rep 2 $(ls "$T"/b/rep.* | grep -v body)
prepare ds 2 $(ls "$T"/b/ds.* | grep -v body)
prepare small 2 $(ls "$T"/b/small.* | grep -v body)
ls "$T"/b/bulk.* | grep -v body >"$T/bulk.list"
nb=$(wc -l <"$T/bulk.list")
prepare bulk1 1 $(head -n $((nb / 2)) "$T/bulk.list")
prepare bulk2 2 $(tail -n +$((nb / 2 + 1)) "$T/bulk.list")
b0=$(now)
send rep
b1=$(now)
send ds
b2=$(now)
send small

# --- bulk creation: the first half of the batches from one client, the
# second from two at once (they queue on the scope's shared index keys) ---
t0=$(now)
send bulk1
t1=$(now)
# the one client's requests: median, 90th percentile and slowest, ms
bulk_lat=$(awk '{ print $2 * 1000 }' "$T"/bulk1.codes.0 | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.1f / %.1f / %.1f", v[int((NR + 1) / 2)], v[int(NR * 0.9)], v[NR] }')
send bulk2
t2=$(now)

# --- get: one dataset against the hello-world, alternating ---
url_get=$base/dids/bench/dataset.$(printf %05d $((datasets / 2)))
url_hello=$base/bench/hello
for u in "$url_get" "$url_hello"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Rucio-Auth-Token: $token" "$u")
	[ "$code" = 200 ] || { echo "$u answered $code"; exit 1; }
	wrk -t2 -c"$conns" -d1s -H "X-Rucio-Auth-Token: $token" "$u" >/dev/null
done
ticks() { # pattern -> CPU clock ticks (user + system) of those processes
	for p in $(pgrep -f "$1"); do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}
run() { # url backend -> "req/s backend-CPU-microseconds-per-request"
	c0=$(ticks "$2")
	wrk -t2 -c"$conns" -d"${secs}s" -H "X-Rucio-Auth-Token: $token" "$1" >"$T/wrk.out"
	c1=$(ticks "$2")
	grep -q Non-2xx "$T/wrk.out" && echo "non-2xx answers from $1" >&2
	awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '
	    /requests in/ { n = $1 }
	    /^Requests\/sec/ { r = $2 }
	    END { printf "%d %.1f\n", r, c * 1e6 / hz / n }' "$T/wrk.out"
}
r=1
while [ "$r" -le "$rounds" ]; do
	echo "get $(run "$url_get" "$B/cgi-bin/dids.fcgi")" >>"$T/results"
	echo "hello $(run "$url_hello" "$B/bench/hello.fcgi")" >>"$T/results"
	r=$((r + 1))
done
median() { # name column
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$T/results" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
get=$(median get 2)
hello=$(median hello 2)
get_us=$(median get 3)
hello_us=$(median hello 3)

# --- list: the bulk scope, memory sampled meanwhile ---
pids=$(pgrep -f "$B/cgi-bin/dids.fcgi" | paste -sd' ')
anon_peak() { # the largest RssAnon of the dids backends now, in kB
	for p in $pids; do
		awk '/^RssAnon/ { print $2 }' "/proc/$p/status" 2>/dev/null
	done | sort -n | tail -1
}
hwm() {
	for p in $pids; do
		awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null
	done | sort -n | tail -1
}
curl -s -o /dev/null -H "X-Rucio-Auth-Token: $token" "$base/dids/bulk/"
anon0=$(anon_peak)
hwm0=$(hwm)
( while :; do anon_peak >>"$T/anon"; sleep 0.01; done ) &
sampler=$!
for run in 1 2 3; do
	curl -s -o "$T/list.out" -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
	    "$base/dids/bulk/" >>"$T/list.times"
done
kill "$sampler"
lt=$(sort -n "$T/list.times" | sed -n 2p)
lines=$(wc -l <"$T/list.out")
[ "$lines" -eq "$bulk" ] || { echo "listed $lines DIDs, not $bulk"; exit 1; }
anon1=$(sort -n "$T/anon" | tail -1)
hwm1=$(hwm)

# --- search: 10 DIDs with tag=x, in the small scope and the big one ---
i=0
dl=
sl=
while [ $i -lt 10 ]; do
	dl="$dl${dl:+,}{\"scope\":\"bench\",\"name\":\"file.$(printf %08d $((i * (files / 10))))\",\"meta\":{\"tag\":\"x\"}}"
	sl="$sl${sl:+,}{\"scope\":\"small\",\"name\":\"ds.$(printf %05d $((i * 997)))\",\"meta\":{\"tag\":\"x\"}}"
	i=$((i + 1))
done
call POST /dids/bulkdidsmeta "{\"dids\": [$dl]}"
call POST /dids/bulkdidsmeta "{\"dids\": [$sl]}"
search() { # scope -> milliseconds, median of 7 (and checks 10 DIDs came)
	for k in 1 2 3 4 5 6 7; do
		curl -s -o "$T/search.out" -w '%{time_total}\n' -H "X-Rucio-Auth-Token: $token" \
		    "$base/dids/$1/dids/search?type=all&tag=x" >>"$T/search.$1"
		n=$(wc -l <"$T/search.out")
		[ "$n" -eq 10 ] || { echo "search in $1 found $n DIDs, not 10"; exit 1; }
	done
	sort -n "$T/search.$1" | sed -n 4p | awk '{ printf "%.2f", $1 * 1000 }'
}
ms_small=$(search small)
ms_big=$(search bench)

echo "gridrest bench/dids.sh: $files files in $datasets datasets, $bulk bulk datasets, durability $GRIDREST_DURABILITY, cache ${GRIDREST_CACHE_MB} MB"
echo "$b0 $b1 $b2 $files $datasets" | awk '{ printf "build     %8.1f s  %10.0f files/s registered; %.1f s for the datasets (%.0f attachments/s)\n", $2 - $1, $4 / ($2 - $1), $3 - $2, $4 / ($3 - $2) }'
echo "$get $hello" | awk '{ printf "get       %8d req/s  hello %d req/s  ratio %.2f   (target >= 0.85: %s)\n", $1, $2, $1 / $2, ($1 / $2 >= 0.85 ? "met" : "NOT met") }'
echo "          backend CPU per request (median): dids ${get_us} us, hello ${hello_us} us"
echo "$t0 $t1 $t2 $bulk $nb" | awk '{ h = int($5 / 2) * 1000; if (h > $4) h = $4; d = $2 - $1; e = $3 - $2
	printf "bulk      %8.1f s  %10.0f DIDs/s, one client   (target >= 50000: %s)\n", d, h / d, (h / d >= 50000 ? "met" : "NOT met")
	printf "          %8.1f s  %10.0f DIDs/s, two clients at once\n", e, ($4 - h) / e }'
echo "          one client, ms a request of 1000 (median / p90 / slowest): $bulk_lat"
echo "$lt $lines" | awk '{ printf "list      %8.3f s  %10.0f lines/s      (target >= 500000: %s)\n", $1, $2 / $1, ($2 / $1 >= 500000 ? "met" : "NOT met") }'
echo "          dids backend private memory (RssAnon) ${anon0} kB before, peak ${anon1} kB during three listings (target: flat, < 32768 kB: $( [ "$anon1" -lt 32768 ] && [ "$anon1" -le $((anon0 + 1024)) ] && echo met || echo NOT met))"
echo "          VmHWM (with the shared cache pages touched) ${hwm0} kB before, ${hwm1} kB after"
echo "search    ${ms_small} ms in a scope of 10000 DIDs, ${ms_big} ms in one of $((files + datasets)) (10 found each time)"
top_report
