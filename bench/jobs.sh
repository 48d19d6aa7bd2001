#!/bin/sh
# jobs.sh -- the jobs family under load, through lighttpd, local backend:
#
#   submit    BENCH_JOBS (1000) small jobs (/bin/true), one POST /jobs
#             each, BENCH_CLIENTS (4) at once: accepted/s
#   bulk      the same number as lists of 100 manifests: accepted/s
#   start     time from POST /jobs to the job seen Running, with free
#             slots (a job that sleeps 0.5 s; the next is sent once it
#             is Done), median of 5, milliseconds
#   data      time from POST /jobs to Running with InputData of
#             BENCH_DATA_FILES (10) catalogue files of BENCH_DATA_MB (10) MB
#             on a posix RSE: to the job's claim (MinorStatus "Input Data
#             Resolution") and to its start ("Application": copied,
#             adler32 checked, given to the job's user; not fsynced),
#             median of 3, against cp of the same files (and cp + sync);
#             both with the files in the page cache; ratio = to the
#             start / cp
#   list      GET /jobs?maxJobs=100 over the 2000+ jobs above, for 5 s
#             with wrk (2 threads, 4 connections): requests/s
#
# The jobs run while submissions arrive, in GRIDREST_DRM_SLOTS slots (the
# server's default: one per online CPU).
#
# Target: >= 500 submissions accepted/s. Settings: BENCH_JOBS,
# BENCH_CLIENTS, BENCH_PORT (18094), GR_BUILD (build); BENCH_FS_QUIET and
# BENCH_FS_WAIT: how long to wait for a quiet disk first (lib.sh).
set -eu
njobs=${BENCH_JOBS:-1000}
clients=${BENCH_CLIENTS:-4}
port=${BENCH_PORT:-18094}
slots=${GRIDREST_DRM_SLOTS:-$(nproc)}
export GRIDREST_DURABILITY=${GRIDREST_DURABILITY:-sync}
. "$(dirname "$0")/lib.sh"
bench_start
bench_fs_probe

now_ms() {
	date +%s%3N
}

# cfg_entry FILE BODY: one POST /jobs in a curl config (BODY escaped)
cfg_entry() {
	cat >>"$1" <<CFG
url = "$base/jobs"
header = "X-Rucio-Auth-Token: $token"
header = "Content-Type: application/json"
data = "$(printf '%s' "$2" | sed 's/"/\\"/g')"
output = "/dev/null"
write-out = "%{http_code}\n"
next
CFG
}

# a config's last "next" would start an empty transfer
cfg_end() {
	sed -i '$d' "$1"
}

# curl configs made before the clock starts
: >"$T/submit.cfg"
i=0
while [ $i -lt "$njobs" ]; do
	cfg_entry "$T/submit.cfg" "{\"Executable\": \"/bin/true\", \"JobName\": \"b$i\"}"
	i=$((i + 1))
done
cfg_end "$T/submit.cfg"
list=$(i=0; while [ $i -lt 100 ]; do
	[ $i -gt 0 ] && printf ','
	printf '{"Executable": "/bin/true", "JobGroup": "bulk"}'
	i=$((i + 1))
done)
: >"$T/bulk.cfg"
i=0
while [ $i -lt $((njobs / 100)) ]; do
	cfg_entry "$T/bulk.cfg" "[$list]"
	i=$((i + 1))
done
cfg_end "$T/bulk.cfg"

t0=$(now_ms)
curl -s --no-progress-meter -Z --parallel-max "$clients" -K "$T/submit.cfg" >"$T/codes"
t1=$(now_ms)
ok=$(grep -c '^200$' "$T/codes" || true)
echo "submit: $ok/$njobs accepted in $((t1 - t0)) ms:" \
    "$((ok * 1000 / (t1 - t0 + 1))) jobs/s ($clients clients," \
    "$slots slots)"

t0=$(now_ms)
curl -s --no-progress-meter -Z --parallel-max 2 -K "$T/bulk.cfg" >"$T/codes"
t1=$(now_ms)
ok=$(($(grep -c '^200$' "$T/codes" || true) * 100))
echo "bulk: $ok/$((njobs / 100 * 100)) accepted in $((t1 - t0)) ms:" \
    "$((ok * 1000 / (t1 - t0 + 1))) jobs/s (lists of 100)"

# let the queue drain, so that slots are free
i=0
while [ $i -lt 600 ]; do
	n=$(curl -s -H "X-Rucio-Auth-Token: $token" \
	    "$base/jobs?status=Waiting&status=Running&maxJobs=1" | jq .entries)
	[ "$n" = 0 ] && break
	sleep 0.2
	i=$((i + 1))
done
echo "queue drained in ~$((i / 5)) s"

: >"$T/starts"
for k in 1 2 3 4 5; do
	t0=$(now_ms)
	jid=$(curl -s -H "X-Rucio-Auth-Token: $token" -H 'Content-Type: application/json' \
	    --data-binary '{"Executable": "sleep", "Arguments": "0.5"}' "$base/jobs" |
	    jq '.jids[0]')
	until curl -s -H "X-Rucio-Auth-Token: $token" "$base/jobs/$jid" |
	    grep -q '"status":"Running"\|"status":"Done"'; do
		sleep 0.005
	done
	echo $(($(now_ms) - t0)) >>"$T/starts"
	# the slot is free again before the next one
	until curl -s -H "X-Rucio-Auth-Token: $token" "$base/jobs/$jid" |
	    grep -q '"status":"Done"'; do
		sleep 0.05
	done
done
echo "start: submission to Running, median of 5: $(sort -n "$T/starts" | sed -n 3p) ms" \
    "(all: $(sort -n "$T/starts" | tr '\n' ' '))"

# --- data: InputData staged by the supervisor, against cp -------------
nf=${BENCH_DATA_FILES:-10}
mb=${BENCH_DATA_MB:-10}
rse=$T/BENCH_DISK
mkdir -p "$rse/bench"
auth="X-Rucio-Auth-Token: $token"
curl -sf -H "$auth" -X POST --data-binary '{}' "$base/rses/BENCH_DISK" >/dev/null
curl -sf -H "$auth" -X POST --data-binary "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$rse\", \"impl\": \"rucio.rse.protocols.posix.Default\", \"domains\": {\"wan\": {\"read\": 1, \"write\": 1, \"delete\": 1}}}" \
    "$base/rses/BENCH_DISK/protocols/file" >/dev/null
curl -sf -H "$auth" -X POST --data-binary "" "$base/filecatalogue/directory/$(printf /bench | base64 -w0 | tr '+/' '-_')" >/dev/null
files=
lfns=
i=0
while [ $i -lt "$nf" ]; do
	head -c $((mb * 1048576)) /dev/urandom >"$rse/bench/f$i"
	a=$(python3 -c 'import sys, zlib
print("%08x" % zlib.adler32(open(sys.argv[1], "rb").read()))' "$rse/bench/f$i")
	files="$files${files:+,}{\"lfn\": \"/bench/f$i\", \"size\": $((mb * 1048576)), \"checksum\": \"$a\", \"replicas\": {\"BENCH_DISK\": \"file://localhost:0$rse/bench/f$i\"}}"
	lfns="$lfns${lfns:+,}\"/bench/f$i\""
	i=$((i + 1))
done
curl -sf -H "$auth" -X POST --data-binary "[$files]" "$base/filecatalogue/files" >/dev/null
: >"$T/cp"
for k in 1 2 3; do
	rm -rf "$T/cpdst"
	mkdir "$T/cpdst"
	t0=$(now_ms)
	cp "$rse"/bench/f* "$T/cpdst/"
	t1=$(now_ms)
	sync "$T"/cpdst/f*
	echo "$((t1 - t0)) $(($(now_ms) - t0))" >>"$T/cp"
done
: >"$T/claims"
: >"$T/runs"
: >"$T/minors"
for k in 1 2 3; do
	t0=$(now_ms)
	jid=$(curl -s -H "$auth" -H 'Content-Type: application/json' \
	    --data-binary "{\"Executable\": \"sleep\", \"Arguments\": \"0.2\", \"InputData\": [$lfns]}" \
	    "$base/jobs" | jq '.jids[0]')
	claimed=
	while :; do
		j=$(curl -s -H "$auth" "$base/jobs/$jid")
		if [ -z "$claimed" ] && printf '%s' "$j" | grep -q '"status":"Running"\|"status":"Done"\|"status":"Failed"'; then
			claimed=$(($(now_ms) - t0))
			printf '%s\n' "$j" | jq -r .minorStatus >>"$T/minors"
		fi
		printf '%s' "$j" | grep -q '"minorStatus":"Application"\|"status":"Done"\|"status":"Failed"' && break
		sleep 0.005
	done
	echo $(($(now_ms) - t0)) >>"$T/runs"
	echo "$claimed" >>"$T/claims"
	until curl -s -H "$auth" "$base/jobs/$jid" | grep -q '"status":"Done"\|"status":"Failed"'; do
		sleep 0.05
	done
	st=$(curl -s -H "$auth" "$base/jobs/$jid" | jq -r '.status + "/" + .minorStatus')
	[ "$st" = "Done/Execution Complete" ] || echo "data: job $jid ended $st"
done
run=$(sort -n "$T/runs" | sed -n 2p)
cpt=$(sort -n "$T/cp" | sed -n 2p)
echo "data: submission to Running with $nf x $mb MB InputData, median of 3:" \
    "claimed $(sort -n "$T/claims" | sed -n 2p) ms, started $run ms" \
    "(all: $(sort -n "$T/runs" | tr '\n' ' '))"
echo "data: minor status first seen Running: $(sort "$T/minors" | uniq -c |
    awk '{ $1 = $1 "x"; print }' | paste -sd, -)"
echo "data: cp of the same files: ${cpt% *} ms, cp + sync ${cpt#* } ms;" \
    "ratio started / cp = $(echo "scale=2; $run / ${cpt% *}" | bc)"

cat >"$T/token.lua" <<EOF
wrk.headers["X-Rucio-Auth-Token"] = "$token"
EOF
total=$(curl -s -H "X-Rucio-Auth-Token: $token" "$base/jobs?maxJobs=1" | jq .entries)
wrk -t2 -c4 -d5s -s "$T/token.lua" "$base/jobs?maxJobs=100" >"$T/wrk.out"
echo "list: GET /jobs?maxJobs=100 over $total jobs:" \
    "$(awk '/Requests\/sec/ { print $2 }' "$T/wrk.out") requests/s," \
    "latency $(awk '/Latency/ { print $2 }' "$T/wrk.out") avg"
