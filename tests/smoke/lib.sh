# lib.sh -- TAP helpers and a private gridrest per smoke test: its own
# temporary home, a real lighttpd listening on unix sockets (HTTP and
# HTTPS), the real FastCGI families, a real Berkeley DB environment.
# Sourced by tests/smoke/*.t, which prove runs from the top of the tree.
# Functions use "local", which dash and bash, Debian's shells, both know.

set -u
top=$(pwd)
B=${GR_BUILD:-build}
case $B in /*) ;; *) B=$top/$B ;; esac
# The test's files under the build tree: a checkout's tests never meet
# another's, and make clean removes what a failed test kept. Two reasons
# for /tmp instead: lighttpd's unix sockets live there ($T/http.sock,
# $T/home/run/files.sock), and AF_UNIX takes at most 107 bytes of path;
# and the job users must reach $T (drm_server_start), which a checkout in
# a private home does not let them.
mkdir -p "$B/tmp"
T=$(mktemp -d "$B/tmp/smoke.XXXXXX")
_d=$B/tmp # up to the first directory others cannot enter, or ""
while [ -n "$_d" ] && case $(stat -c %A "$_d") in *[xt]) ;; *) false ;; esac
do
	_d=${_d%/*}
done
[ ${#T} -le 80 ] && [ -z "$_d" ] ||
	{ rmdir "$T" && T=$(mktemp -d /tmp/gr-smoke.XXXXXX); }
_tap_n=0
_tap_failed=0
STATUS=
TOKEN=

export GRIDREST_BUILD=$B
export GRIDREST_HOME=$T/home
# free_port [N]: a TCP port p such that p .. p+N-1 (N: 2) have no socket
# in any state. Below the ephemeral range (32768-): a listener cannot bind
# a port that a client's connection holds, and loopback clients come and
# go there by the thousand while the suite runs (lighttpd once failed so).
# 10000-19999: clear of the test Slurm's ports and of webdav_start's.
free_port() {
	n=${1:-2}
	p=$((10000 + $$ % 4990 * 2))
	while :; do
		i=0
		while [ $i -lt "$n" ] && [ -z "$(ss -tanH "sport = :$((p + i))")" ]; do
			i=$((i + 1))
		done
		[ $i -eq "$n" ] && break
		p=$((p + n))
		[ $p -lt 19990 ] || p=10000
	done
	echo $p
}

# HTTP on a unix socket, or on 127.0.0.1:$GR_TCP_PORT when a test needs a
# real port (a browser); GR_TCP_PORT=auto picks a free one
[ "${GR_TCP_PORT:-}" = auto ] && GR_TCP_PORT=$(($(free_port 4) + 2))
if [ -n "${GR_TCP_PORT:-}" ]; then
	export GRIDREST_HTTP_BIND=127.0.0.1 GRIDREST_HTTP_PORT=$GR_TCP_PORT
	BASE=http://127.0.0.1:$GR_TCP_PORT
	VIA=
else
	export GRIDREST_HTTP_BIND=$T/http.sock GRIDREST_HTTP_PORT=0
	BASE=http://localhost
	VIA=$GRIDREST_HTTP_BIND
fi
export GRIDREST_HTTPS=$T/https.sock
export GRIDREST_ROOT_PASSWORD=smoke-secret
export GRIDREST_PBKDF2_ITER=${GRIDREST_PBKDF2_ITER:-1000}
export GRIDREST_MAX_BODY=${GRIDREST_MAX_BODY:-65536}
export GRIDREST_MAX_REQUEST=${GRIDREST_MAX_REQUEST:-1024}
export GRIDREST_PROCS=${GRIDREST_PROCS:-2}
# rules queue transfers; the tests of the rules themselves (no storage
# behind their RSEs) keep them queued: no mover unless a test asks
export GRIDREST_MOVER_START=${GRIDREST_MOVER_START:-0}
# and replicas their rules left keep their tombstones: no reaper either
export GRIDREST_REAPER_START=${GRIDREST_REAPER_START:-0}
if [ -n "${GR_ASAN:-}" ]; then
	export ASAN_OPTIONS="log_path=$T/asan:detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="log_path=$T/ubsan:print_stacktrace=1"
fi

# _tap PASSED DESCRIPTION [DIAGNOSTIC]: one TAP line; on failure the
# diagnostic (default: the last answer's status and body) on stderr,
# which prove shows without -v.
_tap() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 1 ]; then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		_tap_failed=$((_tap_failed + 1))
		echo "# $2: ${3:-status=$STATUS body: $(head -c 400 "$T/body" 2>/dev/null)}" >&2
	fi
}

# ok DESCRIPTION COMMAND...: one TAP line for the command's exit status.
# One command only: the shell reads `ok "x" [ a ] && [ b ]` as
# `{ ok "x" [ a ]; } && [ b ]`, whose [ b ] no line reports (make lint
# refuses such lines); use ok_all for several.
ok() {
	desc=$1
	shift
	if "$@"; then
		_tap 1 "$desc"
	else
		_tap 0 "$desc"
	fi
}

# ok_all DESCRIPTION COMMAND... [-- COMMAND...]...: one TAP line, ok when
# every command succeeds. They run in order, and the first that fails ends
# the line (a later one may rely on it), named in the diagnostic. A
# command that needs a literal "--" argument goes into a function.
ok_all() {
	local _oa_desc _oa_part _oa_n _oa_i _oa_cmd _oa_a
	_oa_desc=$1
	shift
	_oa_part=0
	while :; do
		_oa_part=$((_oa_part + 1))
		# the words up to the next "--", run as one command (eval
		# expands "${1}" ... "${N}" again: no word is re-split)
		_oa_n=0
		for _oa_a; do
			[ "$_oa_a" = -- ] && break
			_oa_n=$((_oa_n + 1))
		done
		if [ "$_oa_n" -eq 0 ]; then
			_tap 0 "$_oa_desc" "part $_oa_part is empty"
			return
		fi
		_oa_cmd=
		_oa_i=1
		while [ "$_oa_i" -le "$_oa_n" ]; do
			_oa_cmd="$_oa_cmd \"\${$_oa_i}\""
			_oa_i=$((_oa_i + 1))
		done
		if ! eval "$_oa_cmd"; then
			_oa_cmd=$(eval "printf '%s ' $_oa_cmd")
			_tap 0 "$_oa_desc" "part $_oa_part failed: $_oa_cmd(status=$STATUS)"
			return
		fi
		shift "$_oa_n"
		[ $# -eq 0 ] && break
		shift # the "--"
		if [ $# -eq 0 ]; then
			_tap 0 "$_oa_desc" "a \"--\" ends the line"
			return
		fi
	done
	_tap 1 "$_oa_desc"
}

# nonempty VALUE: VALUE is neither empty nor "null", what `json` (jq -r)
# prints for a member the body does not have.
nonempty() {
	[ -n "$1" ] && [ "$1" != null ]
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		_tap 1 "$1"
	else
		_tap 0 "$1" "$(printf "\n#   got: '%s'\n#  want: '%s'" "$2" "$3")"
	fi
}

# server_stop [HOME]: stop the lighttpd of HOME (default: this test's).
server_stop() {
	local pid backends alive i b
	pid=$(cat "${1:-$GRIDREST_HOME}/run/lighttpd.pid" 2>/dev/null) || return 0
	backends=$(pgrep -P "$pid" | tr '\n' ' ')
	kill "$pid" 2>/dev/null
	# lighttpd stops its backends with SIGTERM; wait for every one, so
	# that sanitizer reports, written at exit, are complete
	i=0
	while [ $i -lt 200 ]; do
		alive=
		for b in $pid $backends; do
			kill -0 "$b" 2>/dev/null && alive="$alive $b"
		done
		[ -z "$alive" ] && break
		sleep 0.05
		i=$((i + 1))
	done
	[ -z "$alive" ] || echo "# still running after 10 s:$alive"
}

EXTRA_HOMES= # homes of more servers a test started, stopped at the end
DAV=         # the WebDAV storage element's URL, once webdav_start ran

finish() {
	rc=$?
	# a script that stopped early (set -u, a failed command at its end)
	# is a failure, whatever its plan says
	if [ $rc -ne 0 ]; then
		_tap_n=$((_tap_n + 1))
		echo "not ok $_tap_n - the script ended with status $rc"
		_tap_failed=$((_tap_failed + 1))
	fi
	for h in $EXTRA_HOMES; do
		server_stop "$h"
	done
	[ -z "$DAV" ] || "$top/scripts/webdav-rse" stop
	server_stop
	if [ -n "${GR_ASAN:-}" ]; then
		_tap_n=$((_tap_n + 1))
		if [ -n "$(find "$T" -maxdepth 1 -name 'asan.*' -o -maxdepth 1 \
		    -name 'ubsan.*')" ]; then
			echo "not ok $_tap_n - no sanitizer reports"
			cat "$T"/asan.* "$T"/ubsan.* 2>/dev/null | sed 's/^/# /' | head -60
			_tap_failed=$((_tap_failed + 1))
		else
			echo "ok $_tap_n - no sanitizer reports"
		fi
	fi
	echo "1..$_tap_n"
	if [ $_tap_failed -eq 0 ]; then
		rm -rf "$T"
		exit 0
	else
		echo "# kept $T; lighttpd log:"
		tail -20 "$GRIDREST_HOME/log/error.log" 2>/dev/null | sed 's/^/# /'
		exit 1
	fi
}
# (background subshells must say "trap - EXIT", or they run it too)
trap finish EXIT

# drm_server_start: server_start for the tests that run jobs, on the
# backend GRIDREST_DRM_BACKEND names; with slurm, bail out unless the
# one-node Slurm runs, and let the job user (Slurm enters the working
# directories as that user) through the private home
# job_uids LOCAL SLURM: the job uids this test's accounts get, a block of
# its own, so that tests running at once (prove -j2) never share a uid:
# RLIMIT_NPROC and pgrep -U count every process of a uid, whichever test
# started it. LOCAL (no passwd entry needed): a hundred from there; SLURM:
# sixteen from there, within the 96 that scripts/slurm-local gives passwd
# entries from 3000000 (Slurm runs only users it knows). Before
# drm_server_start. The LOCAL blocks move by a step derived from the
# checkout's path, so two checkouts running make check at once (which
# each start their own servers) do not share uids either; the Slurm
# ones cannot move (passwd entries are the machine's).
job_uids() {
	if [ "${GRIDREST_DRM_BACKEND:-local}" = slurm ]; then
		export GRIDREST_JOB_UID_MIN=$2 GRIDREST_JOB_UID_MAX=$(($2 + 15))
	else
		step=$(printf %s "$top" | cksum | cut -d' ' -f1)
		step=$((step % 100 * 200000))
		export GRIDREST_JOB_UID_MIN=$(($1 + step)) \
		    GRIDREST_JOB_UID_MAX=$(($1 + step + 99))
	fi
}

drm_server_start() {
	if [ "${GRIDREST_DRM_BACKEND:-local}" = slurm ]; then
		scripts/slurm-local status || {
			echo "Bail out! Slurm is not running: make check starts it" \
			    "(scripts/slurm-local start; eval \"\$(scripts/slurm-local env)\")"
			exit 1
		}
	fi
	server_start
	chmod 711 "$T" "$GRIDREST_HOME"
}

server_start() {
	"$top/scripts/gridrest" init >"$T/init.out" 2>&1 || {
		echo "Bail out! init failed: $(cat "$T/init.out")"
		exit 1
	}
	server_serve
}

# server_serve: serve the home server_start made (again, after
# server_stop: settings changed in the environment take effect)
server_serve() {
	"$top/scripts/gridrest" serve >"$T/lighttpd.out" 2>&1 &
	i=0
	until curl -s ${VIA:+--unix-socket "$VIA"} -o /dev/null "$BASE/ping" ||
	    [ $i -ge 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	curl -s ${VIA:+--unix-socket "$VIA"} -o /dev/null "$BASE/ping" || {
		echo "Bail out! lighttpd did not start: $(cat "$T/lighttpd.out")"
		exit 1
	}
}

# webdav_start: a real WebDAV storage element (scripts/webdav-rse) under
# $T/webdav on a free port, with the home's CA (after server_start), stopped
# at the end; sets DAV (https://localhost:PORT) and DAV_PORT. The
# environment (GRIDREST_WEBDAV_*) stays set for scripts/webdav-rse.
webdav_start() {
	export GRIDREST_WEBDAV_HOME=$T/webdav
	# below the ephemeral ports (32768-), whose TIME-WAIT sockets would
	# refuse the bind; no socket in any state on it
	DAV_PORT=$((20000 + $$ % 10000))
	while [ -n "$(ss -tanH "sport = :$DAV_PORT")" ]; do
		DAV_PORT=$((DAV_PORT + 1))
	done
	export GRIDREST_WEBDAV_PORT=$DAV_PORT
	"$top/scripts/webdav-rse" start >"$T/webdav.out" 2>&1 || {
		echo "Bail out! webdav-rse did not start: $(cat "$T/webdav.out")"
		exit 1
	}
	DAV=https://localhost:$DAV_PORT
}

# --- storage (49-transfers.t, 66-jobs-data.t) ---

# rule NAME RSE [MORE]: root's rule for one copy of data:NAME on RSE (MORE:
# further members, ", \"key\": value"); its id in $RULE
rule() {
	reqb POST /rules/ "{\"dids\": [{\"scope\": \"data\", \"name\": \"$1\"}], \"account\": \"root\", \"copies\": 1, \"rse_expression\": \"$2\"${3-}}"
	RULE=$(json '.[0]')
}

# rse_pfn RSE SCOPE NAME: the file's PFN on RSE (lfns2pfns)
rse_pfn() {
	req GET "/rses/$1/lfns2pfns?lfn=$2:$3"
	json ".\"$2:$3\""
}
# posix_path PFN: a posix PFN's path
posix_path() {
	printf '%s' "${1#file://localhost:0}"
}
# adler FILE: its adler32, 8 hex digits
adler() {
	python3 -c 'import sys, zlib
print("%08x" % zlib.adler32(open(sys.argv[1], "rb").read()))' "$1"
}
# rse_put RSE SCOPE NAME FILE [ADLER32]: the file stored where lfns2pfns
# says and its replica registered there (AVAILABLE); $STATUS the POST's
rse_put() {
	local p a
	p=$(rse_pfn "$1" "$2" "$3")
	a=${5:-$(adler "$4")}
	case $p in
	file://*)
		mkdir -p "$(dirname "$(posix_path "$p")")"
		cp "$4" "$(posix_path "$p")" ;;
	*)
		dav_mkcols "$p"
		curl -sS --http1.1 --cacert "$GRIDREST_HOME/tls/ca.pem" -T "$4" \
		    "https${p#davs}" -o /dev/null ;;
	esac
	reqb POST /replicas "{\"rse\": \"$1\", \"files\": [{\"scope\": \"$2\", \"name\": \"$3\", \"bytes\": $(stat -c %s "$4"), \"adler32\": \"$a\"}]}"
}
# dav_file PFN: where a davs PFN of scripts/webdav-rse is stored on disk
dav_file() {
	printf '%s/data%s' "$GRIDREST_WEBDAV_HOME" "${1#davs://localhost:$DAV_PORT}"
}
# dav_mkcols PFN: the WebDAV collections above a davs PFN
dav_mkcols() {
	local u d c
	u=https${1#davs}
	d=
	for c in $(dirname "${u#"$DAV"}" | tr '/' ' '); do
		d=$d/$c
		curl -sS --http1.1 --cacert "$GRIDREST_HOME/tls/ca.pem" -X MKCOL \
		    "$DAV$d/" -o /dev/null
	done
}
# rse_states SCOPE NAME: the file's replicas, every state, as
# ["RSE=STATE", ...] sorted (POST /replicas/list with all_states)
rse_states() {
	reqb POST /replicas/list "{\"dids\": [{\"scope\": \"$1\", \"name\": \"$2\"}], \"all_states\": true}"
	json -c '[.states // {} | to_entries[] | .key + "=" + .value] | sort'
}
# store_verify WHEN: one TAP line, gridrest-db verify finding the store
# consistent (the rules' counters, the replicas' lock counts, the usage)
store_verify() {
	"$B/gridrest-db" verify >"$T/verify" 2>&1
	ok "gridrest-db verify: $1" grep -q '^verify: ok' "$T/verify"
}

# req METHOD PATH [curl args...]: the answer lands in $STATUS,
# $T/headers and $T/body. The token in $TOKEN, if any, is sent.
req() {
	exchange "$BASE" ${VIA:+--unix-socket "$VIA"} -- "$@"
}

# sreq METHOD PATH [curl args...]: req over HTTPS, trusting the home's CA;
# give a client certificate with --cert/--key.
sreq() {
	exchange https://localhost --unix-socket "$GRIDREST_HTTPS" \
	    --cacert "$GRIDREST_HOME/tls/ca.pem" -- "$@"
}

# exchange BASE [transport args...] -- METHOD PATH [curl args...]
exchange() {
	local base transport method path
	base=$1
	shift
	transport=
	while [ "$1" != -- ]; do
		transport="$transport $1"
		shift
	done
	shift
	method=$1
	path=$2
	shift 2
	if [ -n "$TOKEN" ]; then
		set -- -H "X-Rucio-Auth-Token: $TOKEN" "$@"
	fi
	# shellcheck disable=SC2086 # transport: options without spaces
	STATUS=$(curl -sS $transport -X "$method" -o "$T/body" \
	    -D "$T/headers" -w '%{http_code}' "$@" "$base$path" 2>"$T/curl.err")
}

# cert NAME TEMPLATE-LINES [SIGNER]: a key and certificate $T/NAME.{key,pem}
# made with certtool, signed by the home's CA (or by SIGNER's key and
# certificate, $T/SIGNER.{key,pem}; "self" for a self-signed one).
cert() {
	local name
	name=$1
	printf '%s\n' "$2" >"$T/$name.tmpl"
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/$name.key" \
	    2>/dev/null
	case ${3:-ca} in
	ca)
		certtool --generate-certificate --load-privkey "$T/$name.key" \
		    --load-ca-certificate "$GRIDREST_HOME/tls/ca.pem" \
		    --load-ca-privkey "$GRIDREST_HOME/tls/ca.key" \
		    --template "$T/$name.tmpl" --outfile "$T/$name.pem" 2>/dev/null ;;
	self)
		certtool --generate-self-signed --load-privkey "$T/$name.key" \
		    --template "$T/$name.tmpl" --outfile "$T/$name.pem" 2>/dev/null ;;
	*)
		certtool --generate-proxy --load-privkey "$T/$name.key" \
		    --load-ca-privkey "$T/$3.key" --load-ca-certificate "$T/$3.pem" \
		    --load-certificate "$T/$3.pem" --template "$T/$name.tmpl" \
		    --outfile "$T/$name.pem" 2>/dev/null
		cat "$T/$3.pem" >>"$T/$name.pem" ;;
	esac
}

# reqb METHOD PATH BODY [curl args...]: req with a request body, sent as
# the Rucio client sends it (no Content-Type).
reqb() {
	local method path
	method=$1
	path=$2
	printf '%s' "$3" >"$T/req"
	shift 3
	req "$method" "$path" --data-binary "@$T/req" -H 'Content-Type:' "$@"
}

# header NAME: a header of the last answer, without CR.
header() {
	grep -i "^$1:" "$T/headers" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# json [jq options] FILTER: jq -r over the last body.
json() {
	jq -r "$@" "$T/body" 2>/dev/null
}

# login [ACCOUNT USERNAME PASSWORD]: sets TOKEN.
# An empty ACCOUNT sends no X-Rucio-Account.
login() {
	TOKEN=
	if [ -n "${1-root}" ]; then
		set -- "X-Rucio-Account: ${1-root}" "${2:-root}" \
		    "${3:-$GRIDREST_ROOT_PASSWORD}"
	else
		set -- "X-Rucio-Account;" "${2:-root}" \
		    "${3:-$GRIDREST_ROOT_PASSWORD}"
	fi
	req GET /auth/userpass -H "$1" -H "X-Rucio-Username: $2" \
	    -H "X-Rucio-Password: $3"
	TOKEN=$(header X-Rucio-Auth-Token)
}

# error_is STATUS CLASS: the last answer is that error, in header and body.
error_is() {
	[ "$STATUS" = "$1" ] && [ "$(header ExceptionClass)" = "$2" ] &&
	    [ "$(json .ExceptionClass)" = "$2" ] &&
	    [ -n "$(json .ExceptionMessage)" ]
}

# matches STRING REGEX (extended)
matches() {
	printf '%s' "$1" | grep -Eq "$2"
}

# --- jobs (60-jobs.t, 62-jobs-isolation.t, 63-jobs-limits.t) ---

# wait_job JID STATE...: poll until the job is in one of the states (or
# 30 s pass); $st is the last status seen
wait_job() {
	local jid i s
	jid=$1
	shift
	i=0
	while [ $i -lt 300 ]; do
		req GET "/jobs/$jid"
		st=$(json .status)
		for s in "$@"; do
			[ "$st" = "$s" ] && return 0
		done
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# untar NAME: the last body as a tar.bz2, unpacked into $T/NAME
untar() {
	rm -rf "${T:?}/$1"
	mkdir -p "$T/$1"
	tar -xjf "$T/body" -C "$T/$1"
}

# --- tasks (70-tasks.t, 73-tasks-anonymous.t) ---

# wait_task UUID [curl args...]: poll until the task has ended (or 30 s
# pass); $st is the last status seen
wait_task() {
	local i uuid
	uuid=$1
	shift
	i=0
	while [ $i -lt 300 ]; do
		req GET "/task/$uuid" "$@"
		st=$(json .status)
		case $st in
		"job finished normally" | "job finished, but failed" | \
		    "job was stopped by the user") return 0 ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_running UUID: poll until the task runs (or 10 s pass)
wait_running() {
	local i
	i=0
	until [ "$(json .status)" = "job is running" ] || [ $i -ge 100 ]; do
		sleep 0.1
		req GET "/task/$1"
		i=$((i + 1))
	done
}

# --- clusters (92-cluster.t, 93-cluster-forward.t) ---

# cluster_init: settings for scripts/cluster-local under $T, and its stop
# at exit. It defines (for the cluster tests only: "node" is Node.js
# elsewhere) cl ARGS (the script), node I (its URL), on I METHOD PATH
# [curl args...] (req against node I), role I (what its /health says,
# empty when it does not answer), cluster_start3 (start 3 nodes, tested;
# sets m: the master's number, r1 and r2: the replicas').
cluster_init() {
	export GRIDREST_CLUSTER=$T/cluster
	GRIDREST_CLUSTER_PORT=$(free_port 4)
	export GRIDREST_CLUSTER_PORT
	export GRIDREST_CLUSTER_LB_PORT=$((GRIDREST_CLUSTER_PORT + 3))
	export GRIDREST_ROOT_PASSWORD=cluster-secret
	cl() { "$top/scripts/cluster-local" "$@"; }
	cluster_finish() {
		cl stop >/dev/null 2>&1
		finish
	}
	node() { echo "http://127.0.0.$((10 + $1)):$GRIDREST_CLUSTER_PORT"; }
	on() {
		local n
		n=$1
		shift
		exchange "$(node "$n")" -- "$@"
	}
	role() {
		curl -s -m 2 "$(node "$1")/health" | jq -r .role 2>/dev/null
	}
	_cluster_start() {
		cl start 3 >"$T/start.out" 2>&1 || {
			sed 's/^/# /' "$T/start.out" >&2
			return 1
		}
	}
	trap cluster_finish EXIT
}
cluster_start3() {
	local i
	ok "cluster-local start 3" _cluster_start
	m=$(cl master)
	r1=
	r2=
	for i in 1 2 3; do
		[ "$i" = "$m" ] && continue
		if [ -z "$r1" ]; then r1=$i; else r2=$i; fi
	done
	ok "one node is the master" nonempty "$m"
	is "node $r1 is a replica" "$(role "$r1")" replica
	is "node $r2 is a replica" "$(role "$r2")" replica
}
