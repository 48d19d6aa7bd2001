#!/bin/sh
# 68-jobs-data-kill.t -- a job's input data is copied inside the job's
# life, as DIRAC's job wrapper does: the job is Running ("Input Data
# Resolution") while a large input comes from a slow WebDAV storage, a
# kill ends the copy at once (nothing of it left in the working
# directory), and the time limit counts the copy; locally, a supervisor
# killed -9 while it copies takes its copy with it (the job found lost).
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-2}
job_uids 3400000 3000096
drm_server_start
login
# 64 KiB/s: the 64 MiB input below would take over 17 minutes
export GRIDREST_WEBDAV_KBPS=64
webdav_start
root=$TOKEN
db=$B/gridrest-db

dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
install -m 644 "$GRIDREST_HOME/tls/ca.pem" "$T/ca.pem"
reqb POST /rses/DAV_SLOW '{}'
reqb POST /rses/DAV_SLOW/protocols/davs "{\"hostname\": \"localhost\", \"port\": $DAV_PORT, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", \"extended_attributes\": {\"ca_file\": \"$T/ca.pem\"}, $dom}"
is "a slow WebDAV RSE" "$STATUS" 201
reqb POST /accounts/alice '{"type": "USER", "email": "alice@example.org"}'
reqb POST /scopes/root/data ''
is "alice and the scope data" "$STATUS" 201
alice=$("$db" token alice)

# data:big.bin, 64 MiB, written where the WebDAV server serves it
p=$(rse_pfn DAV_SLOW data big.bin)
f=$(dav_file "$p")
mkdir -p "$(dirname "$f")"
truncate -s 64M "$f"
reqb POST /replicas "{\"rse\": \"DAV_SLOW\", \"files\": [{\"scope\": \"data\", \"name\": \"big.bin\", \"bytes\": $(stat -c %s "$f"), \"adler32\": \"$(adler "$f")\"}]}"
is "data:big.bin registered on DAV_SLOW" "$STATUS" 201

# submit MANIFEST: as alice; the jid in $jid
submit() {
	TOKEN=$alice
	req POST /jobs --data-urlencode "manifest=$1"
	jid=$(json '.jids[0]')
	TOKEN=$root
}
# copying JID: until the job's input is being copied (its temporary file
# has bytes) or 30 s pass; $dir the job's working directory
copying() {
	local i
	i=0
	dir=
	while [ $i -lt 300 ]; do
		part=$(find "$GRIDREST_HOME/jobs" -name .big.bin.gridrest-part \
		    -size +0 2>/dev/null | head -1)
		if [ -n "$part" ]; then
			dir=$(dirname "$part")
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# ended JID: until the DRM recorded the job's end (endExecution) or 30 s
ended() {
	local i
	i=0
	TOKEN=$alice
	while [ $i -lt 300 ]; do
		req GET "/jobs/$1"
		[ "$(json -r '.times.endExecution // empty')" != "" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	TOKEN=$root
	[ $i -lt 300 ]
}

# --- a kill while the input is copied --------------------------------
submit '{"Executable": "/bin/echo", "Arguments": "ran", "InputData": ["data:big.bin"]}'
is "a job with 64 MiB of slow input: accepted" "$STATUS" 200
j1=$jid
ok "... its input is being copied" copying "$j1"
TOKEN=$alice
req GET "/jobs/$j1"
TOKEN=$root
is "... meanwhile the job is Running, resolving its input data" \
    "$(json -r '[.status, .minorStatus] | join("/")')" \
    "Running/Input Data Resolution"
ok "... its start is the copy's" nonempty "$(json -r '.times.startExecution // empty')"
TOKEN=$alice
req DELETE "/jobs/$j1?killonly=1"
TOKEN=$root
is "killed while copying: 200" "$STATUS" 200
ok "... the copy ends with the job (not after 17 minutes)" ended "$j1"
is "... Killed" "$(json .status)" Killed
ok "... no partial copy left" [ ! -e "$dir/.big.bin.gridrest-part" ]
ok "... nor the input" [ ! -e "$dir/big.bin" ]
ok "... the job never ran" [ "$(cat "$dir/std.out" 2>/dev/null)" != ran ]
# released DIR: no process holds the (unlinked) partial copy open
released() {
	sleep 0.5
	! ls -l /proc/[0-9]*/fd 2>/dev/null | grep -qF "$1/.big.bin.gridrest-part"
}
ok "... no process still writes it" released "$dir"

# --- the time limit counts the copy ----------------------------------
submit '{"Executable": "/bin/echo", "Arguments": "ran", "InputData": ["data:big.bin"], "WallTime": 3}'
j2=$jid
ok "a job of 3 s whose input takes minutes: copying" copying "$j2"
ok "... ended by its time limit" ended "$j2"
is "... Failed at the limit" "$(json -r '[.status, .minorStatus] | join("/")')" \
    "Failed/Job has reached the CPU limit of the queue"
is "... which the copy reached" "$(json -r .appStatus)" \
    "the job reached its time limit while its input data was copied"
ok "... the job never ran" [ "$(cat "$dir/std.out" 2>/dev/null)" != ran ]
ok "... no partial copy left" [ ! -e "$dir/.big.bin.gridrest-part" ]
ok "... nor a whole one" [ ! -e "$dir/big.bin" ]

# --- its supervisor killed while it copies (local) ---------------------
# the copy is noted in the supervisor's slot: the look that finds the
# job LOST ends it, as it ends a job's processes
if [ "${GRIDREST_DRM_BACKEND:-local}" = local ]; then
	submit '{"Executable": "/bin/echo", "Arguments": "ran", "InputData": ["data:big.bin"]}'
	j3=$jid
	ok "a third job copying" copying "$j3"
	# the copying process holds the partial copy; its parent supervises
	cp_pid=$(ls -l /proc/[0-9]*/fd 2>/dev/null | awk -v f="$dir/.big.bin.gridrest-part" '
	    /^\/proc\// { p = $1; sub("^/proc/", "", p); sub("/fd:$", "", p) }
	    index($0, f) { print p; exit }')
	sup=$(awk '/^PPid:/ { print $2 }' "/proc/$cp_pid/status" 2>/dev/null)
	ok_all "... by a process of its own under the supervisor" \
	    [ -n "$cp_pid" ] -- \
	    [ "$(cat "/proc/$sup/comm" 2>/dev/null)" = drm-supervisor ]
	kill -9 "$sup"
	TOKEN=$alice
	wait_job "$j3" Failed Stalled
	TOKEN=$root
	is "... the supervisor killed -9: the job found lost" "$(json .minorStatus)" \
	    "Watchdog identified this job as stalled"
	gone() {
		local i
		i=0
		while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		! kill -0 "$1" 2>/dev/null
	}
	ok "... and its copy ended with it" gone "$cp_pid"
fi
