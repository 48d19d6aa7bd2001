#!/bin/sh
# 18-authz.t -- the authorization matrix of the auth family: every route
# with a token-protected answer, called with no token, an expired one, a
# forged one, a plain user's and an admin's; each must give the expected
# status (and 401 CannotAuthenticate / AccessDenied by name).
. tests/smoke/lib.sh
server_start
db=$B/gridrest-db
login
root=$TOKEN

# the cast: jdoe a user, eve an admin, and what the writes below act on
reqb POST /accounts/jdoe '{"type": "USER", "email": "jdoe@example.org"}'
reqb POST /accounts/eve '{"type": "USER", "email": "eve@example.org"}'
reqb POST /accounts/eve/attr/admin '{"value": true}'
reqb POST /accounts/jdoe/identities '{"identity": "jdoe", "authtype": "USERPASS", "email": "jdoe@example.org", "password": "pw"}'
reqb POST /scopes/jdoe/user.jdoe ''
reqb POST /rses/RSE_A '{}'
for k in _user _admin; do
	reqb POST "/accounts/jdoe/attr/d$k" '{"value": "v"}'
	reqb POST /accounts/jdoe/identities "{\"identity\": \"del$k\", \"authtype\": \"GSS\", \"email\": \"d@example.org\"}"
	reqb POST "/scopes/jdoe/own$k" ''
done
is "the cast is ready" "$STATUS" 201

user=$("$db" token jdoe)
admin=$("$db" token eve)
expired=$("$db" token jdoe -1)
forged="jdoe-jdoe-unknown-$(openssl rand -hex 16)"
ok_all "tokens made with gridrest-db" [ -n "$user" ] -- [ -n "$admin" ] -- \
    [ -n "$expired" ]

# METHOD|PATH|BODY|as user|as admin   (%K: a name unique to the caller)
while IFS="|" read -r r_method r_path r_body as_user as_admin; do
	[ -z "$r_method" ] && continue
	for kind in none expired forged user admin; do
		case $kind in
		none) TOKEN= want=401 ;;
		expired) TOKEN=$expired want=401 ;;
		forged) TOKEN=$forged want=401 ;;
		user) TOKEN=$user want=$as_user ;;
		admin) TOKEN=$admin want=$as_admin ;;
		esac
		p=$(printf %s "$r_path" | sed "s/%K/_$kind/g")
		b=$(printf %s "$r_body" | sed "s/%K/_$kind/g")
		if [ -n "$b" ]; then
			reqb "$r_method" "$p" "$b"
		else
			reqb "$r_method" "$p" ''
		fi
		if [ "$want" = 401 ]; then
			cls=$(header ExceptionClass)
			case $kind in user | admin) c=AccessDenied ;; *) c=CannotAuthenticate ;; esac
			is "$r_method $p as $kind: 401 $c" "$STATUS $cls" "401 $c"
		else
			is "$r_method $p as $kind: $want" "$STATUS" "$want"
		fi
	done
done <<'MATRIX'
GET|/accounts||200|200
GET|/accounts/whoami||303|303
GET|/accounts/root||200|200
POST|/accounts/new%K|{"type": "USER", "email": "n@example.org"}|401|401
PUT|/accounts/jdoe|{"email": "j2@example.org"}|401|200
DELETE|/accounts/victim%K||401|401
GET|/accounts/jdoe/attr||200|200
POST|/accounts/jdoe/attr/k%K|{"value": "v"}|401|201
DELETE|/accounts/jdoe/attr/d%K||401|200
GET|/accounts/jdoe/identities||200|200
GET|/accounts/jdoe/usage/local||200|200
GET|/accounts/root/usage/local||401|200
GET|/accounts/root/usage/local/RSE_A||401|200
GET|/accounts/root/usage/global||401|200
GET|/accounts/jdoe/usage/history/RSE_A||200|200
GET|/accounts/root/usage/history/RSE_A||401|200
POST|/accounts/jdoe/identities|{"identity": "id%K", "authtype": "GSS", "email": "i@example.org"}|401|201
DELETE|/accounts/jdoe/identities|{"identity": "del%K", "authtype": "GSS"}|401|200
GET|/identities/accounts?identity_key=jdoe&type=USERPASS||200|200
GET|/identities/jdoe/userpass/accounts||200|200
GET|/scopes||200|200
GET|/scopes/owner||200|200
GET|/scopes/jdoe/scopes||200|200
GET|/accounts/jdoe/scopes||200|200
POST|/scopes/jdoe/s%K||401|201
POST|/accounts/jdoe/scopes/t%K||401|201
PUT|/scopes/root/own%K||401|201
GET|/oauth2/userinfo||200|200
POST|/oauth2/clients|{"name": "c%K", "redirect_uri": "https://x.example.org/cb"}|401|201
MATRIX

# nothing the refused calls asked for happened
TOKEN=$root
req GET '/accounts?account=new_*'
is "no account was created by a refused call" "$(wc -c <"$T/body" | tr -d ' ')" 0
req GET /accounts/jdoe/attr
is "jdoe's attributes: only the admin's changes" \
    "$(jq -r '.[].key' "$T/body" | sort | tr '\n' ' ')" "d_user k_admin "
