#!/bin/sh
# 42-protocols.t -- RSE protocols as the Rucio client adds, lists, updates
# and deletes them, with their domain priorities and error cases.
. tests/smoke/lib.sh
server_start
login
reqb POST /rses/RSE_A '{}'

req GET /rses/RSE_A/protocols
ok "no protocols yet: 404 RSEProtocolNotSupported" error_is 404 RSEProtocolNotSupported
p='{"scheme": "file", "hostname": "localhost", "port": 0, "prefix": "/data/rse", "impl": "rucio.rse.protocols.posix.Default", "domains": {"lan": {"read": 1, "write": 1, "delete": 1}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}}'
reqb POST /rses/RSE_A/protocols/file "$p"
is "add the client's file protocol: 201" "$STATUS" 201
reqb POST /rses/RSE_A/protocols/file "$p"
ok "again: 409 Duplicate" error_is 409 Duplicate
reqb POST /rses/RSE_A/protocols/root '{"hostname": "xrd.example.org", "port": 1094, "prefix": "/atlas", "impl": "rucio.rse.protocols.xrootd.Default", "domains": {"wan": {"read": 2}}}'
is "add root://xrd.example.org:1094, wan read only: 201" "$STATUS" 201

req GET /rses/RSE_A/protocols
is "list: 200" "$STATUS" 200
is "... sorted by hostname" "$(json -c '[.[] | .hostname]')" '["localhost","xrd.example.org"]'
is "... every priority given, missing ones 0" "$(json -c '.[1].domains')" \
    '{"lan":{"read":0,"write":0,"delete":0},"wan":{"read":2,"write":0,"delete":0,"third_party_copy_read":0,"third_party_copy_write":0}}'
req GET /rses/RSE_A
is "the RSE's info carries them" "$(json '.protocols | length')" 2
req GET /rses/RSE_A/protocols/file
is "GET .../protocols/file: the RSE's info" "$(json -c '[.rse, (.protocols | length)]')" '["RSE_A",2]'

reqb POST /rses/RSE_A/protocols/srm '{"hostname": "h", "domains": {"lan": {"read": 1}}}'
ok "no impl: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/RSE_A/protocols/srm '{"impl": "x", "domains": {"moon": {"read": 1}}}'
ok "an unknown domain: 404 RSEProtocolDomainNotSupported" error_is 404 RSEProtocolDomainNotSupported
reqb POST /rses/RSE_A/protocols/srm '{"impl": "x", "domains": {"lan": {"third_party_copy_read": 1}}}'
ok "an operation lan does not have: 404 RSEOperationNotSupported" error_is 404 RSEOperationNotSupported
reqb POST /rses/RSE_A/protocols/srm '{"impl": "x", "domains": {"wan": {"read": -1}}}'
ok "a negative priority: 409 RSEProtocolPriorityError" error_is 409 RSEProtocolPriorityError
reqb POST /rses/RSE_A/protocols/srm '{"impl": "x", "port": 70000}'
ok "port 70000: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/RSE_A/protocols/1bad '{"impl": "x"}'
ok "a scheme that is none: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/NOPE/protocols/file "$p"
ok "on a missing RSE: 404 RSENotFound" error_is 404 RSENotFound

reqb PUT /rses/RSE_A/protocols/root/xrd.example.org/1094 '{"prefix": "/atlas2", "domains": {"wan": {"write": 3}}}'
is "update root on its host and port: 200" "$STATUS" 200
req GET /rses/RSE_A/protocols
is "... prefix and priorities changed, others kept" "$(json -c '.[1] | [.prefix, .domains.wan.read, .domains.wan.write]')" '["/atlas2",2,3]'
reqb PUT /rses/RSE_A/protocols/root '{"port": 1095}'
is "move it to another port: 200" "$STATUS" 200
req GET /rses/RSE_A/protocols
is "... moved" "$(json '.[1].port')" 1095
reqb PUT /rses/RSE_A/protocols/gsiftp '{"prefix": "/x"}'
ok "update a missing protocol: 404 RSEProtocolNotSupported" error_is 404 RSEProtocolNotSupported

# PFNs of a deterministic RSE: Rucio's hash path under the protocol first
# in line for the domain and operation
req GET '/rses/RSE_A/lfns2pfns?lfn=user.jdoe:file1&lfn=data18:f.root'
is "lfns2pfns (wan write: file, the only one that writes)" "$(json -S -c .)" \
    '{"data18:f.root":"file://localhost:0/data/rse/data18/31/30/f.root","user.jdoe:file1":"file://localhost:0/data/rse/user/jdoe/a2/cb/file1"}'
req GET '/rses/RSE_A/lfns2pfns?lfn=data18:f.root&operation=read'
is "wan read: root, priority 2 after file's 1, so file" "$(json -r '."data18:f.root"')" \
    "file://localhost:0/data/rse/data18/31/30/f.root"
req GET '/rses/RSE_A/lfns2pfns?lfn=data18:f.root&operation=read&scheme=root'
is "wan read with scheme=root" "$(json -r '."data18:f.root"')" \
    "root://xrd.example.org:1095/atlas2/data18/31/30/f.root"
req GET '/rses/RSE_A/lfns2pfns?lfn=data18:f.root&operation=delete&scheme=root'
ok "root cannot delete: 404 RSEProtocolNotSupported" error_is 404 RSEProtocolNotSupported
req GET '/rses/RSE_A/lfns2pfns?lfn=data18:f.root&domain=moon'
ok "an unknown domain: 404 RSEProtocolDomainNotSupported" error_is 404 RSEProtocolDomainNotSupported
req GET '/rses/RSE_A/lfns2pfns?lfn=nocolon'
ok "an LFN without scope: 400 InvalidPath" error_is 400 InvalidPath

# a rename keeps the protocols (they hang on the RSE's id)
reqb PUT /rses/RSE_A '{"name": "RSE_B"}'
req GET /rses/RSE_B/protocols
is "after a rename, the protocols are still there" "$(json length)" 2

req DELETE /rses/RSE_B/protocols/root/xrd.example.org
is "delete root on xrd.example.org: 200" "$STATUS" 200
req DELETE /rses/RSE_B/protocols/root
ok "again: 404 RSEProtocolNotSupported" error_is 404 RSEProtocolNotSupported
req DELETE /rses/RSE_B/protocols/file
is "delete file: 200" "$STATUS" 200
req GET /rses/RSE_B/protocols
ok "none left: 404" error_is 404 RSEProtocolNotSupported

TOKEN=$("$B/gridrest-db" token root -1)
reqb POST /rses/RSE_B/protocols/file "$p"
ok "an expired token: 401" error_is 401 CannotAuthenticate
login
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
TOKEN=$("$B/gridrest-db" token jdoe)
reqb POST /rses/RSE_B/protocols/file "$p"
ok "a user adds a protocol: 401 AccessDenied" error_is 401 AccessDenied
