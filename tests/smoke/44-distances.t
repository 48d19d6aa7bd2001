#!/bin/sh
# 44-distances.t -- distances between RSEs: add (one way or both),
# read (Rucio's list form, "ranking" = "distance"), update, delete, rights
# and errors.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
reqb POST /rses/SRC '{}'
reqb POST /rses/DST '{}'
reqb POST /accounts/jdoe '{"type": "USER", "email": "j@example.org"}'
is "two RSEs and a user: 201" "$STATUS" 201

reqb POST /rses/SRC/distances/DST '{"distance": 3, "bidirectional": true}'
is "add SRC -> DST both ways: 201" "$STATUS" 201
req GET /rses/SRC/distances/DST
is "SRC -> DST" "$(json -c '.[0] | [.distance, .ranking, (.src_rse_id | length), (.dest_rse_id | length)]')" '[3,3,32,32]'
ok "... dates in RFC 1123" matches "$(json -r '.[0].created_at')" 'UTC$'
req GET /rses/DST/distances/SRC
is "DST -> SRC too" "$(json -c '.[0].distance')" 3
reqb POST /rses/SRC/distances/DST '{"distance": 4}'
ok "add it again: 409 Duplicate" error_is 409 Duplicate
reqb PUT /rses/SRC/distances/DST '{"ranking": 7}'
is "update through the old name ranking: 200" "$STATUS" 200
req GET /rses/SRC/distances/DST
is "... stored" "$(json -c '.[0].distance')" 7
req GET /rses/DST/distances/SRC
is "... the other direction kept" "$(json -c '.[0].distance')" 3
reqb POST /rses/SRC/distances/NOPE '{"distance": 1}'
ok "an unknown RSE: 404 RSENotFound" error_is 404 RSENotFound
reqb POST /rses/SRC/distances/SRC '{"distance": -1}'
ok "a negative distance: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/SRC/distances/SRC ''
ok "an empty body: 400 ValueError" error_is 400 ValueError
reqb POST /rses/SRC/distances/SRC '{}'
ok "a body without a distance: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /rses/SRC/distances/SRC '{"distance": null}'
ok "... or a null one: 400 InvalidObject" error_is 400 InvalidObject
reqb PUT /rses/SRC/distances/DST ''
ok "an update with an empty body: 400 ValueError" error_is 400 ValueError
reqb PUT /rses/SRC/distances/DST '{"bidirectional": true}'
ok "... without a distance: 400 InvalidObject" error_is 400 InvalidObject
req GET /rses/SRC/distances/SRC
is "... nothing stored from SRC to SRC" "$(cat "$T/body")" "[]"
req GET /rses/SRC/distances/DST
is "... SRC -> DST kept" "$(json -c '.[0].distance')" 7
TOKEN=$("$B/gridrest-db" token jdoe)
reqb POST /rses/DST/distances/DST '{"distance": 1}'
ok "a user adds a distance: 401 AccessDenied" error_is 401 AccessDenied
req GET /rses/SRC/distances/DST
is "... reads one: 200" "$STATUS" 200
TOKEN=$root
req DELETE /rses/SRC/distances/DST
is "delete one way: 200" "$STATUS" 200
req GET /rses/SRC/distances/DST
is "... none left: []" "$(json -c .)" '[]'
req GET /rses/DST/distances/SRC
is "... the other way stays" "$(json -c '.[0].distance')" 3
reqb POST /rses/SRC/distances/DST '{"distance": 5, "bidirectional": true}'
req DELETE '/rses/SRC/distances/DST?bidirectional=True'
is "delete both ways (bidirectional as the client sends it, in the query): 200" "$STATUS" 200
req GET /rses/DST/distances/SRC
is "... both gone" "$(json -c .)" '[]'
