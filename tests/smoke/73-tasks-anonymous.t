#!/bin/sh
# 73-tasks-anonymous.t -- DRMAAtic's anonymous portal through lighttpd
# (GRIDREST_TASK_ANONYMOUS=1): callers without a token list, read and
# submit the public scripts (nothing else), throttled per client address,
# under one job uid of their own; a task's uuid is the capability to read
# it, its files and its zip, and (DRMAAtic's IsOwner) to stop or delete
# it; nobody lists anonymous tasks but admins; a wrong uuid is 404; a bad
# token is 403 (DRMAAtic's), never anonymous; every other anonymous request
# is throttled per address too; with the mode off, 401 as before. The local backend unless
# GRIDREST_DRM_BACKEND says otherwise (74-tasks-anonymous-slurm.t).
GR_TCP_PORT=auto # a real port: clients from 127.0.0.1 and 127.0.0.2
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-2}
export GRIDREST_TASK_ANONYMOUS=1
export GRIDREST_TASK_ANONYMOUS_RATE=7 GRIDREST_TASK_ANONYMOUS_RATE_PERIOD=3600
job_uids 3100500 3000064
drm_server_start
db=$B/gridrest-db
login
root=$TOKEN
J='Content-Type: application/json'
OTHER='--interface 127.0.0.2' # another client address

P=$(mktemp -d /tmp/gr-prog.XXXXXX)
chmod 755 "$P"
trap 'rc_=$?; rm -rf "$P"; (exit $rc_); finish' EXIT
cat >"$P/prog.sh" <<'EOF'
#!/bin/sh
echo "hello $1" >out.txt
id -u >uid.txt
echo ran
EOF
chmod 755 "$P/prog.sh"
printf 'input data\n' >"$T/data.txt"

reqb POST /script '{"name": "pub", "command": "'$P'/prog.sh", "is_output_visible": false,
 "param": [{"name": "who", "type": "string", "position": 1, "required": true},
  {"name": "in", "type": "file", "flag": "--in", "position": 2}]}' -H "$J"
reqb POST /script '{"name": "lab", "command": "/bin/true", "groups": ["lab"]}' -H "$J"
reqb POST /script '{"name": "hid", "command": "/bin/true", "hidden": true}' -H "$J"
reqb POST /script '{"name": "slow", "command": "/bin/sleep", "param": [{"name": "t", "type": "int", "default": "30"}]}' -H "$J"
is "an admin publishes scripts" "$STATUS" 201
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
jdoe=$("$db" token jdoe)
TOKEN=$jdoe
req POST /task -F task_name=pub -F who=jdoe
jt=$(json .uuid)
ok "a user's task ends" wait_task "$jt"

# --- scripts and submission -------------------------------------------------
TOKEN=
req GET /script
is "anonymous: the public scripts only" \
    "$STATUS/$(json -c '[.count, [.results[].name]]')" '200/[2,["pub","slow"]]'
req GET /script/pub
is "... a public one, as users see it" "$STATUS/$(json .command)" 200/null
req GET /script/lab
ok "a group's script: 404, as DRMAAtic hides it" error_is 404 ScriptNotFound
for s in lab hid nosuch; do
	req POST /task -F task_name=$s
	ok "no task of the $s script: 404" error_is 404 ScriptNotFound
done
reqb POST /script '{"name": "mine", "command": "/bin/true"}' -H "$J"
ok "no script is made without a token: 401" error_is 401 CannotAuthenticate
req POST /task -F task_name=pub -F who=world -F "in=@$T/data.txt"
is "a public script: 201" "$STATUS/$(json .task_name)/$(json .status)" \
    "201/pub/task has been created and sent to the DRM"
ta=$(json .uuid)
used=1 # anonymous submissions from 127.0.0.1
is "... the view names no owner" "$(json .owner)/$(json .sender_ip_addr)" null/null
ok "it ends, read by its uuid alone" wait_task "$ta"
is "... normally" "$st" "job finished normally"
req GET "/task/$ta/file/out.txt"
is "its file, by the uuid" "$STATUS/$(cat "$T/body")" "200/hello world"
req GET "/task/$ta/file"
is "its file list" "$(json -c .)" \
    "$(printf '%s\n' "${ta%%-*}_err.txt" "${ta%%-*}_out.txt" in.txt out.txt uid.txt |
	LC_ALL=C sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
req GET "/task/$ta/download"
is "its zip" "$STATUS/$(header Content-Type)" 200/application/zip
cp "$T/body" "$T/a.zip"
ok "... with its files" sh -c "unzip -Z1 '$T/a.zip' | grep -qx out.txt"
TOKEN=$root
req GET "/task/$ta"
is "the admin view: owner @anonymous, the client's address" \
    "$(json .owner)/$(json .sender_ip_addr)" @anonymous/127.0.0.1
TOKEN=$jdoe
req GET "/task/$ta"
is "a user holding the uuid reads it too" "$STATUS/$(json .uuid)" "200/$ta"
req GET "/task/$ta/file/out.txt"
is "... and its files" "$STATUS" 200
req PUT "/task/$ta/stop"
ok "... but does not stop it: 403" error_is 403 Forbidden
req DELETE "/task/$ta"
ok "... nor delete it" error_is 403 Forbidden

# --- one job uid for every anonymous task ------------------------------------
TOKEN=
req POST /task -F task_name=pub -F who=other $OTHER
is "another address submits" "$STATUS" 201
tb=$(json .uuid)
ok "... it ends" wait_task "$tb"
req GET "/task/$ta/file/uid.txt"
ua=$(cat "$T/body")
req GET "/task/$tb/file/uid.txt"
ub=$(cat "$T/body")
req GET "/task/$jt/file/uid.txt" -H "X-Rucio-Auth-Token: $jdoe"
uj=$(cat "$T/body")
is "anonymous tasks share one job uid" "$ub" "$ua"
ok_all "... not the user's, within GRIDREST_JOB_UID_MIN..MAX" \
    [ "$ua" != "$uj" ] -- [ "$ua" -ge "$GRIDREST_JOB_UID_MIN" ] -- \
    [ "$ua" -le "$GRIDREST_JOB_UID_MAX" ]

# --- the uuid is the capability -----------------------------------------------
nope=00000000-0000-4000-8000-000000000000
req GET "/task/$nope"
ok "a wrong uuid: 404" error_is 404 TaskNotFound
req GET "/task/$nope/file"
ok "... its files: 404" error_is 404 TaskNotFound
req GET "/task/$nope/download"
ok "... its zip: 404" error_is 404 TaskNotFound
req DELETE "/task/$nope"
ok "... its deletion: 404" error_is 404 TaskNotFound
req GET "/task/$jt"
ok "a user's task: 403" error_is 403 Forbidden
req GET "/task/$jt/file/out.txt"
ok "... its files" error_is 403 Forbidden
req GET "/task/$jt/download"
ok "... its zip" error_is 403 Forbidden
req PUT "/task/$jt/stop"
ok "... its stop" error_is 403 Forbidden
req DELETE "/task/$jt"
ok "... its deletion" error_is 403 Forbidden
req POST /task -F task_name=pub -F who=x -F parent_task="$jt"
ok "... nor is it a parent: 400" error_is 400 InvalidValueForKey
req POST /task -F task_name=pub -F who=x -F dependencies="$jt"
ok "... nor a dependency" error_is 400 InvalidValueForKey

# --- listings ---------------------------------------------------------------------
req GET /task
is "an anonymous listing: 204, as DRMAAtic" "$STATUS/$(wc -c <"$T/body")" 204/0
req GET "/task?ids=$jt,$ta,$ta,bogus,$tb"
is "... naming uuids: those anonymous tasks, newest first" \
    "$STATUS/$(json -c '[.count, [.results[].uuid]]')" "200/[2,[\"$tb\",\"$ta\"]]"
req GET "/task?ids=$jt"
is "... never an account's" "$(json .count)" 0
TOKEN=$jdoe
req GET /task
is "a user lists its own, no anonymous one" \
    "$(json -c '[.count, [.results[].uuid]]')" "[1,[\"$jt\"]]"
req GET "/task?ids=$ta"
is "... not even by its uuid" "$(json .count)" 0
TOKEN=$root
req GET "/task?ids=$ta,$tb,$jt"
is "an admin lists them" "$(json .count)" 3

# --- a child, stop and delete by the uuid ---------------------------------------
TOKEN=
req POST /task -F task_name=pub -F who=child -F parent_task="$ta"
is "a child of an anonymous task" "$STATUS/$(json .parent_task)" "201/$ta"
tc=$(json .uuid)
used=$((used + 1))
ok "... ends" wait_task "$tc"
req POST /task -F task_name=pub -F who=grandchild -F parent_task="$tc"
tg=$(json .uuid)
req POST /task -F task_name=pub -F who=sibling -F parent_task="$ta"
td=$(json .uuid)
used=$((used + 2))
req GET "/task/$ta"
is "... among its parent's descendants, breadth first" \
    "$(json -c .descendants)" "[\"$tc\",\"$td\",\"$tg\"]"
ok_all "... the others end" wait_task "$tg" -- wait_task "$td"
req GET "/task/$ta/file/${tc%%-*}_out.txt"
is "... in the parent's directory" "$STATUS/$(cat "$T/body")" 200/ran
req POST /task -F task_name=slow
ts=$(json .uuid)
used=$((used + 1))
wait_running "$ts"
req PUT "/task/$ts/stop"
is "the uuid stops it (DRMAAtic's IsOwner)" "$STATUS" 200
ok "... it ends stopped" wait_task "$ts"
is "... as the user stopped it" "$st" "job was stopped by the user"
req DELETE "/task/$ts"
is "... and deletes it" "$STATUS/$(json .deleted)" 200/true
req GET "/task/$ts"
ok "... gone for anybody but admins" error_is 404 TaskNotFound

# --- throttled per address -------------------------------------------------------
while [ $used -lt 7 ]; do
	req POST /task -F task_name=pub -F who=n
	[ "$STATUS" = 201 ] || break
	used=$((used + 1))
done
is "GRIDREST_TASK_ANONYMOUS_RATE submissions from one address" "$used/$STATUS" 7/201
req POST /task -F task_name=pub -F who=n
ok "one more: 429" error_is 429 Throttled
ok "... with Retry-After" matches "$(header Retry-After)" '^[0-9]+$'
req POST /task -F task_name=pub -F who=n $OTHER
is "another address has its own bucket" "$STATUS" 201
TOKEN=$jdoe
req POST /task -F task_name=pub -F who=n
is "an account from the throttled address has its own" "$STATUS" 201

# --- a bad token is 403, as DRMAAtic's ---------------------------------------------
forged="jdoe-jdoe-unknown-$(openssl rand -hex 16)"
expired=$("$db" token jdoe -1)
for bad in forged expired; do
	eval "TOKEN=\$$bad"
	req GET /script
	ok "a $bad token is no anonymous caller: 403" error_is 403 Forbidden
	req GET "/task/$ta"
	ok "... nor for a read by uuid" error_is 403 Forbidden
	req POST /task -F task_name=pub -F who=x
	ok "... nor for a submission" error_is 403 Forbidden
done

# --- anonymous reads throttled per address ----------------------------------------
server_stop
export GRIDREST_TASK_ANONYMOUS_READS=5 GRIDREST_TASK_ANONYMOUS_READS_PERIOD=3600
server_serve
THIRD='--interface 127.0.0.3'
TOKEN=
n=0
while [ $n -lt 5 ]; do
	req GET "/task/$ta" $THIRD
	[ "$STATUS" = 200 ] || break
	n=$((n + 1))
done
is "GRIDREST_TASK_ANONYMOUS_READS reads from one address" "$n/$STATUS" 5/200
req GET "/task/$ta" $THIRD
ok "one more: 429" error_is 429 Throttled
ok "... with Retry-After" matches "$(header Retry-After)" '^[0-9]+$'
req GET /script $THIRD
ok "... for every read (scripts too)" error_is 429 Throttled
req GET "/task/$ta/download" $THIRD
ok "... files and zips" error_is 429 Throttled
req PUT "/task/$ta/stop" $THIRD -d ''
ok "... and stops" error_is 429 Throttled
req POST /task -F task_name=pub -F who=r $THIRD
is "submissions have their own bucket" "$STATUS" 201
req GET "/task/$ta" $OTHER
is "another address reads" "$STATUS" 200
TOKEN=$jdoe
req GET "/task/$ta" $THIRD
is "a token from the throttled address reads" "$STATUS" 200

# --- the mode off --------------------------------------------------------------------
server_stop
unset GRIDREST_TASK_ANONYMOUS GRIDREST_TASK_ANONYMOUS_READS \
    GRIDREST_TASK_ANONYMOUS_READS_PERIOD
server_serve
TOKEN=$forged
req GET /script
ok "off: a forged token is still 403" error_is 403 Forbidden
TOKEN=
req GET /script
ok "off: no token is 401 again" error_is 401 CannotAuthenticate
req POST /task -F task_name=pub -F who=x $OTHER
ok "... for a submission" error_is 401 CannotAuthenticate
req GET "/task/$ta"
ok "... and a read by uuid" error_is 401 CannotAuthenticate
req GET /task
ok "... and a listing" error_is 401 CannotAuthenticate
req GET "/task/$ta/download"
ok "... and a zip" error_is 401 CannotAuthenticate
TOKEN=$jdoe
req GET "/task/$ta"
is "a token still reads the anonymous task by its uuid" "$STATUS" 200
