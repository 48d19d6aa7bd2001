#!/bin/sh
# 12-identities.t -- account attributes, identities and the rights they
# give: a second account logs in with its own identity, is refused what
# only admins or root may do, becomes an admin through the "admin"
# attribute, and loses its tokens when deleted.
. tests/smoke/lib.sh
server_start
login
root=$TOKEN
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
is "account jdoe: 201" "$STATUS" 201

# identities
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "userpass", "email": "jdoe@example.org", "password": "pw-jdoe", "default": true}'
is "userpass identity for jdoe: 201" "$STATUS" 201
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org", "password": "other"}'
ok "the same mapping again: 409 Duplicate" error_is 409 Duplicate
reqb POST /accounts/jdoe/identities '{"identity": "nopw", "authtype": "USERPASS", "email": "j@example.org"}'
ok "a new userpass identity without password: 400 IdentityError" error_is 400 IdentityError
reqb POST /accounts/jdoe/identities '{"identity": "x", "authtype": "KERBEROS", "email": "j@example.org"}'
ok "unknown authtype: 400 IdentityError" error_is 400 IdentityError
reqb POST /accounts/jdoe/identities '{"identity": "x", "authtype": "GSS"}'
ok "no email: 400 KeyError" error_is 400 KeyError
reqb POST /accounts/jdoe/identities '{"identity": "x", "authtype": "GSS", "email": "j@example.org", "default": "yes"}'
ok "default not a boolean: 400 TypeError" error_is 400 TypeError
reqb POST /accounts/nobody/identities '{"identity": "x", "authtype": "GSS", "email": "j@example.org"}'
ok "for a missing account: 404 AccountNotFound" error_is 404 AccountNotFound
reqb POST /accounts/jdoe/identities '{"identity": "jdoe@EXAMPLE.ORG", "authtype": "GSS", "email": "jdoe@example.org", "default": "True"}'
is "gss identity: 201" "$STATUS" 201

req GET /accounts/jdoe/identities
is "identities of jdoe: stream" "$(header Content-Type)" application/x-json-stream
is "... both, typed" "$(jq -r '.type + ":" + .identity' "$T/body" | sort | tr '\n' ' ')" "GSS:jdoe@EXAMPLE.ORG USERPASS:jdoe "
is "... with email" "$(jq -r .email "$T/body" | sort -u)" jdoe@example.org
req GET /identities/jdoe/userpass/accounts
is "accounts of identity jdoe" "$(json -c .)" '["jdoe"]'
req GET '/identities/accounts?identity_key=jdoe&type=USERPASS'
is "... by query" "$(json -c .)" '["jdoe"]'
req GET '/identities/accounts?identity_key=jdoe'
ok "... without type: 400 ValueError" error_is 400 ValueError
req GET '/identities/accounts?identity_key=jdoe&type=CARD'
ok "... bad type: 400 ValueError" error_is 400 ValueError

# jdoe logs in with its identity and is a plain user
login jdoe jdoe pw-jdoe
is "jdoe logs in: 200" "$STATUS" 200
jdoe=$TOKEN
req GET /accounts/whoami -L
is "whoami: jdoe" "$(json .account)" jdoe
reqb POST /accounts/eve '{"type": "USER", "email": "e@example.org"}'
ok "jdoe creates an account: 401 AccessDenied" error_is 401 AccessDenied
reqb PUT /accounts/root '{"email": "r@example.org"}'
ok "jdoe updates an account: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /accounts/jdoe/attr/admin '{"value": true}'
ok "jdoe makes itself admin: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /scopes/jdoe/user.jdoe ''
ok "jdoe adds a scope: 401 AccessDenied" error_is 401 AccessDenied
reqb POST /accounts/jdoe/identities '{"identity": "x", "authtype": "GSS", "email": "j@example.org"}'
ok "jdoe adds an identity: 401 AccessDenied" error_is 401 AccessDenied
req GET /accounts/root
is "jdoe reads root: 200" "$STATUS" 200

# attributes
TOKEN=$root
reqb POST /accounts/jdoe/attr/admin '{"key": "ignored", "value": "True"}'
is "root makes jdoe admin: 201" "$STATUS" 201
reqb POST /accounts/jdoe/attr/admin '{"value": true}'
ok "again: 409 Duplicate" error_is 409 Duplicate
reqb POST /accounts/jdoe/attr/country '{"value": 7}'
is "a number value: 201" "$STATUS" 201
reqb POST /accounts/jdoe/attr/bad%20key '{"value": "x"}'
ok "bad key: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/jdoe/attr/k '{"value": "no spaces allowed"}'
ok "bad value: 400 InvalidObject" error_is 400 InvalidObject
reqb POST /accounts/jdoe/attr/k '{}'
ok "no value: 400 KeyError" error_is 400 KeyError
req GET /accounts/jdoe/attr/
is "attributes: booleans as booleans, the rest as strings" "$(json -c .)" \
    '[{"key":"admin","value":true},{"key":"country","value":"7"}]'
req GET '/accounts?admin=true'
is "accounts filtered by attribute" "$(jq -r .account "$T/body" | tr '\n' ' ')" "jdoe "

TOKEN=$jdoe
reqb PUT /accounts/root '{"email": "root@example.org"}'
is "admin jdoe updates root: 200" "$STATUS" 200
reqb POST /accounts/eve '{"type": "USER", "email": "e@example.org"}'
ok "admin jdoe still cannot create accounts (root only): 401" error_is 401 AccessDenied
reqb POST /scopes/jdoe/user.jdoe ''
is "admin jdoe adds a scope: 201" "$STATUS" 201

TOKEN=$root
req DELETE /accounts/jdoe/attr/admin
is "remove the attribute: 200" "$STATUS" 200
req DELETE /accounts/jdoe/attr/admin
ok "again: 404 AccountNotFound" error_is 404 AccountNotFound
TOKEN=$jdoe
reqb PUT /accounts/root '{"email": "root2@example.org"}'
ok "jdoe is no admin any more: 401 AccessDenied" error_is 401 AccessDenied

# an identity of two accounts, neither the default: Rucio's 206
TOKEN=$root
reqb POST /accounts/eve '{"type": "USER", "email": "e@example.org"}'
reqb POST /accounts/eve/identities '{"identity": "shared", "authtype": "USERPASS", "email": "s@example.org", "password": "pw-s"}'
reqb POST /accounts/root/identities '{"identity": "shared", "authtype": "USERPASS", "email": "s@example.org"}'
is "shared is mapped to eve and root: 201" "$STATUS" 201
login '' shared pw-s
is "login naming no account: 206" "$STATUS" 206
is "... X-Rucio-Auth-Accounts lists both" "$(header X-Rucio-Auth-Accounts)" eve,root
is "... so does the body" "$(json -c .)" '["eve","root"]'
ok "... and no token" [ -z "$(header X-Rucio-Auth-Token)" ]
login '' shared wrong
ok "the same with a wrong password: 401, nothing listed" \
    sh -c "[ '$STATUS' = 401 ] && ! grep -qi x-rucio-auth-accounts '$T/headers'"
login eve shared pw-s
is "naming eve: a token for eve" "$STATUS/$(header X-Rucio-Auth-Account)" 200/eve
TOKEN=$root

# identities by header (PUT /identities/{a}/userpass)
TOKEN=$root
req PUT /identities/jdoe/userpass -H 'X-Rucio-Username: jdoe2' -H 'X-Rucio-Password: pw2' -H 'X-Rucio-Email: j2@example.org' --data-binary ''
is "PUT /identities/jdoe/userpass: 201" "$STATUS" 201
req PUT /identities/jdoe/userpass -H 'X-Rucio-Username: jdoe3' --data-binary ''
ok "... without password and email: 400 ValueError" error_is 400 ValueError
login jdoe jdoe2 pw2
is "jdoe logs in as jdoe2: 200" "$STATUS" 200
TOKEN=$root
req PUT /identities/jdoe/x509 -H 'X-Rucio-Email: j@example.org' --data-binary ''
ok "PUT /identities/jdoe/x509 without a certificate: 401" error_is 401 CannotAuthenticate

reqb DELETE /accounts/jdoe/identities '{"identity": "jdoe2", "authtype": "USERPASS"}'
is "delete the jdoe2 mapping: 200" "$STATUS" 200
reqb DELETE /accounts/jdoe/identities '{"identity": "jdoe2", "authtype": "USERPASS"}'
ok "again: 400 IdentityError" error_is 400 IdentityError
login jdoe jdoe2 pw2
ok "jdoe2 cannot log in any more: 401" error_is 401 CannotAuthenticate

# deleting an account revokes its tokens
TOKEN=$jdoe
req GET /accounts/root
is "jdoe's token works" "$STATUS" 200
TOKEN=$root
req DELETE /accounts/jdoe
is "delete jdoe: 200" "$STATUS" 200
TOKEN=$jdoe
req GET /accounts/root
ok "jdoe's token is revoked: 401 CannotAuthenticate" error_is 401 CannotAuthenticate
login jdoe jdoe pw-jdoe
ok "jdoe cannot log in: 401" error_is 401 CannotAuthenticate
