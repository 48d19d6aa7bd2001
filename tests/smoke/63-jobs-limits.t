#!/bin/sh
# 63-jobs-limits.t -- every job's limits: no_new_privs and the
# process, file-size and memory limits are in force in the job; a fork
# bomb stops at the process limit while the API keeps answering and other
# accounts' jobs still run; a job writing past the file-size limit fails.
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=3
job_uids 3100100 3000032
export GRIDREST_JOB_NPROC=40 GRIDREST_JOB_FSIZE_MB=1 GRIDREST_JOB_MEM_MB=512
drm_server_start
db=$B/gridrest-db
login
root=$TOKEN

reqb POST /accounts/carol '{"type": "USER", "email": "carol@example.org"}'
reqb POST /accounts/dave '{"type": "USER", "email": "dave@example.org"}'
carol=$("$db" token carol)
dave=$("$db" token dave)
tag=lim$$

# --- what a job runs under ----------------------------------------------
cat >"$T/$tag-show.sh" <<'EOF'
#!/bin/sh
grep NoNewPrivs /proc/self/status
grep -E '^Max (processes|file size|address space)' /proc/self/limits
EOF
TOKEN=$carol
req POST /jobs -F "manifest={\"Executable\": \"$tag-show.sh\"}" \
    -F "script=@$T/$tag-show.sh"
j=$(json '.jids[0]')
ok "a job showing its limits runs" wait_job "$j" Done Failed
is "... Done" "$st" Done
req GET "/jobs/$j/outputsandbox"
untar show
out=$(tr -s ' \t' ' ' <"$T/show/std.out")
is "... no_new_privs" "$(echo "$out" | head -1)" "NoNewPrivs: 1"
is "... at most GRIDREST_JOB_NPROC processes" \
    "$(echo "$out" | grep '^Max processes')" "Max processes 40 40 processes "
is "... files of at most GRIDREST_JOB_FSIZE_MB" \
    "$(echo "$out" | grep '^Max file size')" "Max file size 1048576 1048576 bytes "
is "... GRIDREST_JOB_MEM_MB of address space" \
    "$(echo "$out" | grep '^Max address space')" \
    "Max address space 536870912 536870912 bytes "

# --- a file past the limit ----------------------------------------------
cat >"$T/$tag-big.sh" <<'EOF'
#!/bin/sh
head -c 3000000 /dev/zero >big.bin
echo "written: $?"
EOF
req POST /jobs -F "manifest={\"Executable\": \"$tag-big.sh\", \"OutputSandbox\": [\"big.bin\"]}" \
    -F "script=@$T/$tag-big.sh"
j=$(json '.jids[0]')
wait_job "$j" Done Failed
req GET "/jobs/$j/outputsandbox"
untar big
is "a write past the file-size limit fails (SIGXFSZ, 128 + 25)" \
    "$(cat "$T/big/std.out")" "written: 153"
is "... the file stopped at the limit" "$(stat -c %s "$T/big/big.bin")" 1048576

# --- a fork bomb ----------------------------------------------------------
# bounded: 300 background sleeps at most, then the loop ends; bash
# retries a refused fork with back-off and goes on
cat >"$T/$tag-bomb.sh" <<'EOF'
#!/bin/bash
n=0
for i in $(seq 1 300); do
	sleep 60 &
	n=$((n + 1))
done 2>/dev/null
wait
EOF
req POST /jobs -F "manifest={\"Executable\": \"$tag-bomb.sh\"}" \
    -F "script=@$T/$tag-bomb.sh"
bomb=$(json '.jids[0]')
wait_job "$bomb" Running
# (Slurm says RUNNING a moment before the node has started it)
i=0
until pb=$(pgrep -f "$tag-bomb.sh" | head -1) && [ -n "$pb" ] ||
    [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ub=$(awk '/^Uid:/ { print $2 }' "/proc/$pb/status")
ok "the bomb runs under its account's uid" [ "${ub:-0}" -gt 0 ]
# until the uid's processes reach the limit (or 10 s pass)
i=0
while [ "$(pgrep -c -U "$ub")" -lt 40 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "the bomb reaches the process limit" "$(pgrep -c -U "$ub")" 40
sleep 1
ok "... and never passes it" [ "$(pgrep -c -U "$ub")" -le 40 ]
TOKEN=
req GET /ping
is "during the bomb: GET /ping answers" "$STATUS" 200
TOKEN=$carol
req GET "/jobs?maxJobs=100"
is "... the bomber's job listing answers" "$STATUS/$(json .entries)" 200/3
cat >"$T/$tag-dave.sh" <<'EOF'
#!/bin/sh
echo dave ran
EOF
TOKEN=$dave
req POST /jobs -F "manifest={\"Executable\": \"$tag-dave.sh\"}" \
    -F "script=@$T/$tag-dave.sh"
jd=$(json '.jids[0]')
ok "... another account's job runs to its end" wait_job "$jd" Done Failed
is "... Done" "$st" Done
req GET "/jobs/$jd/peek"
is "... with its output" "$(cat "$T/body")" "dave ran"
cat >"$T/$tag-fork.sh" <<'EOF'
#!/bin/sh
/bin/true || exit 3
echo forked
EOF
TOKEN=$carol
req POST /jobs -F "manifest={\"Executable\": \"$tag-fork.sh\"}" \
    -F "script=@$T/$tag-fork.sh"
jc=$(json '.jids[0]')
ok "... the bomber's own next job cannot start a process" \
    wait_job "$jc" Failed Done
is "... Failed" "$st" Failed
req DELETE "/jobs/$bomb?killonly=1"
is "the bomb is killed" "$STATUS" 200
i=0
while [ "$(pgrep -c -U "$ub")" -gt 0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "... with every process it made" "$(pgrep -c -U "$ub")" 0
