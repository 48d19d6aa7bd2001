#!/bin/sh
# tasks.sh -- the task portal under load, through lighttpd:
#
#   submit    POST /task (multipart, one small file parameter) of a script
#             running /bin/true, BENCH_CLIENTS (2) wrk connections for
#             BENCH_SECONDS (5): tasks/s (each one a transaction, a
#             working directory with its file, a DRM job started)
#   download  GET /task/{uuid}/download of a working directory holding
#             BENCH_MB (100) MB, median of 3: MB/s, and the tasks
#             backends' peak RSS before and after (VmHWM)
#   anonymous GET /task/{uuid} of an anonymous task (GRIDREST_TASK_ANONYMOUS),
#             req/s with one anonymous task, then after BENCH_SECONDS of
#             anonymous submissions: every anonymous task has one owner,
#             and a read must cost its task's tree, not their number
#
# Targets: >= 300 submissions/s on the local backend; zip
# download >= 100 MB/s with flat memory. Settings: BENCH_CLIENTS,
# BENCH_SECONDS, BENCH_MB, BENCH_PORT (18094), GR_BUILD (build);
# BENCH_FS_QUIET and BENCH_FS_WAIT: the wait for a quiet disk (lib.sh).
set -eu
clients=${BENCH_CLIENTS:-2}
seconds=${BENCH_SECONDS:-5}
mb=${BENCH_MB:-100}
port=${BENCH_PORT:-18094}
export GRIDREST_TASK_RATE=1000000 GRIDREST_TASK_RATE_PERIOD=1
export GRIDREST_TASK_ANONYMOUS=1 GRIDREST_TASK_ANONYMOUS_RATE=1000000 \
    GRIDREST_TASK_ANONYMOUS_READS=1000000 GRIDREST_TASK_ANONYMOUS_READS_PERIOD=1 \
    GRIDREST_TASK_ANONYMOUS_RATE_PERIOD=1
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-2}
. "$(dirname "$0")/lib.sh"
bench_start
bench_fs_probe

admin() { # METHOD PATH BODY
	code=$(curl -sS -o "$T/admin.out" -w '%{http_code}' -X "$1" \
	    -H "X-Rucio-Auth-Token: $token" -H 'Content-Type: application/json' \
	    --data-binary "$3" "$base$2")
	[ "$code" = 201 ] || { echo "$1 $2: $code $(cat "$T/admin.out")"; exit 1; }
}
admin POST /script '{"name": "one", "command": "/bin/true", "param": [{"name": "in", "type": "file", "required": true}]}'
admin POST /script '{"name": "pub", "command": "/bin/true"}'
admin POST /script "{\"name\": \"big\", \"command\": \"/bin/dd\", \"param\": [
 {\"name\": \"src\", \"flag\": \"if=\", \"private\": true, \"default\": \"/dev/zero\"},
 {\"name\": \"dst\", \"flag\": \"of=\", \"private\": true, \"default\": \"big.bin\"},
 {\"name\": \"bs\", \"flag\": \"bs=\", \"private\": true, \"default\": \"1M\"},
 {\"name\": \"count\", \"flag\": \"count=\", \"private\": true, \"default\": \"$mb\"}]}"

# --- submission rate --------------------------------------------------------
cat >"$T/submit.lua" <<EOF
local b = "gridrestbench"
wrk.method = "POST"
wrk.headers["X-Rucio-Auth-Token"] = "$token"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. b
wrk.body = "--" .. b .. "\r\n" ..
  "Content-Disposition: form-data; name=\"task_name\"\r\n\r\none\r\n" ..
  "--" .. b .. "\r\n" ..
  "Content-Disposition: form-data; name=\"in\"; filename=\"small.txt\"\r\n" ..
  "Content-Type: text/plain\r\n\r\n" .. string.rep("x", 512) .. "\r\n" ..
  "--" .. b .. "--\r\n"
local bad = 0
response = function(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("submit: %d tasks in %.1f s: %.0f tasks/s, p50 %.1f ms, p99 %.1f ms, errors %d\n",
    summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read))
end
EOF
wrk -t1 -c"$clients" -d"${seconds}s" -s "$T/submit.lua" "$base/task" |
    grep '^submit:'

# --- zip download -----------------------------------------------------------
uuid=$(curl -sf -H "X-Rucio-Auth-Token: $token" -F task_name=big \
    "$base/task" | jq -r .uuid)
i=0
until [ "$(curl -sf -H "X-Rucio-Auth-Token: $token" "$base/task/$uuid" |
    jq -r .status)" = "job finished normally" ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || { echo "the big task did not finish"; exit 1; }
	sleep 0.1
done
hwm() { # the largest VmHWM of the tasks backends, in kB
	for p in $(pgrep -f "$B/cgi-bin/tasks.fcgi"); do
		awk '/^VmHWM/ { print $2 }' "/proc/$p/status"
	done | sort -n | tail -1
}
before=$(hwm)
for run in 1 2 3; do
	curl -sf -H "X-Rucio-Auth-Token: $token" -o "$T/out.zip" \
	    -w '%{size_download} %{time_total}\n' "$base/task/$uuid/download"
done | sort -k2 -n | sed -n 2p | awk -v mb="$mb" '{
	printf "download: %d MB directory, %.1f MB zip in %.2f s: %.0f MB/s (median of 3)\n",
	    mb, $1 / 1048576, $2, $1 / 1048576 / $2 }'
echo "tasks backends' VmHWM: ${before} kB before, $(hwm) kB after"
unzip -l "$T/out.zip" | tail -1 | awk '{ print "zip: " $2 " files, " $1 " bytes" }'

# --- anonymous reads -----------------------------------------------------------
anon=$(curl -sf -F task_name=pub "$base/task" | jq -r .uuid)
reads() { # req/s of GET /task/$anon, no token
	wrk -t1 -c"$clients" -d"${seconds}s" "$base/task/$anon" |
	    awk '/Requests\/sec/ { printf "%.0f", $2 }'
}
one=$(reads)
cat >"$T/anon.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "task_name=pub"
done = function(summary, latency, requests)
  io.write(string.format("%d\n", summary.requests - summary.errors.status))
end
EOF
made=$(wrk -t1 -c"$clients" -d"${seconds}s" -s "$T/anon.lua" "$base/task" |
    tail -1)
echo "anonymous: GET /task/{uuid} $one req/s with 1 anonymous task," \
    "$(reads) req/s with $((made + 1))"

# the queued tasks run on after the clock stopped: let them drain, so that
# no supervisor outlives the home it works in
count() { # STATUS: how many tasks have it
	curl -sf -G -H "X-Rucio-Auth-Token: $token" --data-urlencode "status=$1" \
	    "$base/task" | jq -r .count
}
i=0
while [ "$(count 'job is queued and active')$(count 'job is running')" != 00 ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "tasks still queued after 60 s"; break; }
	sleep 0.1
done
