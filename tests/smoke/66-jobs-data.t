#!/bin/sh
# 66-jobs-data.t -- jobs that use data: InputData and "LFN:"
# input sandbox entries resolved through the file catalogue and Rucio,
# copied into the working directory from a posix RSE and a real WebDAV
# one before the job starts, checksums checked; a missing, unreadable or
# corrupted input failing the job clearly; OutputData stored on OutputSE
# and registered (file catalogue, Rucio) once the job ended, and read back.
. tests/smoke/lib.sh
export GRIDREST_DRM_SLOTS=${GRIDREST_DRM_SLOTS:-2}
job_uids 3200000 3000080
drm_server_start
login
webdav_start
root=$TOKEN
db=$B/gridrest-db

# the storage: a posix RSE and the WebDAV one; with Slurm the node copies
# as the job's user, so the posix one is writable by everybody here
mkdir -m 1777 "$T/POSIX_USERDISK"
dom='"domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}'
reqb POST /rses/POSIX_USERDISK '{}'
reqb POST /rses/POSIX_USERDISK/protocols/file "{\"hostname\": \"localhost\", \"port\": 0, \"prefix\": \"$T/POSIX_USERDISK\", \"impl\": \"rucio.rse.protocols.posix.Default\", $dom}"
reqb POST /rses/DAV_SCRATCHDISK '{}'
# the CA that signs the WebDAV server, where the job's user reads it (the
# home's is the service's alone): the protocol's ca_file
install -m 644 "$GRIDREST_HOME/tls/ca.pem" "$T/ca.pem"
reqb POST /rses/DAV_SCRATCHDISK/protocols/davs "{\"hostname\": \"localhost\", \"port\": $DAV_PORT, \"prefix\": \"/rucio\", \"impl\": \"rucio.rse.protocols.webdav.Default\", \"extended_attributes\": {\"ca_file\": \"$T/ca.pem\"}, $dom}"
is "two RSEs with protocols" "$STATUS" 201
reqb POST /accounts/alice '{"type": "USER", "email": "alice@example.org"}'
reqb POST /scopes/root/data ''
reqb POST /scopes/alice/user.alice ''
is "accounts and scopes" "$STATUS" 201
alice=$("$db" token alice)

# b64 LFN: the catalogue's url-safe base64 of an LFN
b64() {
	printf %s "$1" | base64 -w0 | tr '+/' '-_'
}
# submit MANIFEST [curl args]: as alice; the jid in $jid
submit() {
	local m
	m=$1
	shift
	TOKEN=$alice
	req POST /jobs --data-urlencode "manifest=$m" "$@"
	jid=$(json '.jids[0]')
	TOKEN=$root
}
# job_end JID: until the job ends (as alice); $st, and $minor its minor status
job_end() {
	TOKEN=$alice
	wait_job "$1" Done Failed Killed
	minor=$(json .minorStatus)
	TOKEN=$root
}
# peek JID: the job's std.out
peek() {
	TOKEN=$alice
	req GET "/jobs/$1/peek"
	TOKEN=$root
	cat "$T/body"
}

# --- inputs ------------------------------------------------------------
printf 'from the catalogue\n' >"$T/in1.txt"
printf 'from a Rucio DID over WebDAV\n' >"$T/in2.txt"
printf 'a posix DID\n' >"$T/in3.txt"
printf 'corrupted!!\n' >"$T/bad.txt"
printf 'private\n' >"$T/secret.txt"
chmod 644 "$T"/*.txt
# Rucio files: data:in2.txt on WebDAV, data:in3.txt and data:bad.txt on
# posix (bad.txt registered with the figures of other bytes of its size)
rse_put DAV_SCRATCHDISK data in2.txt "$T/in2.txt"
is "data:in2.txt on DAV_SCRATCHDISK" "$STATUS" 201
rse_put POSIX_USERDISK data in3.txt "$T/in3.txt"
rse_put POSIX_USERDISK data bad.txt "$T/bad.txt" "$(adler "$T/in1.txt")"
is "data:bad.txt registered with another checksum" "$STATUS" 201
chmod -R a+rX "$T/POSIX_USERDISK"
# catalogue files with replicas on POSIX_USERDISK
mkdir -p "$T/POSIX_USERDISK/vo/data"
cp "$T/in1.txt" "$T/secret.txt" "$T/POSIX_USERDISK/vo/data/"
chmod -R a+rX "$T/POSIX_USERDISK/vo"
chmod 1777 "$T/POSIX_USERDISK/vo"
reqb POST "/filecatalogue/directory/$(b64 /vo/data)" ''
reqb POST "/filecatalogue/directory/$(b64 /vo/user/alice)" '{"owner": "alice"}'
is "catalogue directories" "$STATUS" 201
pbase=file://localhost:0$T/POSIX_USERDISK
reqb POST /filecatalogue/files "[{\"lfn\": \"/vo/data/in1.txt\", \"size\": $(stat -c %s "$T/in1.txt"), \"checksum\": \"$(adler "$T/in1.txt")\", \"replicas\": {\"POSIX_USERDISK\": \"$pbase/vo/data/in1.txt\"}}, {\"lfn\": \"/vo/data/secret.txt\", \"size\": 8, \"checksum\": \"$(adler "$T/secret.txt")\", \"mode\": 384, \"replicas\": {\"POSIX_USERDISK\": \"$pbase/vo/data/secret.txt\"}}, {\"lfn\": \"/vo/data/elsewhere.txt\", \"size\": 1, \"replicas\": {\"NOT_AN_RSE\": \"file:///etc/passwd\"}}]"
is "catalogue files" "$STATUS" 201

submit '{"Executable": "/bin/sh", "Arguments": "-c \"cat in1.txt in2.txt; test $(stat -c %u in1.txt) = $(id -u) && echo owned\"", "InputData": ["/vo/data/in1.txt", "LFN:data:in2.txt"]}'
is "InputData from the catalogue and Rucio: accepted" "$STATUS" 200
j1=$jid
TOKEN=$alice
req GET "/jobs/$j1/manifest"
TOKEN=$root
is "... the manifest's InputData as DIRAC keeps it" "$(json -c '.InputData')" \
    '["LFN:/vo/data/in1.txt","LFN:data:in2.txt"]'
job_end "$j1"
is "... Done" "$st" Done
is "... the files were in the working directory, the job's" "$(peek "$j1")" \
    "$(printf 'from the catalogue\nfrom a Rucio DID over WebDAV\nowned')"

printf 'uploaded\n' >"$T/up.txt"
TOKEN=$alice
req POST /jobs -F 'manifest={"Executable": "/bin/cat", "Arguments": "up.txt in3.txt in1.txt", "InputSandbox": ["up.txt", "LFN:data:in3.txt", "LFN:/vo/data/in1.txt"]}' \
    -F "up=@$T/up.txt"
TOKEN=$root
is "LFN: entries in the input sandbox beside an upload" "$STATUS" 200
j2=$(json '.jids[0]')
job_end "$j2"
is "... Done, every file there" "$st/$(peek "$j2")" \
    "Done/$(printf 'uploaded\na posix DID\nfrom the catalogue')"
TOKEN=$alice
req GET "/jobs/$j2/manifest"
TOKEN=$root
is "... the manifest keeps the entries" "$(json -c '.InputSandbox')" \
    '["up.txt","LFN:data:in3.txt","LFN:/vo/data/in1.txt"]'

# InputDataPolicy: DIRAC's InputDataByProtocol reads InputData where it
# lies (no copy; the TURLs in pool_xml_catalog.xml, as DIRAC's POOL XML
# slice); the sandbox's LFN: entries are copied whatever the policy
submit '{"Executable": "/bin/sh", "Arguments": "-c \"cat pool_xml_catalog.xml; test -e in1.txt && echo copied1; test -e in2.txt && echo copied2; cat in3.txt\"", "InputData": ["/vo/data/in1.txt", "data:in2.txt"], "InputSandbox": ["LFN:data:in3.txt"], "InputDataPolicy": "DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol"}'
is "InputDataPolicy InputDataByProtocol: accepted" "$STATUS" 200
jp=$jid
job_end "$jp"
is "... Done" "$st" Done
peek "$jp" >"$T/pool.out"
is "... no InputData copied" "$(grep -c copied "$T/pool.out")" 0
ok "... the sandbox's LFN: entry copied" grep -qx 'a posix DID' "$T/pool.out"
ok "... a POOL XML catalogue" grep -q '^<POOLFILECATALOG>$' "$T/pool.out"
ok "... the catalogue file: its path on the posix RSE" \
    grep -qF "<pfn filetype=\"ROOT\" name=\"$T/POSIX_USERDISK/vo/data/in1.txt\" se=\"POSIX_USERDISK\"/>" "$T/pool.out"
ok "... with its LFN" grep -qF '<lfn name="/vo/data/in1.txt"/>' "$T/pool.out"
ok "... the DID: its davs TURL on the WebDAV RSE" \
    grep -qF "name=\"$(rse_pfn DAV_SCRATCHDISK data in2.txt)\" se=\"DAV_SCRATCHDISK\"" "$T/pool.out"
ok "... with its name" grep -qF '<lfn name="data:in2.txt"/>' "$T/pool.out"
cat >"$T/reader.sh" <<'EOF'
cat "$(sed -n 's/.*pfn filetype="ROOT" name="\([^"]*\)" se=.*/\1/p' pool_xml_catalog.xml)"
EOF
TOKEN=$alice
req POST /jobs -F 'manifest={"Executable": "/bin/sh", "Arguments": "reader.sh", "InputData": ["/vo/data/in1.txt"], "InputDataPolicy": "Protocol"}' \
    -F "up=@$T/reader.sh"
TOKEN=$root
jid=$(json '.jids[0]')
job_end "$jid"
is "... the job reads the file where it lies (the Job API's \"Protocol\")" \
    "$st/$(peek "$jid")" "Done/from the catalogue"
submit '{"Executable": "/bin/true", "InputData": ["data:bad.txt"], "InputDataPolicy": ["DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol", "DIRAC.WorkloadManagementSystem.Client.DownloadInputData"]}'
job_end "$jid"
is "... a list, the first taking precedence: no copy, no checksum read" "$st" Done
rm -f "$(posix_path "$(rse_pfn POSIX_USERDISK data in3.txt)")"
submit '{"Executable": "/bin/true", "InputData": ["data:in3.txt"], "InputDataPolicy": "DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol"}'
job_end "$jid"
is "... a replica gone from its storage fails the job" "$st" Failed
ok "... saying so" matches "$minor" \
    "^Input data not available: data:in3.txt: source missing"
rse_put POSIX_USERDISK data in3.txt "$T/in3.txt" >/dev/null
chmod -R a+rX "$T/POSIX_USERDISK"
submit '{"Executable": "/bin/cat", "Arguments": "in1.txt", "InputData": ["/vo/data/in1.txt"], "InputDataPolicy": "DIRAC.WorkloadManagementSystem.Client.DownloadInputData", "InputDataModule": "DIRAC.WorkloadManagementSystem.Client.InputDataResolution"}'
job_end "$jid"
is "DownloadInputData (and DIRAC's InputDataResolution module): copied" \
    "$st/$(peek "$jid")" "Done/from the catalogue"
TOKEN=$alice
req GET "/jobs/$jid/manifest"
TOKEN=$root
is "... the manifest keeps the policy" "$(json -r .InputDataPolicy)" \
    DIRAC.WorkloadManagementSystem.Client.DownloadInputData
TOKEN=$alice
req POST /jobs --data-urlencode 'manifest={"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"], "InputDataModule": "LHCbDIRAC.Resolution"}'
ok "another InputDataModule: 400, named with the one known" matches \
    "$STATUS/$(json -r .ExceptionMessage)" \
    "^400/InputDataModule must be DIRAC.WorkloadManagementSystem.Client.InputDataResolution"
req POST /jobs --data-urlencode 'manifest={"Executable": "/bin/true", "InputDataPolicy": "Stream"}'
ok "... an unknown InputDataPolicy: named with the ones known" matches \
    "$STATUS/$(json -r .ExceptionMessage)" \
    "^400/InputDataPolicy must be DIRAC.WorkloadManagementSystem.Client.DownloadInputData or DIRAC.WorkloadManagementSystem.Client.InputDataByProtocol"
TOKEN=$root

submit '{"Executable": "/bin/true", "InputData": ["/vo/data/nope.txt"]}'
is "an input that does not exist: accepted (as DIRAC)" "$STATUS" 200
job_end "$jid"
is "... the job fails" "$st" Failed
is "... saying which and why" "$minor" \
    "Input data not available: /vo/data/nope.txt: no such file in the file catalogue"
submit '{"Executable": "/bin/true", "InputData": ["data:nope"]}'
job_end "$jid"
is "a DID that does not exist" "$st/$minor" \
    "Failed/Input data not available: data:nope: no such file DID"
submit '{"Executable": "/bin/true", "InputData": ["/vo/data/elsewhere.txt"]}'
job_end "$jid"
is "a replica on no RSE of this service: never read" "$st/$minor" \
    "Failed/Input data not available: /vo/data/elsewhere.txt: no replica at its path on a storage element this service reaches (file, https or davs)"
install -m 644 "$T/in1.txt" "$T/POSIX_USERDISK/vo/data/mixed.txt"
reqb POST /filecatalogue/files "[{\"lfn\": \"/vo/data/mixed.txt\", \"size\": $(stat -c %s "$T/in1.txt"), \"checksum\": \"$(adler "$T/in1.txt")\", \"replicas\": {\"Posix_UserDisk\": \"$pbase/vo/data/mixed.txt\"}}]"
is "a catalogue file whose SE is POSIX_USERDISK in mixed case" "$STATUS" 201
submit '{"Executable": "/bin/true", "InputData": ["/vo/data/mixed.txt"]}'
job_end "$jid"
is "a replica on an SE that is no RSE name (mixed case): never read" \
    "$st/$minor" \
    "Failed/Input data not available: /vo/data/mixed.txt: no replica at its path on a storage element this service reaches (file, https or davs)"
submit '{"Executable": "/bin/true", "InputData": ["/vo/data/secret.txt"]}'
job_end "$jid"
is "a file the owner may not read (mode 0600, root's)" "$st/$minor" \
    "Failed/Input data not available: /vo/data/secret.txt: the job's owner may not read it"
ok "... its bytes never reached the job" [ -z "$(find "$GRIDREST_HOME/jobs" -name secret.txt)" ]
# alice's own LFN naming the PFN of root's file: not at its path, no source
TOKEN=$alice
reqb POST /filecatalogue/files "[{\"lfn\": \"/vo/user/alice/steal.txt\", \"size\": 8, \"replicas\": {\"POSIX_USERDISK\": \"$pbase/vo/data/secret.txt\"}}]"
is "alice registers her LFN with the PFN of root's file" "$STATUS" 201
submit '{"Executable": "/bin/cat", "Arguments": "steal.txt", "InputData": ["/vo/user/alice/steal.txt"]}'
job_end "$jid"
ok "... her job never reads it" matches "$st/$minor" \
    "^Failed/Input data not available: /vo/user/alice/steal.txt: no replica at its path"
submit '{"Executable": "/bin/true", "InputData": ["data:in3.txt", "data:bad.txt"]}'
job_end "$jid"
is "a corrupted replica fails the job" "$st" Failed
ok "... its checksum named" matches "$minor" \
    "^Input data not available: data:bad\.txt: .*checksum mismatch"
rm -f "$T/POSIX_USERDISK/vo/data/in1.txt"
submit '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"]}'
job_end "$jid"
is "a replica gone from its storage" "$st" Failed
ok "... the source is missing" matches "$minor" \
    "^Input data not available: /vo/data/in1.txt: source missing"
cp "$T/in1.txt" "$T/POSIX_USERDISK/vo/data/in1.txt"
chmod 644 "$T/POSIX_USERDISK/vo/data/in1.txt"

# refused at submission: 400 InvalidManifest, nothing made
TOKEN=$alice
for m in '{"Executable": "/bin/true", "InputData": ["relative/f"]}' \
    '{"Executable": "/bin/true", "InputData": ["/vo//f"]}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/../etc/passwd"]}' \
    '{"Executable": "/bin/true", "InputData": ["data:a/.hidden"]}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt", "data:in1.txt"]}' \
    '{"Executable": "/bin/true", "InputData": "/vo/data/std.out"}' \
    '{"Executable": "/bin/true", "OutputData": ["out.txt"]}' \
    '{"Executable": "/bin/true", "OutputData": ["../x"], "OutputSE": "POSIX_USERDISK"}' \
    '{"Executable": "/bin/true", "OutputData": ["x"], "OutputSE": "NOPE"}' \
    '{"Executable": "/bin/true", "OutputData": ["x"], "OutputSE": "Posix_userdisk"}' \
    '{"Executable": "/bin/true", "OutputData": ["x"], "OutputSE": "POSIX_USERDISK", "OutputPath": "noscope"}' \
    '{"Executable": "/bin/true", "OutputData": ["x"], "OutputSE": "POSIX_USERDISK", "OutputPath": "/vo/../x"}' \
    '{"Executable": "/bin/true", "InputSandbox": ["SB:x|y"]}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"], "InputDataPolicy": "DIRAC.WorkloadManagementSystem.Client.NoSuchPolicy"}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"], "InputDataPolicy": ["Protocol", "Stream"]}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"], "InputDataPolicy": 3}' \
    '{"Executable": "/bin/true", "InputData": ["/vo/data/in1.txt"], "InputDataModule": "LHCbDIRAC.Resolution"}'; do
	req POST /jobs --data-urlencode "manifest=$m"
	is "refused: $m" "$STATUS/$(header ExceptionClass)" 400/InvalidManifest
done
TOKEN=$root

# --- outputs -----------------------------------------------------------
submit '{"Executable": "/bin/sh", "Arguments": "-c \"echo rucio out >r.txt\"", "OutputData": ["r.txt"], "OutputSE": "DAV_SCRATCHDISK", "OutputPath": "user.alice:run1"}'
is "OutputData to a Rucio scope on WebDAV" "$STATUS" 200
job_end "$jid"
is "... Done" "$st/$minor" "Done/Execution Complete"
# replicas: POST /replicas/list (the name holds a '/')
replicas() {
	reqb POST /replicas/list "{\"dids\": [{\"scope\": \"$1\", \"name\": \"$2\"}]}" \
	    -H 'Accept: application/x-json-stream'
}
replicas user.alice run1/r.txt
is "... registered: an AVAILABLE replica" \
    "$(json -c '[.states.DAV_SCRATCHDISK, .bytes, .adler32]')" \
    "[\"AVAILABLE\",10,\"$(printf 'rucio out\n' >"$T/r.txt"; adler "$T/r.txt")\"]"
req GET /dids/user.alice/run1%2Fr.txt
is "... the file DID is alice's" "$(json .account)" alice
replicas user.alice run1/r.txt
u=$(json -r '.pfns | keys[0]')
curl -sS --http1.1 --cacert "$GRIDREST_HOME/tls/ca.pem" -o "$T/r.got" "https${u#davs}"
ok "... downloadable from its PFN, the same bytes" cmp -s "$T/r.got" "$T/r.txt"

submit '{"Executable": "/bin/sh", "Arguments": "-c \"echo fc out >f.txt\"", "OutputData": ["f.txt"], "OutputSE": "POSIX_USERDISK", "OutputPath": "/vo/user/alice/run2"}'
job_end "$jid"
is "OutputData into the catalogue on posix: the directory must exist" \
    "$st" Failed
ok "... Failed to upload output data" matches "$minor" \
    "^Failed to upload output data: .*"
ok "... the copy removed" [ ! -e "$T/POSIX_USERDISK/vo/user/alice/run2/f.txt" ]
submit '{"Executable": "/bin/sh", "Arguments": "-c \"echo fc out >f.txt\"", "OutputData": ["f.txt"], "OutputSE": "POSIX_USERDISK", "OutputPath": "/vo/user/alice"}'
job_end "$jid"
is "OutputData into alice's catalogue directory: Done" "$st/$minor" \
    "Done/Execution Complete"
req GET "/filecatalogue/file/$(b64 /vo/user/alice/f.txt)/attributes"
printf 'fc out\n' >"$T/f.txt"
is "... registered with its figures and owner" \
    "$(json -c '[.Size, .Checksum, .Owner]')" "[7,\"$(adler "$T/f.txt")\",\"alice\"]"
req GET "/filecatalogue/directory/$(b64 /vo/user/alice)?verbose=true"
is "... with its replica" "$(json -r '.Files["f.txt"].Replicas.POSIX_USERDISK')" \
    "$pbase/vo/user/alice/f.txt"
ok "... whose bytes are the job's" cmp -s "$T/POSIX_USERDISK/vo/user/alice/f.txt" "$T/f.txt"
submit '{"Executable": "/bin/cat", "Arguments": "f.txt", "InputData": ["/vo/user/alice/f.txt"]}'
job_end "$jid"
is "... and the next job's input" "$st/$(peek "$jid")" "Done/fc out"

submit '{"Executable": "/bin/true", "OutputData": ["never.txt"], "OutputSE": "POSIX_USERDISK"}'
job_end "$jid"
is "an output the job did not write" "$st/$minor" \
    "Failed/Failed to upload output data: never.txt: no such file in the working directory"
submit '{"Executable": "/bin/sh", "Arguments": "-c \"echo x >o.txt; exit 3\"", "OutputData": ["o.txt"], "OutputSE": "POSIX_USERDISK"}'
job_end "$jid"
is "a job that failed stores nothing" "$st/$minor" \
    "Failed/Application Finished With Errors"
replicas user.alice o.txt
is "... no replica" "$(wc -c <"$T/body")" 0

