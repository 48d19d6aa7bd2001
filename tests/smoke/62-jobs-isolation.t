#!/bin/sh
# 62-jobs-isolation.t -- each account's jobs run under a uid of its own
# (from GRIDREST_JOB_UID_MIN..MAX): account A's job writes secret.txt and
# sleeps; account B's job, told A's pid, tries to read the file through
# /proc/<pid>/cwd, to overwrite it, to list the directory and to signal
# A's job, and fails at each; nor does it see A's process in /proc (the
# local backend gives each job a /proc of its own); A's own second job can
# do all of it (so the attack itself is sound). A's output sandbox then
# holds A's text. On the local backend the uids come from a range with no
# passwd entries (none is needed).
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-3}
job_uids 3100000 3000016
drm_server_start
db=$B/gridrest-db
login

# wait_ready JID: until the job's output starts with "ready" (20 s)
wait_ready() {
	local i=0
	while req GET "/jobs/$1/peek" && [ "$(head -1 "$T/body")" != ready ] &&
	    [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# the uid of process $1 (real)
uid_of() {
	awk '/^Uid:/ { print $2 }' "/proc/$1/status"
}

reqb POST /accounts/alice '{"type": "USER", "email": "alice@example.org"}'
reqb POST /accounts/bob '{"type": "USER", "email": "bob@example.org"}'
alice=$("$db" token alice)
bob=$("$db" token bob)

# Each script is named after its test run: pgrep finds this run's only
tag=iso$$
cat >"$T/$tag-a.sh" <<'EOF'
#!/bin/sh
echo alice-secret >secret.txt
echo ready
i=0
while [ ! -e done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
cat secret.txt
EOF
cat >"$T/$tag-b.sh" <<'EOF'
#!/bin/sh
p=$1
cat "/proc/$p/cwd/secret.txt" && echo READ || echo noread
(echo bob-was-here >"/proc/$p/cwd/secret.txt") 2>/dev/null && echo WROTE || echo nowrite
ls "/proc/$p/cwd/" >/dev/null 2>&1 && echo LISTED || echo nolist
cat "/proc/$p/environ" >/dev/null 2>&1 && echo ENVIRON || echo noenviron
[ -e "/proc/$p" ] && echo SEEN || echo unseen
grep -qs "iso[0-9]*-a.sh" /proc/[0-9]*/cmdline && echo CMDLINE || echo nocmdline
[ -e /proc/1 ] && echo INIT || echo noinit
kill -TERM "$p" 2>/dev/null && echo KILLED || echo nokill
id -u
EOF

TOKEN=$alice
req POST /jobs -F "manifest={\"Executable\": \"$tag-a.sh\", \"OutputSandbox\": [\"secret.txt\"]}" \
    -F "script=@$T/$tag-a.sh"
is "alice's job: submitted" "$STATUS" 200
ja=$(json '.jids[0]')
wait_ready "$ja"
is "... it wrote its secret and waits" "$(head -1 "$T/body")" ready
pa=$(pgrep -f "$tag-a.sh" | head -1)
ok "... its process is found" [ -n "$pa" ]
ua=$(uid_of "$pa")
cwd=$(readlink "/proc/$pa/cwd")
ok "... it runs under a uid of the range, not root" \
    [ "$ua" -ge "${GRIDREST_JOB_UID_MIN:-3000000}" ]
is "... its working directory is that uid's, mode 700" \
    "$(stat -c '%u %a' "$cwd")" "$ua 700"
is "... so is the uploaded script" "$(stat -c '%u' "$cwd/$tag-a.sh")" "$ua"
if [ "${GRIDREST_DRM_BACKEND:-local}" = local ]; then
	ok "... a uid with no passwd entry" sh -c "! getent passwd $ua"
fi

TOKEN=$bob
req POST /jobs -F "manifest={\"Executable\": \"$tag-b.sh\", \"Arguments\": \"$pa\"}" \
    -F "script=@$T/$tag-b.sh"
jb=$(json '.jids[0]')
ok "bob's job runs to its end" wait_job "$jb" Done Failed
req GET "/jobs/$jb/outputsandbox"
untar b
ub=$(tail -1 "$T/b/std.out")
ok "bob's job ran under a uid of its own" \
    test -n "$ub" -a "$ub" != "$ua" -a "$ub" != 0
is "bob cannot read, write, list, inspect or signal alice's job" \
    "$(sed -n '1,4p;8p' "$T/b/std.out" | tr '\n' ' ')" \
    "noread nowrite nolist noenviron nokill "
ok "... and alice's job still runs" kill -0 "$pa"
if [ "${GRIDREST_DRM_BACKEND:-local}" = local ]; then
	# a /proc of the job's own (GRIDREST_JOB_HIDEPID): on Slurm, the
	# nodes' own /proc settings decide (README)
	is "... nor see alice's process, its command line, or init" \
	    "$(sed -n 5,7p "$T/b/std.out" | tr '\n' ' ')" \
	    "unseen nocmdline noinit "
fi

# the same attack from alice's own second job works: the test can fail
TOKEN=$alice
req POST /jobs -F "manifest={\"Executable\": \"$tag-b.sh\", \"Arguments\": \"$pa\"}" \
    -F "script=@$T/$tag-b.sh"
jc=$(json '.jids[0]')
wait_job "$jc" Done Failed
req GET "/jobs/$jc/outputsandbox"
untar c
is "alice's own second job reaches the first's files (one account, one uid)" \
    "$(head -1 "$T/c/std.out")" alice-secret
is "... and sees its process and command line" \
    "$(grep -E '^(SEEN|unseen|CMDLINE|nocmdline)$' "$T/c/std.out" | tr '\n' ' ')" \
    "SEEN CMDLINE "
# (it also overwrote the file and signalled the first: start another)
req POST /jobs -F "manifest={\"Executable\": \"$tag-a.sh\", \"OutputSandbox\": [\"secret.txt\"]}" \
    -F "script=@$T/$tag-a.sh"
ja=$(json '.jids[0]')
wait_ready "$ja"
pa=$(pgrep -f "$tag-a.sh" | head -1)
TOKEN=$bob
req POST /jobs -F "manifest={\"Executable\": \"$tag-b.sh\", \"Arguments\": \"$pa\"}" \
    -F "script=@$T/$tag-b.sh"
jb=$(json '.jids[0]')
wait_job "$jb" Done Failed
touch "$(readlink "/proc/$pa/cwd")/done"
TOKEN=$alice
ok "alice's job ends" wait_job "$ja" Done Failed
is "... Done" "$st" Done
req GET "/jobs/$ja/outputsandbox"
is "the service still reads the job's outputs: 200" "$STATUS" 200
untar a
is "... secret.txt holds alice's text, not bob's" "$(cat "$T/a/secret.txt")" \
    alice-secret
is "... std.out too" "$(tail -1 "$T/a/std.out")" alice-secret

# --- tasks: the account's uid too ----------------------------------------
# task_uid UUID: the uid the task's output names (id), once it is there
task_uid() {
	local i=0
	while req GET "/task/$1/file/${1%%-*}_out.txt" &&
	    ! grep -q '^uid=' "$T/body" && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sed -n 's/^uid=\([0-9]*\).*/\1/p' "$T/body"
}
login
reqb POST /script '{"name": "whoami", "command": "/usr/bin/id"}' \
    -H 'Content-Type: application/json'
is "a script that says who runs it: 201" "$STATUS" 201
TOKEN=$alice
req POST /task -F task_name=whoami
ta=$(json .uuid)
is "alice's task runs under alice's job uid" "$(task_uid "$ta")" "$ua"
is "... in a directory of that uid, mode 700" \
    "$(stat -c '%u %a' "$GRIDREST_HOME/tasks/$ta")" "$ua 700"
TOKEN=$bob
req POST /task -F task_name=whoami
tb=$(json .uuid)
is "bob's task under bob's" "$(task_uid "$tb")" "$ub"
req GET "/task/$ta/file/${ta%%-*}_out.txt"
ok "... and bob cannot read alice's task's files through the API: 403" \
    error_is 403 Forbidden
