#!/bin/sh
# 70-tasks.t -- the DRMAA task portal through lighttpd: scripts managed by
# an admin (typed parameters, groups, hidden ones, pagination), tasks that
# really run under the DRM (the local backend; 71-tasks-slurm.t: Slurm),
# their argv, files, zip, dependencies, arrays, stop and delete, rights
# and hostile input.
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-3}
export GRIDREST_TASK_RATE=${GRIDREST_TASK_RATE:-1000}
job_uids 3100300 3000048
drm_server_start
db=$B/gridrest-db
login
root=$TOKEN
J='Content-Type: application/json'

# the program lives where the job user can reach it ($T is the
# service's alone)
P=$(mktemp -d /tmp/gr-prog.XXXXXX)
chmod 755 "$P"
trap 'rc_=$?; rm -rf "$P"; (exit $rc_); finish' EXIT
# the program: its arguments one a line in brackets, a nested file, the
# array index, the content of its input file (n=9)
cat >"$P/prog.sh" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '[%s]\n' "$a"; done >args.txt
mkdir -p sub && echo nested >sub/deep.txt
# n=9: what its input file holds, as the job found it
case " $* " in *" -n 9 "*) cat in.txt >seen.txt ;; esac
if [ -n "${GRIDREST_ARRAY_TASK_ID:-}" ]; then
	echo "$GRIDREST_ARRAY_TASK_ID" >"idx_$GRIDREST_ARRAY_TASK_ID.txt"
fi
echo "ran"
EOF
chmod 755 "$P/prog.sh"
# a hostile program: a FIFO, and names unsafe in an archive
cat >"$P/hostile.sh" <<'EOF'
#!/bin/sh
mkfifo fifo
: >'..\..\evil.txt'
: >"$(printf 'a\nb.txt')"
: >'   '
echo good >good.txt
EOF
chmod 755 "$P/hostile.sh"
printf 'input data\n' >"$T/data.txt"

TOKEN=
req GET /script
ok "no token: 401" error_is 401 CannotAuthenticate
TOKEN=$root

# --- scripts --------------------------------------------------------------
all='{"name": "all", "command": "'$P'/prog.sh", "max_clock_time": "00:10",
 "job": {"cpus": 1, "queue": "local"}, "is_output_visible": false,
 "param": [
  {"name": "n", "type": "int", "flag": "-n", "position": 1, "required": true, "description": "a count"},
  {"name": "x", "type": "float", "flag": "--x=", "position": 2, "default": "1.5"},
  {"name": "s", "type": "string", "position": 3},
  {"name": "v", "type": "bool", "flag": "-v", "position": 0},
  {"name": "q", "type": "bool", "flag": "-q", "position": 0},
  {"name": "in", "type": "file", "flag": "--in", "position": 4},
  {"name": "secret", "type": "string", "flag": "--secret", "position": 5, "private": true, "default": "hidden"}]}'
reqb POST /script "$all" -H "$J"
is "an admin creates a script: 201" "$STATUS/$(json .name)" 201/all
reqb POST /script "$all" -H "$J"
ok "twice: 409 Duplicate" error_is 409 Duplicate
reqb POST /script '{"name": "bad", "command": "/bin/true", "param": [{"name": "p", "type": "complex"}]}' -H "$J"
ok "an unknown type: 400" error_is 400 InvalidValueForKey
reqb POST /script '{"name": "bad", "command": "/bin/true", "param": [{"name": "p", "private": true, "required": true}]}' -H "$J"
ok "private and required: 400" error_is 400 InvalidValueForKey
reqb POST /script '{"name": "bad", "command": "/bin/true", "param": [{"name": "task_name"}]}' -H "$J"
ok "a reserved parameter name: 400" error_is 400 InvalidValueForKey
reqb POST /script '{"name": "bad", "command": "/bin/true", "param": [{"name": "i", "type": "int", "default": "x"}]}' -H "$J"
ok "a default of the wrong type: 400" error_is 400 TypeError
reqb POST /script '{"name": "bad", "command": "/bin/true", "job": {"queue": "a b"}}' -H "$J"
ok "a queue that is no partition name: 400" error_is 400 InvalidValueForKey
reqb POST /script '{"name": "../x", "command": "/bin/true"}' -H "$J"
ok "a name with a path: 400" error_is 400 InvalidValueForKey
reqb POST /script '{"name": "fail", "command": "/bin/false"}' -H "$J"
reqb POST /script '{"name": "sleep", "command": "/bin/sleep", "param": [{"name": "t", "type": "int", "default": "30"}]}' -H "$J"
reqb POST /script '{"name": "arr", "command": "'$P'/prog.sh", "is_array": true, "begin_index": 1, "end_index": 5, "step_index": 2}' -H "$J"
is "an array script" "$STATUS" 201
reqb POST /script '{"name": "grp", "command": "/bin/true", "groups": ["lab"], "is_output_visible": true}' -H "$J"
reqb POST /script '{"name": "hid", "command": "/bin/true", "hidden": true}' -H "$J"
is "group and hidden scripts" "$STATUS" 201
req GET /script/all
is "the admin view has the command and the private parameter" \
    "$(json -c '[.command, .max_clock_time, (.param | length), .param[6].default]')" \
    "[\"$P/prog.sh\",\"00:10\",7,\"hidden\"]"
reqb PUT /script/grp '{"command": "/bin/true", "groups": ["lab"], "is_output_visible": true, "max_clock_time": 120}' -H "$J"
is "PUT replaces a script" "$STATUS/$(json .max_clock_time)" 200/00:02
reqb PUT /script/nosuch '{"command": "/bin/true"}' -H "$J"
ok "PUT of an unknown one: 404" error_is 404 ScriptNotFound

printf '{"name": "cli", "command": "/bin/true", "param": [{"name": "a", "type": "int"}]}' >"$T/cli.json"
ok "gridrest-db script-put creates a script" "$db" script-put "$T/cli.json"
printf '{"name": "cli", "command": "/bin/echo"}' >"$T/cli.json"
ok "... and replaces it" "$db" script-put "$T/cli.json"
req GET /script/cli
is "... as the service sees it" "$(json -c '[.command, (.param | length)]')" '["/bin/echo",0]'
printf '{"name": "cli", "command": ""}' >"$T/cli.json"
ok "... refusing a bad one" sh -c "! '$db' script-put '$T/cli.json' 2>/dev/null"
ok "gridrest-db script-del deletes it" "$db" script-del cli
req GET /script/cli
ok "... it is gone" error_is 404 ScriptNotFound
ok "... and deleting it again fails" sh -c "! '$db' script-del cli 2>/dev/null"

reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /accounts/eve '{"type": "USER", "email": "eve@example.org"}'
jdoe=$("$db" token jdoe)
eve=$("$db" token eve)
reqb POST /accounts/jdoe/attr/group.lab '{"value": "true"}'
is "jdoe joins group lab" "$STATUS" 201

TOKEN=$jdoe
reqb POST /script '{"name": "mine", "command": "/bin/true"}' -H "$J"
ok "a user cannot create scripts: 401" error_is 401 AccessDenied
req DELETE /script/all
ok "... nor delete them" error_is 401 AccessDenied
req GET /script/all
is "the user view has no command nor private parameters" \
    "$(json -c '[.command, (.param | length), ([.param[].name] | index("secret"))]')" \
    '[null,6,null]'
req GET /script/hid
ok "a hidden script: 404" error_is 404 ScriptNotFound
req GET /script/grp
is "a member sees the group's script" "$STATUS" 200
req GET '/script?page_size=2'
is "page 1 of the member's 5 scripts" \
    "$(json -c '[.count, (.results | length), .results[0].name, .previous]')" \
    '[5,2,"all",null]'
ok "next is an absolute URL" matches "$(json .next)" \
    '^http://[^/]+/script\?page=2&page_size=2$'
req GET '/script?page=3&page_size=2'
is "the last page" "$(json -c '[(.results | length), .results[0].name, .next]')" \
    '[1,"sleep",null]'
req GET '/script?page=4&page_size=2'
ok "past the last page: 404" error_is 404 NotFound
req GET '/script?page=0'
ok "page 0: 404" error_is 404 NotFound
req GET '/script?page_size=100000'
is "page_size is capped, not refused" "$STATUS/$(json .count)" 200/5
TOKEN=$eve
req GET /script/grp
ok "a non-member: 404" error_is 404 ScriptNotFound
req GET /script
is "... and does not list it" "$(json .count)" 4
TOKEN=$root
req GET /script
is "the admin sees every script" "$(json .count)" 6

# --- a task that runs ---------------------------------------------------------
TOKEN=$jdoe
meta='a b;$(touch /tmp/pwned)|`id` "q" '"'"'x'"'"' > y & *'
req POST /task -F task_name=all -F task_description="first run" -F n=3 \
    --form-string "s=$meta" -F v=true -F q=false -F secret=mine -F "in=@$T/data.txt"
is "POST /task: 201" "$STATUS/$(json .task_name)/$(json .status)" \
    "201/all/task has been created and sent to the DRM"
t1=$(json .uuid)
ok "the uuid is a UUID4" matches "$t1" \
    '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
is "files_name maps saved to original" "$(json -c .files_name)" '{"in.txt":"data.txt"}'
is "the user sees no private parameter" "$(json -c '[.params[].name]')" \
    '["n","s","v","q","in"]'
ok "it ends" wait_task "$t1"
is "... normally" "$st" "job finished normally"
req GET "/task/$t1/file/args.txt"
printf '[%s]\n' -v -n 3 --x=1.5 "$meta" --in in.txt --secret hidden >"$T/want"
ok "the argv: by position, bools only when true, defaults, the private default, values verbatim" \
    cmp -s "$T/body" "$T/want"
ok "no shell ran the value" [ ! -e /tmp/pwned ]
req GET "/task/$t1/file"
is "the file list is recursive, in name order" "$(json -c .)" \
    "$(printf '%s\n' "${t1%%-*}_err.txt" "${t1%%-*}_out.txt" args.txt in.txt sub/deep.txt |
	LC_ALL=C sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
req GET "/task/$t1/file/sub/deep.txt"
is "a nested file" "$STATUS/$(cat "$T/body")" 200/nested
req GET "/task/$t1/file/${t1%%-*}_out.txt"
is "stdout" "$(cat "$T/body")" ran
req GET "/task/$t1/file/args.txt" -H 'Range: bytes=1-2'
is "Range: 206 with the bytes" "$STATUS/$(cat "$T/body")/$(header Content-Range)" \
    "206/-v/bytes 1-2/$(wc -c <"$T/want" | tr -d ' ')"
req GET "/task/$t1/file/args.txt" -H 'Range: bytes=100000-'
ok "a range past the end: 416" error_is 416 RangeNotSatisfiable
for p in ../../../etc/passwd '..%2F..%2Fetc%2Fpasswd' sub/../args.txt %2Fetc%2Fpasswd; do
	req GET "/task/$t1/file/$p" --path-as-is
	ok "traversal $p: 4xx" matches "$STATUS" '^4'
done
ln -s /etc/passwd "$GRIDREST_HOME/tasks/$t1/link" 2>/dev/null
req GET "/task/$t1/file/link"
ok "a link is never followed: 404" error_is 404 NotFound
req GET "/task/$t1/download"
is "download: a zip" "$STATUS/$(header Content-Type)" 200/application/zip
mkdir -p "$T/unz"
ok "... that unzips" sh -c "cd '$T/unz' && unzip -q '$T/body'"
ok "... with the files" cmp -s "$T/unz/args.txt" "$T/want"
is "... and the nested one" "$(cat "$T/unz/sub/deep.txt")" nested
ok "... without the link" [ ! -e "$T/unz/link" ]

# --- hostile files: a FIFO is never waited on, unsafe names never zipped ----
TOKEN=$root
reqb POST /script '{"name": "hostile", "command": "'$P'/hostile.sh"}' -H "$J"
TOKEN=$jdoe
req POST /task -F task_name=hostile
th=$(json .uuid)
ok "a task that makes a FIFO and unsafe names ends" wait_task "$th"
req GET "/task/$th/file/fifo" --max-time 5
ok "GET of its FIFO: 404 at once, never waited on" error_is 404 NotFound
req GET "/task/$th/file/fifo" --max-time 5 -H 'Range: bytes=0-1'
ok "... with a Range too" error_is 404 NotFound
req GET "/task/$th/file" --max-time 5
ok "the file list leaves the FIFO out" sh -c \
    "[ $STATUS = 200 ] && jq -e 'any(.[]; . == \"good.txt\") and all(.[]; . != \"fifo\")' '$T/body' >/dev/null"
req GET "/task/$th/download" --max-time 10
is "its zip: 200" "$STATUS" 200
zipnames() {
	python3 -c 'import json, sys, zipfile
print(json.dumps(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$1"
}
is "... without the FIFO or the unsafe names, with the list of skipped ones" \
    "$(zipnames "$T/body")" \
    "[\".gridrest-skipped.txt\", \"${th%%-*}_err.txt\", \"${th%%-*}_out.txt\", \"good.txt\"]"
is "... which names them" \
    "$(python3 -c 'import sys, zipfile
sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(".gridrest-skipped.txt").decode())' "$T/body")" \
    "$(printf '%s\n' '"   "' '"..\\..\\evil.txt"' '"a\nb.txt"')"
req GET "/task/$th/file" --max-time 5
is "the file list leaves the unsafe names out as the zip does" \
    "$(jq -c sort "$T/body")" \
    "[\"${th%%-*}_err.txt\",\"${th%%-*}_out.txt\",\"good.txt\"]"
req GET "/script/all"
is "the API still answers" "$STATUS" 200

# --- bad submissions --------------------------------------------------------------
req POST /task -F task_name=all -F n=three
ok "a bad int: 400 naming the parameter" sh -c \
    "[ $STATUS = 400 ] && grep -q 'n parameter has to be of type int' '$T/body'"
req POST /task -F task_name=all -F n=1 -F x=1e999
ok "an infinite float: 400" error_is 400 TypeError
req POST /task -F task_name=all -F n=1 -F v=maybe
ok "a bad bool: 400" error_is 400 TypeError
req POST /task -F task_name=all -F s=x
ok "a missing required parameter: 406" sh -c \
    "[ $STATUS = 406 ] && grep -q 'The parameter n must be specified' '$T/body'"
head -c 5001 /dev/zero | tr '\0' a >"$T/big"
req POST /task -F task_name=all -F n=1 -F "s=<$T/big"
ok "a value over 5000 bytes: 406" error_is 406 ParameterNotAcceptable
req POST /task -F task_name=all -F n=1 -F "in=@$T/data.txt;filename=noext"
ok "a file without an extension: 406" error_is 406 ParameterNotAcceptable
req POST /task -F task_name=all -F n=1 -F "in=@$T/data.txt;filename=../../evil.sh"
is "a traversing file name is saved under the parameter's name" \
    "$STATUS/$(json -c .files_name)" '201/{"in.sh":"../../evil.sh"}'
req POST /task -F task_name=all -F n=1 -F bogus=1
ok "an unknown field: 406" error_is 406 ParameterNotAcceptable
req POST /task -F task_name=nosuch
ok "an unknown script: 404" error_is 404 ScriptNotFound
req POST /task -F task_name=hid
ok "a hidden script: 404" error_is 404 ScriptNotFound
reqb POST /task '{"task_name": "all"}' -H "$J"
ok "JSON: 415" error_is 415 UnsupportedMediaType
req POST /task -F task_name=all -F n=1 -F dependency_type=sometime
ok "a bad dependency_type: 406" error_is 406 ParameterNotAcceptable
req POST /task -F task_name=all -F n=1 -F dependencies=00000000-0000-4000-8000-000000000000
ok "an unknown dependency: 400" error_is 400 InvalidValueForKey
req POST /task --data-urlencode task_name=all --data-urlencode n=7
is "an urlencoded form: 201" "$STATUS" 201

# --- rights -------------------------------------------------------------------------
TOKEN=$eve
req GET "/task/$t1"
ok "another user's task: 403" error_is 403 Forbidden
req GET "/task/$t1/file"
ok "... nor its files" error_is 403 Forbidden
req GET "/task/$t1/download"
ok "... nor its zip" error_is 403 Forbidden
req PUT "/task/$t1/stop"
ok "... nor stop it" error_is 403 Forbidden
req POST /task -F task_name=all -F n=1 -F "parent_task=$t1"
ok "... nor use it as a parent" error_is 400 InvalidValueForKey
req GET /task
is "eve has no tasks" "$(json .count)" 0
TOKEN=$jdoe
req POST /task -F task_name=grp
g1=$(json .uuid)
ok "a group member runs the group's script" wait_task "$g1"
TOKEN=$eve
req GET "/task/$g1/file"
is "output-visible scripts: anyone reads the files" "$STATUS" 200
req GET "/task/$g1"
ok "... but not the task" error_is 403 Forbidden
TOKEN=$jdoe

# --- dependencies, parents, arrays ---------------------------------------------------
req POST /task -F task_name=fail
fa=$(json .uuid)
req POST /task -F task_name=all -F n=1 -F "dependencies=$fa" -F dependency_type=afternotok -F "parent_task=$t1"
nok=$(json .uuid)
is "a child task with a dependency" "$(json -c '[.parent_task, .depends_on, .dependency_type]')" \
    "[\"$t1\",[\"$fa\"],\"afternotok\"]"
req POST /task -F task_name=fail -F "parent_task=$nok"
gc=$(json .uuid)
req GET "/task/$t1"
is "descendants: every task below, breadth first" "$(json -c .descendants)" \
    "[\"$nok\",\"$gc\"]"
req GET "/task/$gc"
is "... none below a leaf" "$(json -c .descendants)" '[]'
req POST /task -F task_name=all -F n=2 -F "dependencies=$fa" -F dependency_type=afterok
aok=$(json .uuid)
ok "the failing task ends" wait_task "$fa"
is "... failed" "$st" "job finished, but failed"
ok "afternotok after a failure runs" wait_task "$nok"
is "... and finishes" "$st" "job finished normally"
ok "afterok after a failure never runs" wait_task "$aok"
is "... and fails" "$st" "job finished, but failed"
req GET "/task/$aok/file"
ok "... without running the program" sh -c "! grep -q args.txt '$T/body'"
req GET "/task/$t1/file/args.txt"
is "the child ran in its parent's directory" "$(head -2 "$T/body" | tr -d '\n')" '[-n][1]'
# an admin's child of another account's task shares the tree's 0700
# directory: it runs as the tree's job user, not the admin's
TOKEN=$root
req POST /task -F task_name=all -F n=5 -F "parent_task=$t1" -F "in=@$T/data.txt"
ac=$(json .uuid)
is "an admin's child of jdoe's task: 201, the admin's" "$STATUS/$(json .owner)" \
    "201/root"
ok "... it ends" wait_task "$ac"
is "... normally: it entered the tree's directory" "$st" "job finished normally"
req GET "/task/$t1/file/args.txt"
is "... and wrote there" "$(head -2 "$T/body" | tr -d '\n')" '[-n][5]'
d1=$GRIDREST_HOME/tasks/$t1
is "... as the tree's job user, its upload too" \
    "$(stat -c %u "$d1/args.txt")/$(stat -c %u "$d1/in.txt")" \
    "$(stat -c %u "$d1")/$(stat -c %u "$d1")"
is "... and the directory is still 0700" "$(stat -c %a "$d1")" 700
TOKEN=$jdoe
# a child's upload moves into its root's directory after the commit,
# before its job may start
printf 'child data\n' >"$T/child.txt"
req POST /task -F task_name=all -F n=9 -F "in=@$T/child.txt" -F "parent_task=$t1"
cu=$(json .uuid)
is "a child task with an upload: 201" "$STATUS/$(json .parent_task)" "201/$t1"
ok "... ends" wait_task "$cu"
is "... normally" "$st" "job finished normally"
req GET "/task/$t1/file/seen.txt"
is "... its job read its upload in its root's directory" \
    "$STATUS/$(cat "$T/body")" "200/child data"
req GET "/task/$t1/file/in.txt"
is "... which replaced the root's file of that name" \
    "$STATUS/$(cat "$T/body")" "200/child data"
ok "... and no staging directory is left" \
    sh -c "! ls -a '$GRIDREST_HOME/tasks' | grep -q '^[.]new-'"
req POST /task -F task_name=arr
arr=$(json .uuid)
ok "an array ends" wait_task "$arr"
is "... normally" "$st" "job finished normally"
req GET "/task/$arr/file"
is "every index ran: 1, 3, 5" "$(json -c '[.[] | select(startswith("idx_"))]')" \
    '["idx_1.txt","idx_3.txt","idx_5.txt"]'
a8=${arr%%-*}
is "each element keeps its own stdout and stderr" \
    "$(json -c "[.[] | select(startswith(\"$a8\"))]")" \
    "[\"${a8}_err_1.txt\",\"${a8}_err_3.txt\",\"${a8}_err_5.txt\",\"${a8}_out_1.txt\",\"${a8}_out_3.txt\",\"${a8}_out_5.txt\"]"
req GET "/task/$arr/file/${a8}_out_3.txt"
is "... with what that element wrote" "$STATUS/$(cat "$T/body")" 200/ran
req GET "/task/$arr/download"
is "... and the zip holds them all" \
    "$(python3 -c 'import json, sys, zipfile
print(json.dumps(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith(sys.argv[2]))))' "$T/body" "$a8")" \
    "[\"${a8}_err_1.txt\", \"${a8}_err_3.txt\", \"${a8}_err_5.txt\", \"${a8}_out_1.txt\", \"${a8}_out_3.txt\", \"${a8}_out_5.txt\"]"

# --- stop and delete -----------------------------------------------------------------
req POST /task -F task_name=sleep
sl=$(json .uuid)
req GET "/task/$sl/download"
ok_all "no zip before the task ends: 404" [ "$STATUS" = 404 ] -- \
    grep -q 'Output files not available, check task status' "$T/body"
req PUT "/task/$sl/stop"
is "stop: 200" "$STATUS" 200
ok "it ends" wait_task "$sl"
is "... stopped" "$st" "job was stopped by the user"
req PUT "/task/$sl/stop"
ok "stopping an ended task: 409" error_is 409 UnsupportedOperation
req POST /task -F task_name=sleep -F t=60
sl2=$(json .uuid)
req DELETE "/task/$sl2"
is "delete a running task: 200, stopped and deleted" \
    "$STATUS/$(json .deleted)/$(json .status)" "200/true/job was stopped by the user"
ok "its directory is gone" [ ! -d "$GRIDREST_HOME/tasks/$sl2" ]
req GET "/task/$sl2"
ok "a deleted task: 404" error_is 404 TaskNotFound
TOKEN=$root
req GET "/task/$sl2"
is "... but admins see it" "$STATUS/$(json .deleted)" 200/true
TOKEN=$jdoe

# --- listing ---------------------------------------------------------------------------
req GET /task
n=$(json .count)
is "the list is the own, not deleted ones, newest first" \
    "$(json -c '[.results[0].uuid, .results[0].task_name]')" "[\"$sl\",\"sleep\"]"
req GET '/task?task_name=ARR'
is "filter by name, any case" "$(json -c '[.count, .results[0].uuid]')" "[1,\"$arr\"]"
req GET '/task?description=FIRST'
is "filter by description" "$(json -c '[.count, .results[0].uuid]')" "[1,\"$t1\"]"
req GET "/task?ids=$t1,$fa"
is "filter by ids" "$(json .count)" 2
req GET '/task?status=job+finished%2C+but+failed'
is "filter by status" "$(json -c '[.results[].uuid] | sort')" \
    "$(printf '%s\n' "$fa" "$aok" "$gc" | sort | jq -Rsc 'split("\n") | map(select(. != ""))')"
req GET "/task?page_size=3&page=2"
is "pages" "$(json -c '[(.results | length), (.previous != null), .count]')" "[3,true,$n]"
req POST /task -F task_name=fail
hk=$(json .uuid)
# never fetched by itself: only the DRM's hook can change its stored
# status, which the status filter reads
i=0
while [ $i -lt 100 ]; do
	req GET "/task?ids=$hk&status=job+finished%2C+but+failed"
	[ "$(json .count)" = 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
is "the DRM's state reaches the stored status by itself" "$(json .count)" 1
req GET /task
n=$(json .count)
ok "the list counts its tasks" nonempty "$n"
req GET /task/not-a-uuid
ok "a bad uuid: 404" error_is 404 TaskNotFound

# --- rate limit --------------------------------------------------------------------------
server_stop
export GRIDREST_TASK_RATE=3 GRIDREST_TASK_RATE_PERIOD=3600
export GRIDREST_TASK_UPLOAD_MAX=100 GRIDREST_DRM_SLOTS=1
server_serve
# one slot: the supervisor of a task runs the DIRAC job queued behind it,
# and the job's state still reaches the jobs family (and the reverse)
TOKEN=$root
req POST /task -F task_name=sleep
one=$(json .uuid)
wait_running "$one"
reqb POST /jobs '{"Executable": "/bin/true"}' -H "$J"
jid=$(json '.jids[0]')
req POST /task -F task_name=fail
two=$(json .uuid)
req PUT "/task/$one/stop"
i=0
while [ $i -lt 300 ]; do
	req GET "/jobs/$jid"
	[ "$(json .status)" = Done ] && break
	sleep 0.1
	i=$((i + 1))
done
is "a DIRAC job run by a task's supervisor reaches Done" "$(json .status)" Done
ok "a task queued behind it ends" wait_task "$two"
is "... as it should" "$st" "job finished, but failed"

TOKEN=$jdoe
head -c 101 /dev/zero >"$T/over.txt"
req POST /task -F task_name=all -F n=1 -F "in=@$T/over.txt"
ok "an upload over GRIDREST_TASK_UPLOAD_MAX: 413" error_is 413 RequestEntityTooLarge
head -c 70000 /dev/zero | tr '\0' a >"$T/huge.txt"
req POST /task -F task_name=all -F n=1 -F "s=<$T/huge.txt"
ok "a body over GRIDREST_MAX_BODY: 413" error_is 413 RequestEntityTooLarge
req GET /task
is "... and neither left a task behind" "$(json .count)" "$n"
TOKEN=$eve
req POST /task -F task_name=fail
req POST /task -F task_name=fail
req POST /task -F task_name=fail
is "within the rate" "$STATUS" 201
req POST /task -F task_name=fail
ok "over it: 429" error_is 429 Throttled
ok "... with Retry-After" matches "$(header Retry-After)" '^[0-9]+$'
TOKEN=$jdoe
req POST /task -F task_name=fail
is "the limit is per user" "$STATUS" 201


