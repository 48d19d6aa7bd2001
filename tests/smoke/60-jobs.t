#!/bin/sh
# 60-jobs.t -- DIRAC jobs through lighttpd: submission (JSON, multipart
# with files, form bulk, parametric), jobs that really run under the DRM
# (local backend unless GRIDREST_DRM_BACKEND says otherwise) and reach
# Done, Failed or Killed, their sandboxes as tar.bz2, peeking, listing,
# rights, bad manifests and hostile file names.
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-3}
export GRIDREST_JOB_SHARING=x,lab # DIRAC's JobSharing, for the group lab
job_uids 3100200 3000000
drm_server_start
db=$B/gridrest-db
login
root=$TOKEN
J='Content-Type: application/json'

# submit JSON: POST it, $jid the first new id
submit() {
	reqb POST /jobs "$1" -H "$J"
	jid=$(json '.jids[0]')
}

TOKEN=
req GET /jobs
ok "no token: 401" error_is 401 CannotAuthenticate
reqb POST /jobs '{"Executable": "/bin/true"}' -H "$J"
ok "no token, no submission: 401" error_is 401 CannotAuthenticate
TOKEN=$root

# --- a job that works -------------------------------------------------
submit '{"Executable": "/bin/echo", "Arguments": "Hello World", "JobName": "hello", "Owner": "mallory", "OwnerGroup": "admins"}'
is "JSON submission: 200 with the new jid" "$STATUS/$(json '.jids | length')" 200/1
hello=$jid
ok "it reaches Done" wait_job "$hello" Done Failed Killed
is "... Done" "$st" Done
is "... Execution Complete" "$(json .minorStatus)" "Execution Complete"
is "... the application finished well" "$(json .appStatus)" \
    "Application Finished Successfully"
is "the owner is the token's, not the manifest's" \
    "$(json .owner)/$(json .ownerGroup)" root/user
ok "start and end times are DIRAC's form" \
    matches "$(json .times.startExecution)/$(json .times.endExecution)" \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}/[0-9]{4}-'
is "the name is the manifest's" "$(json .name)" hello
req GET "/jobs/$hello/outputsandbox"
is "output sandbox: 200 bzip2" "$STATUS/$(header Content-Type)" \
    200/application/x-bzip2
is "... named as a tar.bz2" "$(header Content-Disposition)" \
    "attachment; filename=\"$hello-outputsandbox.tar.bz2\""
untar hello
is "... holds std.out with the output" "$(cat "$T/hello/std.out")" \
    "Hello World"
ok "... and std.err" [ -f "$T/hello/std.err" ]
req GET "/jobs/$hello/manifest"
is "manifest: strings, as DIRAC's" \
    "$(json -c '[.Executable, .Arguments, .JobID, .Priority, .Owner, .JobName]')" \
    "[\"/bin/echo\",\"Hello World\",\"$hello\",\"1\",\"root\",\"hello\"]"
req GET "/jobs/$hello/inputsandbox"
ok "no files, no input sandbox: 404" error_is 404 NotFound

# arguments never meet a shell
submit '{"Executable": "/bin/echo", "Arguments": "$HOME ; ls `id` \"a  b\" '"'"'c d'"'"'"}'
wait_job "$jid" Done Failed
req GET "/jobs/$jid/peek"
is "arguments are words, not shell code" "$(cat "$T/body")" \
    '$HOME ; ls `id` a  b c d'

submit '{"Executable": "id", "Arguments": "-u"}'
wait_job "$jid" Done Failed
req GET "/jobs/$jid/peek"
ok "a job never runs as root" [ "$(cat "$T/body")" -gt 0 ]

# cpuTime: the CPU the job used, not the CPUTime it asked for
submit '{"Executable": "/bin/sh", "Arguments": "-c \"i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done\"", "CPUTime": 5000}'
burn=$jid
submit '{"Executable": "/bin/sleep", "Arguments": "1", "CPUTime": 5000}'
idle=$jid
req GET "/jobs/$burn"
is "cpuTime is 0 before the job runs (or what it used)" \
    "$(json '.cpuTime < 5000')" true
wait_job "$burn" Done Failed
is "a job that computes ends" "$st" Done
ok "... its cpuTime is what it used (0.05 s to its wall time)" \
    sh -c "jq -e '.cpuTime > 0.05 and .cpuTime < 60' '$T/body' >/dev/null"
wait_job "$idle" Done Failed
ok "a job that sleeps 1 s used almost none" \
    sh -c "jq -e '.cpuTime >= 0 and .cpuTime < 0.5' '$T/body' >/dev/null"
submit '{"Executable": "/bin/true", "Sites": ["", ""]}'
req GET "/jobs/$jid"
is "Sites with only empty names: ANY" "$(json .site)" ANY
submit '{"Executable": "/bin/true", "Site": ["", "LCG.CERN.ch"]}'
req GET "/jobs/$jid"
is "... an empty name among others is none" "$(json .site)" LCG.CERN.ch

# --- multipart with files --------------------------------------------
cat >"$T/run.sh" <<'EOF'
#!/bin/sh
echo "args: $*"
tr a-z A-Z <data.txt >result.txt
echo "to stderr" >&2
EOF
printf 'payload\n' >"$T/data.txt"
req POST /jobs -F 'manifest={"Executable": "run.sh", "Arguments": "one two", "OutputSandbox": ["result.txt", "*.nothing"]}' \
    -F "script=@$T/run.sh" -F "data=@$T/data.txt"
is "multipart submission: 200" "$STATUS/$(json '.jids | length')" 200/1
mp=$(json '.jids[0]')
ok "the sandbox script reaches Done" wait_job "$mp" Done Failed
is "... Done" "$st" Done
req GET "/jobs/$mp/outputsandbox"
untar mp
is "output sandbox: the listed file" "$(cat "$T/mp/result.txt")" PAYLOAD
is "... std.out" "$(cat "$T/mp/std.out")" "args: one two"
is "... std.err" "$(cat "$T/mp/std.err")" "to stderr"
req GET "/jobs/$mp/inputsandbox"
is "input sandbox: 200, named" "$STATUS/$(header Content-Disposition)" \
    "200/attachment; filename=\"$mp-inputsandbox.tar.bz2\""
untar isb
ok "... holds the files as sent" cmp -s "$T/isb/run.sh" "$T/run.sh"
ok "... both" cmp -s "$T/isb/data.txt" "$T/data.txt"
req GET "/jobs/$mp/manifest"
is "the uploaded files are in InputSandbox" \
    "$(json -c '.InputSandbox | sort')" '["data.txt","run.sh"]'

# --- bulk and parametric ----------------------------------------------
req POST /jobs --data-urlencode 'manifest={"Executable": "/bin/true"}' \
    --data-urlencode 'manifest={"Executable": "/bin/true", "JobGroup": "bulk"}'
is "form with two manifests: two jids" "$STATUS/$(json '.jids | length')" 200/2
reqb POST /jobs '[{"Executable": "/bin/true"}, {"Executable": "/bin/true"}, {"Executable": "/bin/true"}]' -H "$J"
is "a JSON list of manifests: three jids" "$STATUS/$(json '.jids | length')" 200/3
submit '{"Executable": "/bin/echo", "Arguments": "p=%s n=%n", "Parameters": ["a", "b", "c"], "JobName": "par-%s"}'
is "parametric list: one job per value" "$STATUS/$(json '.jids | length')" 200/3
p3=$(json -r '.jids[2]')
wait_job "$p3" Done Failed
is "... the third with its value" "$(json .name)" par-c
req GET "/jobs/$p3/peek"
is "... substituted in Arguments" "$(cat "$T/body")" "p=c n=2"
submit '{"Executable": "/bin/echo", "Arguments": "%s", "Parameters": 3, "ParameterStart": 1, "ParameterStep": 2}'
last=$(json -r '.jids[2]')
is "parametric count: three jobs" "$(json '.jids | length')" 3
wait_job "$last" Done Failed
req GET "/jobs/$last/peek"
is "... start 1, step 2: the third is 5" "$(cat "$T/body")" 5

# --- failures, limits, kills -------------------------------------------
submit '{"Executable": "/bin/sh", "Arguments": "-c \"exit 3\""}'
ok "a failing job reaches Failed" wait_job "$jid" Done Failed
is "... Failed" "$st" Failed
is "... with errors" "$(json .minorStatus)/$(json .appStatus)" \
    "Application Finished With Errors/Exit code 3"
req GET "/jobs/$jid/outputsandbox"
is "... its output sandbox is there" "$STATUS" 200

submit '{"Executable": "sleep", "Arguments": "30", "WallTime": 1}'
ok "a job over its time limit is ended" wait_job "$jid" Done Failed
is "... Failed: the CPU limit" "$st/$(json .minorStatus)" \
    "Failed/Job has reached the CPU limit of the queue"

submit '{"Executable": "sleep", "Arguments": "30"}'
sl=$jid
ok "a long job reaches Running" wait_job "$sl" Running
req GET "/jobs/$sl/outputsandbox"
ok "no output sandbox while it runs: 404" error_is 404 NotFound
req DELETE "/jobs/$sl?killonly=1"
is "kill: 200 {jid}" "$STATUS/$(json .jid)" "200/$sl"
req GET "/jobs/$sl"
is "... Killed at once" "$(json .status)/$(json .minorStatus)" \
    "Killed/Marked for termination"
req DELETE "/jobs/$sl?killonly=1"
ok "killing a killed job: 400 InvalidJobIDs" error_is 400 InvalidJobIDs
req DELETE "/jobs/$sl"
is "delete a killed job: 200" "$STATUS" 200
req GET "/jobs/$sl"
is "... Deleted" "$(json .status)" Deleted
req DELETE "/jobs/$sl"
ok "deleting twice: 400 InvalidJobIDs" error_is 400 InvalidJobIDs
i=0
# root's job uid: the first of the range (root submitted first)
while pgrep -u "${GRIDREST_JOB_UID_MIN:-3000000}" -f "^sleep 30$" >/dev/null &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "the killed job's process is gone" [ $i -lt 100 ]

submit '{"Executable": "sleep", "Arguments": "30"}'
wait_job "$jid" Running
req DELETE "/jobs/$jid"
req GET "/jobs/$jid"
is "deleting a running job kills it first" "$STATUS/$(json .status)" 200/Deleted

# --- peek -------------------------------------------------------------
submit '{"Executable": "/bin/sh", "Arguments": "-c \"echo first; sleep 4; echo second\""}'
pk=$jid
wait_job "$pk" Running
i=0
while req GET "/jobs/$pk/peek" && [ ! -s "$T/body" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "peek while running: what is there" "$(cat "$T/body")/$(header X-Job-Status)" \
    "first/Running"
is "... not complete" "$(header X-Peek-Complete)" false
next=$(header X-Peek-Next-Offset)
wait_job "$pk" Done
req GET "/jobs/$pk/peek?offset=$next"
is "peek from the offset: the rest" "$(cat "$T/body")/$(header X-Peek-Complete)" \
    second/true
req GET "/jobs/$pk/peek?offset=999"
is "peek past the end: empty" "$STATUS/$(wc -c <"$T/body")" 200/0
req GET "/jobs/$pk/peek?offset=-1"
ok "a negative offset: 400" error_is 400 ValueError

# --- a job cannot smuggle files out through links -----------------------
submit '{"Executable": "/bin/sh", "Arguments": "-c \"rm -f std.out; ln -s /etc/shadow std.out; ln -s /etc/shadow leak.txt\"", "OutputSandbox": ["leak.txt"]}'
wait_job "$jid" Done Failed
req GET "/jobs/$jid/outputsandbox"
untar links
ok_all "links in the working directory are not followed" \
    [ ! -e "$T/links/std.out" ] -- [ ! -e "$T/links/leak.txt" ]

# --- a FIFO is never waited on; names unsafe in a tar are skipped, listed --
cat >"$T/hostile.sh" <<'EOF'
#!/bin/sh
rm -f std.out
mkfifo std.out fifo.txt
: >'..\..\evil.txt'
: >"$(printf 'a\nb.txt')"
echo good >good.txt
EOF
req POST /jobs -F 'manifest={"Executable": "hostile.sh", "OutputSandbox": ["*.txt"]}' \
    -F "script=@$T/hostile.sh"
jid=$(json '.jids[0]')
wait_job "$jid" Done Failed
is "a job that makes FIFOs and unsafe names ends" "$st" Done
req GET "/jobs/$jid/peek" --max-time 5
is "peek of a stdout that is a FIFO: empty, at once" "$STATUS/$(wc -c <"$T/body")" 200/0
req GET "/jobs/$jid/outputsandbox" --max-time 10
untar hostile
is "its output sandbox: the safe file and the list of skipped ones" \
    "$(cd "$T/hostile" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" \
    "./.gridrest-skipped.txt ./good.txt ./std.err "
is "... which names them" "$(cat "$T/hostile/.gridrest-skipped.txt")" \
    "$(printf '%s\n' '"..\\..\\evil.txt"' '"a\nb.txt"')"

# --- listing ------------------------------------------------------------
req GET /jobs
total=$(json .entries)
is "list: {entries, jobs}, newest first" \
    "$STATUS/$(json '.jobs[0].jid > .jobs[1].jid')" 200/true
req GET "/jobs?maxJobs=2&startJob=1"
is "paging: maxJobs and startJob" \
    "$(json .entries)/$(json '.jobs | length')" "$total/2"
second=$(json '.jobs[0].jid')
req GET "/jobs?maxJobs=1"
first=$(json '.jobs[0].jid')
is "... startJob=1 starts at the second newest" "$((first - 1))" "$second"
req GET "/jobs?status=Done"
done_n=$(json .entries)
ok "... counted in entries" nonempty "$done_n"
ok "filter by status" [ "$(json '[.jobs[].status] | unique | join(",")')" = Done ]
req GET "/jobs?Status=Done"
is "... and by DIRAC's name for it" "$(json .entries)" "$done_n"
req GET "/jobs?status=Done&status=Failed"
both=$(json .entries)
req GET "/jobs?status=Failed"
is "a repeated filter is IN" "$both" "$(($(json .entries) + done_n))"
req GET "/jobs?name=hello"
is "filter by name" "$(json -c '[.entries, .jobs[0].jid]')" "[1,$hello]"
req GET "/jobs?JobGroup=bulk"
is "filter by JobGroup" "$(json .entries)" 1
req GET "/jobs/summary"
is "summary by status" "$(json .Done)" "$done_n"
req GET "/jobs/summary?group=status&group=JobGroup"
is "summary by two groups" "$(json '."Done|bulk"')" 1
req GET "/jobs?maxJobs=many"
ok "maxJobs not a number: 400" error_is 400 ValueError
req GET "/jobs?colour=blue"
ok "an unknown filter: 400" error_is 400 InvalidValueForKey
req GET "/jobs?maxJobs=100000"
ok "maxJobs is capped by the server" [ "$STATUS" = 200 ]

# --- rights -------------------------------------------------------------
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
jdoe=$("$db" token jdoe)
TOKEN=$jdoe
req GET "/jobs/$hello"
ok "another owner's job: 401 NonauthorizedJobIDs" error_is 401 NonauthorizedJobIDs
req GET "/jobs/$hello/outputsandbox"
ok "... nor its sandbox" error_is 401 NonauthorizedJobIDs
req GET "/jobs/$hello/peek"
ok "... nor its output" error_is 401 NonauthorizedJobIDs
req DELETE "/jobs/$hello"
ok "... nor kill it" error_is 401 NonauthorizedJobIDs
req GET /jobs
is "a new user's list is empty" "$(json .entries)" 0
req GET "/jobs?allOwners=1"
is "allOwners for a user: what it may see (no group shares jobs: none yet)" \
    "$STATUS/$(json .entries)" 200/0
submit '{"Executable": "/bin/true"}'
mine=$jid
req GET /jobs
is "the user sees the own job" "$(json -c '[.entries, .jobs[0].jid, .jobs[0].owner]')" \
    "[1,$mine,\"jdoe\"]"
req GET "/jobs?allOwners=1"
is "... and with allOwners, only that one" \
    "$(json -c '[.entries, .jobs[0].jid]')" "[1,$mine]"
req GET "/jobs/summary?allOwners=1"
is "... in the summary too" "$STATUS/$(json -c '[.[]] | add')" 200/1
req GET "/jobs/history?allOwners"
is "history: the user's job, by status, over the last day" \
    "$STATUS/$(json -c '[.timeSpan, .granularity, ([.totals[]] | add), ([.data[][]] | add)]')" \
    "200/[86400,900,1,1]"
req GET "/jobs/history?timeSpan=nonsense"
ok "... a timeSpan that is no number: 400" error_is 400 ValueError
req GET "/jobs/history?timeSpan=0"
ok "... nor 0" error_is 400 ValueError
TOKEN=$root
req GET "/jobs?allOwners=1&owner=jdoe"
is "an admin sees every owner's" "$(json .entries)" 1
req GET "/jobs?allOwners=1"
all=$(json .entries)
req GET "/jobs/history?allOwners=1&timeSpan=604800"
is "... and the history of all of them (hours for a week)" \
    "$(json -c '[.granularity, ([.totals[]] | add)]')" "[3600,$all]"
req GET "/jobs/$mine"
is "... and reads the job" "$STATUS" 200

# --- ownerDN: the DN of the token's X509 identity ------------------------
cert jane "country = CH
organization = gridrest
unit = Users
cn = Jane Doe
expiration_days = 30
tls_www_client
signing_key"
reqb POST /accounts/jane '{"type": "USER", "email": "jane@example.org"}'
reqb POST /accounts/jane/identities '{"identity": "CN=Jane Doe,OU=Users,O=gridrest,C=CH", "authtype": "X509", "email": "jane@example.org", "default": true}'
TOKEN=
sreq GET /auth/x509 --cert "$T/jane.pem" --key "$T/jane.key"
TOKEN=$(header X-Rucio-Auth-Token)
submit '{"Executable": "/bin/true"}'
req GET "/jobs/$jid"
is "a job submitted with an X509 login: ownerDN is the certificate's DN" \
    "$(json -c '[.owner, .ownerDN]')" '["jane","/C=CH/O=gridrest/OU=Users/CN=Jane Doe"]'
TOKEN=$("$db" token jane)
submit '{"Executable": "/bin/true"}'
req GET "/jobs/$jid"
is "... with another login: none" "$(json -c '[.owner, .ownerDN]')" '["jane",""]'
janes=$jid

# --- a group that shares its jobs (GRIDREST_JOB_SHARING) -------------------
# tokens of the OAuth2 group lab: client_credentials with a certificate
cert jim "country = CH
organization = gridrest
unit = Users
cn = Jim Roe
expiration_days = 30
tls_www_client
signing_key"
TOKEN=$root
reqb POST /accounts/jim '{"type": "USER", "email": "jim@example.org"}'
reqb POST /accounts/jim/identities '{"identity": "CN=Jim Roe,OU=Users,O=gridrest,C=CH", "authtype": "X509", "email": "jim@example.org", "default": true}'
reqb POST /accounts/jane/attr/group.lab '{"value": true}'
reqb POST /accounts/jim/attr/group.lab '{"value": true}'
is "jane and jim are in group lab" "$STATUS" 201
# lab_token NAME: $TOKEN, NAME's token of the group lab
lab_token() {
	TOKEN=
	sreq POST /oauth2/token --cert "$T/$1.pem" --key "$T/$1.key" \
	    --data 'grant_type=client_credentials&group=lab&setup=gridrest'
	TOKEN=$(json .token)
}
lab_token jane
submit '{"Executable": "/bin/echo", "Arguments": "shared", "StdOutput": "std.out", "OutputSandbox": ["std.out"]}'
shared=$jid
ok "jane's job in lab ends" wait_job "$shared" Done
req GET "/jobs/$shared"
is "... submitted in lab" "$(json .ownerGroup)" lab
lab_token jim
req GET "/jobs?allOwners=1"
is "jim (lab) lists it with allOwners" \
    "$(json -c "[.jobs[] | select(.jid == $shared) | .owner]")" '["jane"]'
req GET "/jobs/$shared"
is "... and reads it: 200, as the listing shows it" "$STATUS/$(json .owner)" 200/jane
req GET "/jobs/$shared/manifest"
is "... its manifest" "$STATUS/$(json .JobID)" "200/$shared"
req GET "/jobs/$shared/outputsandbox"
is "... its output sandbox" "$STATUS" 200
untar shared
is "... with its output" "$(cat "$T/shared/std.out")" shared
req GET "/jobs/$shared/peek"
is "... its peek" "$STATUS/$(cat "$T/body")" 200/shared
req GET "/jobs/$janes"
ok "not jane's job of another group: 401" error_is 401 NonauthorizedJobIDs
TOKEN=$("$db" token jim)
req GET "/jobs/$shared"
ok "jim without the group's token: 401" error_is 401 NonauthorizedJobIDs
req GET "/jobs/$shared/peek"
ok "... nor its peek" error_is 401 NonauthorizedJobIDs
lab_token jim
req DELETE "/jobs/$shared"
is "a member deletes the group's job (DIRAC's JobSharing)" "$STATUS" 200
TOKEN=$root
req GET "/jobs/$shared"
is "... it is Deleted" "$(json .status)" Deleted

# --- bad input ----------------------------------------------------------
req GET /jobs
before=$(json .entries)
ok "the list counts its entries" nonempty "$before"
for bad in '{"Arguments": "x"}' '{"Executable": ""}' \
    '{"Executable": "/bin/true", "Priority": 99}' \
    '{"Executable": "/bin/true", "StdOutput": "../x"}' \
    '{"Executable": "/bin/true", "Arguments": "\"open"}' \
    '{"Executable": "/bin/true", "InputSandbox": ["missing.txt"]}' \
    '{"Executable": "/bin/true", "InputSandbox": ["LFN:/x//y"]}' \
    '{"Executable": "/bin/true", "JobType": "Bogus"}' \
    '{"Executable": "/bin/true", "OutputSandbox": ["../../etc/passwd"]}' \
    '{"Executable": "bin/relative"}' \
    '{"Executable": "/bin/true", "Parameters": 0}' \
    '[{"Executable": "/bin/true"}, {"JobName": "no executable"}]' \
    '[]' '[1]' '{"Executable": 5}'; do
	reqb POST /jobs "$bad" -H "$J"
	ok "bad manifest $bad: 400 InvalidManifest" error_is 400 InvalidManifest
done
reqb POST /jobs 'not json' -H "$J"
ok "a body that is not JSON: 400" error_is 400 InvalidManifest
req POST /jobs --data-urlencode 'other=1'
ok "a form without manifest: 400 No manifest" error_is 400 InvalidManifest
is "... with its message" "$(json .ExceptionMessage)" "No manifest"
req POST /jobs -F 'manifest=[1, 2' -F "data=@$T/data.txt"
ok "a manifest field that is not JSON: 400" error_is 400 InvalidManifest
for name in ../evil.sh /etc/evil.sh a/b.sh .hidden '..' 'tab	name'; do
	req POST /jobs -F 'manifest={"Executable": "/bin/true"}' \
	    -F "f=@$T/data.txt;filename=$name"
	ok "hostile file name '$name': 400 InvalidPath" error_is 400 InvalidPath
done
req POST /jobs -F 'manifest={"Executable": "/bin/true"}' \
    -F "f=@$T/data.txt;filename=same" -F "g=@$T/data.txt;filename=same"
ok "the same file twice: 400" error_is 400 InvalidPath
ok_all "no evil file was written anywhere" \
    [ -z "$(find "$T" -name 'evil.sh')" ] -- [ ! -e /etc/evil.sh ] -- \
    [ ! -e /tmp/evil.sh ] -- [ ! -e /evil.sh ]
req GET /jobs
is "nothing of the refused submissions was kept" "$(json .entries)" "$before"
req GET /jobs/99999
ok "an unknown jid: 404 JobNotFound" error_is 404 JobNotFound
req GET /jobs/abc
ok "a jid that is not a number: 400 InvalidJobIDs" error_is 400 InvalidJobIDs
req DELETE /jobs/0
ok "jid 0: 400" error_is 400 InvalidJobIDs
req GET "/jobs/$hello/bogus"
ok "an unknown job resource: 404" error_is 404 NotFound
