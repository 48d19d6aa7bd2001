#!/bin/sh
# 72-tasks-claim.t -- a task's working directory and uploads exist before
# anything can claim it: with one slot, supervisors that finish a task
# take the next queued one in the same transaction as the end, so every
# submission lands while a supervisor may be looking. Each task's program
# reads its upload and fails without it; every task must end normally.
# (Until the submission core wrote the files before the commit, a task
# was QUEUED, and claimable, before its directory existed.)
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=1
export GRIDREST_TASK_RATE=100000
job_uids 3100400 3000048
drm_server_start
login
root=$TOKEN
J='Content-Type: application/json'

P=$(mktemp -d /tmp/gr-prog.XXXXXX)
chmod 755 "$P"
trap 'rc_=$?; rm -rf "$P"; (exit $rc_); finish' EXIT
cat >"$P/chk.sh" <<'PROG'
#!/bin/sh
# the upload, given as a relative name, must be there and whole
[ "$(cat "$1" 2>/dev/null)" = payload ] || { echo "no $1 in $(pwd)" >&2; exit 3; }
PROG
chmod 755 "$P/chk.sh"
printf payload >"$T/in.txt"

reqb POST /script '{"name": "chk", "command": "'$P'/chk.sh", "param": [{"name": "in", "type": "file", "position": 1, "required": true}]}' -H "$J"
is "a script that needs its upload" "$STATUS" 201

# N tasks from 3 clients at once, one slot: submissions and claims overlap
N=${CLAIM_TASKS:-150}
sub() {
	local i
	i=0
	while [ $i -lt "$1" ]; do
		curl -s --unix-socket "$VIA" -H "X-Rucio-Auth-Token: $root" \
		    -F task_name=chk -F "in=@$T/in.txt" "$BASE/task" |
		    jq -r .uuid >>"$T/uuids.$2"
		i=$((i + 1))
	done
}
sub $((N / 3)) a &
pa=$!
sub $((N / 3)) b &
pb=$!
sub $((N / 3)) c
wait $pa $pb
cat "$T"/uuids.? >"$T/uuids"
is "every submission was accepted" "$(grep -c -- - "$T/uuids")" $((N / 3 * 3))

# wait for the queue to drain
i=0
while [ $i -lt 600 ]; do
	req GET "/task?status=job+is+queued+and+active&page_size=1"
	q=$(json .count)
	req GET "/task?status=job+is+running&page_size=1"
	[ "$q" = 0 ] && [ "$(json .count)" = 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
req GET "/task?status=job+finished+normally&page_size=1"
is "every task found its upload when it started" "$(json .count)" $((N / 3 * 3))
req GET "/task?status=job+finished,+but+failed&page_size=1"
is "... none failed" "$(json .count)" 0
