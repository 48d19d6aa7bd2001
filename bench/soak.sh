#!/bin/sh
# soak.sh -- a mixed read/write load over every family for SOAK_SECONDS
# (600) while processes are killed with SIGKILL at random, then a check
# that every acknowledged write is there.
#
#   writers   SOAK_WRITERS (4) clients, each in turn: a DID (dids), a
#             replica of a new file (rses), a catalogue directory
#             (files), an account attribute (auth), and every
#             SOAK_JOB_EVERY-th round (5) a job (jobs), a task (tasks) and
#             a file written on the posix RSE SOAK_A with a rule to SOAK_B
#             (rses: the mover copies it); each answer's status and time
#             are recorded, an acknowledged write (2xx) by its name
#   readers   SOAK_READERS (2) clients: a DID, a file's replicas, a
#             directory, an account, the job list, the scripts (tasks)
#   killer    every SOAK_KILL_EVERY (2) seconds, one process at random
#             among the backends (lighttpd's children), the job
#             supervisors (drm-supervisor), the store's keeper
#             (gridrest-keeper), the mover and its workers, the rule
#             evaluator and the reaper of this home
#
# It prints: writes acknowledged, lost (acknowledged but not found
# afterwards: must be 0; the exit status says so), answers by status, the
# longest request, the kills by kind, each process's resident memory
# (private+shared KiB) after a 10 s warm-up and at the end, and every 5xx
# answer by who gave it: lighttpd, for a backend killed under the
# request, or gridrest (a bug: printed with its body), and the states of
# the acknowledged rules (the mover's work under the kills).
# Settings: SOAK_SECONDS, SOAK_WRITERS, SOAK_READERS, SOAK_KILL_EVERY,
# SOAK_JOB_EVERY, BENCH_PORT (18110), GR_BUILD (build).
set -eu
secs=${SOAK_SECONDS:-600}
writers=${SOAK_WRITERS:-4}
readers=${SOAK_READERS:-2}
every=${SOAK_KILL_EVERY:-2}
jobs_every=${SOAK_JOB_EVERY:-5}
port=${BENCH_PORT:-18110}
export GRIDREST_DURABILITY=${GRIDREST_DURABILITY:-sync}
export GRIDREST_TASK_RATE=1000000 GRIDREST_TASK_RATE_PERIOD=1
. "$(dirname "$0")/lib.sh"
bench_start

call POST /scopes/root/soak ''
call POST /rses/SOAK_DISK '{}'
dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
for r in SOAK_A SOAK_B; do
	call POST "/rses/$r" '{}'
	call POST "/rses/$r/protocols/file" "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/$r\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
done
call POST /script '{"name": "soak", "command": "/bin/true"}'
call POST /filecatalogue/directory/L3NvYWs ''
lpid=$(cat "$GRIDREST_HOME/run/lighttpd.pid")
deadline=$(($(date +%s) + secs))

# req METHOD PATH [BODY]: prints "status seconds"; a 5xx answer's body
# goes to $T/5xx with the request, for the summary's "who said it"
req() {
	r=$(curl -s -o "$T/body.$me" -w '%{http_code} %{time_total}' \
	    -X "$1" -H "X-Rucio-Auth-Token: $token" --max-time 120 \
	    --data-binary "${3-}" "$base$2" || echo "000 120")
	case $r in 5*) note5xx "$1 $2" "$r" "$T/body.$me" ;; esac
	echo "$r"
}

# note5xx REQUEST STATUS BODYFILE: one line per 5xx answer, tagged by who
# wrote it: "lighttpd" when the body is the error file it serves for a 500
# of its own (a backend that died under the request: the killer's SIGKILL;
# lighttpd cannot replay a request it already sent), "gridrest" for any
# other body, "empty" for none

note5xx() {
	if grep -q 'backend failed while answering' "$3" 2>/dev/null; then
		who=lighttpd # its error file for a 500 it made itself
	elif [ -s "$3" ]; then
		who=gridrest
	else
		who=empty
	fi
	printf '%s %s %s %s\n' "$who" "$(date +%s)" "$2" "$1" >>"$T/5xx"
	[ $who = lighttpd ] || head -c 300 "$3" >>"$T/5xx"
}

b64() {
	printf %s "$1" | base64 -w0 | tr '+/' '-_' | tr -d =
}

# mover_write: a file of 5 bytes at its PFN on SOAK_A (the posix hash
# path), its replica, and a rule to SOAK_B, which the mover copies
mover_write() {
	h=$(printf 'soak:g%s' "$name" | md5sum | cut -c1-4)
	d=$T/SOAK_A/soak/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-4)
	mkdir -p "$d" && printf 'soak\n' >"$d/g$name"
	r=$(req POST /replicas "{\"rse\": \"SOAK_A\", \"files\": [{\"scope\": \"soak\", \"name\": \"g$name\", \"bytes\": 5, \"adler32\": \"060301b9\"}]}")
	echo "$r" >>"$log"
	case $r in 2*) ;; *) return 0 ;; esac
	r=$(req POST /rules/ "{\"dids\": [{\"scope\": \"soak\", \"name\": \"g$name\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"SOAK_B\"}")
	echo "$r" >>"$log"
	case $r in
	2*) jq -r '.[0] // empty' "$T/body.$me" >>"$T/ack.rule.$n" \
	    2>/dev/null || true ;;
	esac
}

# writer N: until the deadline; acknowledged names into $T/ack.<kind>.N
writer() {
	n=$1 i=0 me=w$1
	log=$T/w.$n
	while [ "$(date +%s)" -lt "$deadline" ]; do
		name=w$n-$i
		r=$(req POST "/dids/soak/$name" '{"type": "DATASET"}')
		echo "$r" >>"$log"
		case $r in 2*) echo "$name" >>"$T/ack.did.$n" ;; esac
		r=$(req POST /replicas "{\"rse\": \"SOAK_DISK\", \"files\": [{\"scope\": \"soak\", \"name\": \"f$name\", \"bytes\": $i}]}")
		echo "$r" >>"$log"
		case $r in 2*) echo "f$name" >>"$T/ack.replica.$n" ;; esac
		r=$(req POST "/filecatalogue/directory/$(b64 "/soak/$name")" '')
		echo "$r" >>"$log"
		case $r in 2*) echo "$name" >>"$T/ack.dir.$n" ;; esac
		r=$(req POST "/accounts/root/attr/soak.$name" '{"value": true}')
		echo "$r" >>"$log"
		case $r in 2*) echo "$name" >>"$T/ack.attr.$n" ;; esac
		if [ $((i % jobs_every)) -eq 0 ]; then
			mover_write
			r=$(req POST /task 'task_name=soak')
			echo "$r" >>"$log"
			case $r in
			2*) jq -r '.uuid // empty' "$T/body.$me" \
			    >>"$T/ack.task.$n" 2>/dev/null || true ;;
			esac
			out=$(curl -s -w '\n%{http_code} %{time_total}' \
			    -H "X-Rucio-Auth-Token: $token" --max-time 120 \
			    -H 'Content-Type: application/json' \
			    --data-binary "{\"Executable\": \"/bin/true\", \"JobName\": \"$name\"}" \
			    "$base/jobs" || printf '\n000 120')
			r=$(printf '%s\n' "$out" | tail -1)
			echo "$r" >>"$log"
			case $r in
			5*) printf '%s\n' "$out" | head -1 >"$T/body.$me"
			    note5xx "POST /jobs" "$r" "$T/body.$me" ;;
			esac
			case $r in
			2*) printf '%s\n' "$out" | head -1 |
			    jq -r '.jids[]?' 2>/dev/null >>"$T/ack.job.$n" ||
			    true ;;
			esac
		fi
		i=$((i + 1))
	done
}

reader() {
	me=r$1
	log=$T/r.$1
	while [ "$(date +%s)" -lt "$deadline" ]; do
		req GET /dids/soak/w0-0 >>"$log"
		req GET /replicas/soak/fw0-0 >>"$log"
		req GET "/filecatalogue/directory/$(b64 /soak)" >>"$log"
		req GET /accounts/root >>"$log"
		req GET '/jobs?maxJobs=10' >>"$log"
		req GET /script >>"$log"
	done
}

# the server's processes, "pid name": lighttpd's children and the
# detached ones of this home
procs() {
	for p in $(pgrep -P "$lpid"); do
		printf '%s %s\n' "$p" "$(ps -o comm= -p "$p" 2>/dev/null)"
	done
	for name in drm-supervisor gridrest-keeper gridrest-mover \
	    mover-worker gridrest-rules gridrest-reaper; do
		for p in $(pgrep -x "$name"); do
			# ours: its environment or arguments name our home
			if cat "/proc/$p/environ" "/proc/$p/cmdline" \
			    2>/dev/null | tr '\0' '\n' |
			    grep -q "$GRIDREST_HOME"; then
				printf '%s %s\n' "$p" "$name"
			fi
		done
	done
}

# each process's resident memory in KiB as private+shared: private is its
# own heap and stacks (RssAnon), shared the pages of the store's mapped
# regions and files it touched (RssFile + RssShmem), counted again in
# every process that touches them, so only private growth is a leak
rss() {
	procs | while read -r p name; do
		awk -v n="$name($p)" '
			/^RssAnon:/ { a = $2 }
			/^RssFile:|^RssShmem:/ { s += $2 }
			END { if (a != "") printf "%s=%d+%d ", n, a, s }
		' "/proc/$p/status" 2>/dev/null
	done
}

killer() {
	while [ "$(date +%s)" -lt "$deadline" ]; do
		sleep "$every"
		victim=$(procs | shuf -n 1 || true)
		[ -n "$victim" ] || continue
		kill -9 "${victim%% *}" 2>/dev/null &&
		    echo "${victim#* }" >>"$T/kills" &&
		    echo "$(date +%s) ${victim#* }" >>"$T/killtimes" || true
	done
}

: >"$T/kills"
pids=
n=0
while [ $n -lt "$writers" ]; do
	writer $n &
	pids="$pids $!"
	n=$((n + 1))
done
n=0
while [ $n -lt "$readers" ]; do
	reader $n &
	pids="$pids $!"
	n=$((n + 1))
done
sleep 10
echo "rss after 10 s (KiB): $(rss)"
killer &
pids="$pids $!"
# shellcheck disable=SC2086 # the clients, not the server (also a job)
wait $pids
sleep 2
echo "rss at the end (KiB): $(rss)"

# every acknowledged write, read back
lost=0 acked=0
check() { # KIND PATH-PREFIX [b64|stream]: 200 (and a line, for a stream)
	for f in "$T"/ack."$1".*; do
		[ -e "$f" ] || continue
		while read -r name; do
			acked=$((acked + 1))
			p=$name
			[ "${3:-}" = b64 ] && p=$(b64 "/soak/$name")
			code=$(curl -s -o "$T/got" -w '%{http_code}' \
			    -H "X-Rucio-Auth-Token: $token" "$base$2$p")
			[ "${3:-}" != stream ] || [ -s "$T/got" ] || code=empty
			[ "$code" = 200 ] || {
				lost=$((lost + 1))
				echo "lost: $1 $name ($code)"
			}
		done <"$f"
	done
}
check did /dids/soak/
check replica /replicas/soak/ stream
check dir /filecatalogue/directory/ b64
check job /jobs/
check task /task/
check rule /rules/
curl -s -H "X-Rucio-Auth-Token: $token" "$base/accounts/root/attr" >"$T/attrs"
for f in "$T"/ack.attr.*; do
	[ -e "$f" ] || continue
	while read -r name; do
		acked=$((acked + 1))
		grep -q "\"soak.$name\"" "$T/attrs" || {
			lost=$((lost + 1))
			echo "lost: attr $name"
		}
	done <"$f"
done

cat "$T"/w.* "$T"/r.* >"$T/all"
echo "soak: $secs s, $writers writers, $readers readers, a kill every $every s (a shared machine)"
echo "writes acknowledged: $acked; lost: $lost"
echo "answers by status: $(cut -d' ' -f1 "$T/all" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
echo "longest request: $(sort -k2 -n -r "$T/all" | head -1 | awk '{print $2 " s (status " $1 ")"}')"
echo "kills: $(sort "$T/kills" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
# the mover's work: the acknowledged rules by state now
cat "$T"/ack.rule.* 2>/dev/null | while read -r id; do
	curl -s -H "X-Rucio-Auth-Token: $token" "$base/rules/$id" |
	    jq -r '.state // "none"'
done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1} END {print ""}' >"$T/rulestates"
echo "rules by state: $(cat "$T/rulestates")"
# 5xx by who answered; lighttpd's must each follow a backend's kill within
# 2 s (the request was on the process killed), gridrest's are bugs
: >>"$T/5xx"
: >>"$T/killtimes"
echo "5xx from lighttpd (backend killed under the request): $(grep -c '^lighttpd ' "$T/5xx" || true)," \
    "of which not within 2 s of a backend's kill: $(awk '
	NR == FNR { if ($2 ~ /fcgi/) k[$1] = 1; next }
	$1 == "lighttpd" && !(k[$2] || k[$2 - 1] || k[$2 - 2]) { n++ }
	END { print n + 0 }' "$T/killtimes" "$T/5xx")"
echo "5xx from gridrest or without a body: $(grep -c '^gridrest \|^empty ' "$T/5xx" || true)"
grep -A1 '^gridrest \|^empty ' "$T/5xx" || true
[ "$lost" -eq 0 ]
