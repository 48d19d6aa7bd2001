"""Drive gridrest with the real Rucio python client (scripts/real-client).

The client library is not part of gridrest: its source is given with
RUCIO_SRC and only imported here. This file is our own driver: it calls the
client's public API the way the rucio CLI does and checks what comes back.
"""
import os

from rucio.client import Client
from rucio.common.exception import AccountNotFound, Duplicate, ScopeNotFound
from tap import check, done

c = Client()
check("ping", "version" in c.ping())
check("whoami (303 followed)", c.whoami()["account"] == "root")
check("add_account", c.add_account("jdoe", "USER", "jdoe@example.org"))
check("get_account", c.get_account("jdoe")["account_type"] == "USER")
check("list_accounts", [a["account"] for a in c.list_accounts()] == ["jdoe", "root"])
check("list_accounts(account_type)",
      [a["account"] for a in c.list_accounts(account_type="USER")] == ["jdoe"])
check("update_account", c.update_account("jdoe", "email", "j2@example.org"))
check("add_account_attribute", c.add_account_attribute("jdoe", "country", "ch"))
attrs = [a for page in c.list_account_attributes("jdoe") for a in page]
check("list_account_attributes", attrs == [{"key": "country", "value": "ch"}])
check("delete_account_attribute", c.delete_account_attribute("jdoe", "country"))
check("add_identity", c.add_identity("jdoe", "jdoe", "USERPASS", "jdoe@example.org",
                                     default=True, password="pw-jdoe"))
check("list_identities",
      [i["identity"] for i in c.list_identities("jdoe")] == ["jdoe"])
check("add_scope", c.add_scope("jdoe", "user.jdoe"))
check("list_scopes", c.list_scopes() == ["user.jdoe"])
check("list_scopes_for_account", c.list_scopes_for_account("jdoe") == ["user.jdoe"])
check("list_scope_owners",
      c.list_scope_owners() == [{"scope": "user.jdoe", "account": "jdoe"}])
try:
    c.list_scopes_for_account("root")
    check("list_scopes_for_account without scopes raises", False)
except ScopeNotFound:
    check("list_scopes_for_account without scopes raises ScopeNotFound", True)
try:
    c.add_account("jdoe", "USER", "x@example.org")
    check("a second add_account raises", False)
except Duplicate:
    check("a second add_account raises Duplicate", True)
try:
    c.get_account("nobody")
    check("get_account of nobody raises", False)
except AccountNotFound:
    check("get_account of nobody raises AccountNotFound", True)
check("update_scope", c.update_scope("root", "user.jdoe"))
check("list_account_rules", list(c.list_account_rules("jdoe")) == [])

# the account's own login, then a forged cached token: 401, then a new login
jd = Client(account="jdoe", creds={"username": "jdoe", "password": "pw-jdoe"},
            auth_type="userpass")
check("jdoe logs in", jd.whoami()["account"] == "jdoe")
jd.auth_token = "jdoe-jdoe-unknown-" + "0" * 32
jd.headers["X-Rucio-Auth-Token"] = jd.auth_token
check("after a 401 the client logs in again", jd.whoami()["account"] == "jdoe")

check("del_identity", c.del_identity("jdoe", "jdoe", "USERPASS"))
check("delete_account", c.delete_account("jdoe"))
done()
