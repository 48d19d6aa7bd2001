"""Drive gridrest's subscriptions with the real Rucio client's
SubscriptionClient (scripts/real-client): add, list (all, by account, by
name), update, deactivate, errors, the subscription's rules and rule
states. Our own driver; the client is only imported."""
import json

from rucio.client import Client
from rucio.common.exception import (AccessDenied, InvalidObject,
                                    SubscriptionDuplicate,
                                    SubscriptionNotFound)
from tap import check, done, raises

def raises(what, exc, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        check(what + " raises " + exc.__name__, False)
    except exc:
        check(what + " raises " + exc.__name__, True)
    except Exception as e:  # noqa: BLE001 -- report what came instead
        check("%s raises %s (got %s: %s)" % (what, exc.__name__, type(e).__name__, e), False)


c = Client()
c.add_account("jdoe", "USER", "jdoe@example.org")
rules = [{"copies": 1, "rse_expression": "tier=1", "activity": "Data Brokering",
          "lifetime": 86400}]
flt = {"scope": ["data.*"], "pattern": "AOD\\..*", "project": ["data18"]}

sid = c.add_subscription("aod", "root", flt, rules, "AODs to tier 1", 7, False, False)
check("add_subscription: an id of 32 hex digits",
      len(sid) == 32 and all(ch in "0123456789abcdef" for ch in sid))
raises("the same name again", SubscriptionDuplicate, c.add_subscription,
       "aod", "root", flt, rules, "again", 7, False, False)
raises("no rule", InvalidObject, c.add_subscription,
       "x", "root", flt, [], "none", False, False, False)
raises("an unknown activity", InvalidObject, c.add_subscription,
       "x", "root", flt, [{"copies": 1, "rse_expression": "A", "activity": "Fun"}],
       "bad", False, False, False)
c.add_subscription("raw", "jdoe", {"account": ["jdoe"]}, rules, "for jdoe", False,
                   False, False, priority=1)

subs = list(c.list_subscriptions(account="root", name="aod"))
check("list_subscriptions(account, name): one", len(subs) == 1)
s = subs[0]
check("... its id, state ACTIVE, priority 3",
      (s["id"], s["state"], s["policyid"]) == (sid, "ACTIVE", 3))
check("... filter and replication_rules are JSON strings",
      json.loads(s["filter"]) == flt and json.loads(s["replication_rules"]) == rules)
check("... lifetime and created_at read back as datetimes",
      hasattr(s["lifetime"], "year") and hasattr(s["created_at"], "year"))
check("... lifetime about 7 days after creation",
      6.99 < (s["lifetime"] - s["created_at"]).total_seconds() / 86400 <= 7.0)
check("list_subscriptions(): both",
      sorted((x["account"], x["name"]) for x in c.list_subscriptions())
      == [("jdoe", "raw"), ("root", "aod")])
check("list_subscriptions(account='jdoe'): its own",
      [x["name"] for x in c.list_subscriptions(account="jdoe")] == ["raw"])
check("list_subscriptions(name='raw'): across accounts",
      [x["account"] for x in c.list_subscriptions(name="raw")] == ["jdoe"])
check("list_subscriptions of an unknown name: empty (the client's 404)",
      list(c.list_subscriptions(name="nope")) == [])

check("update_subscription", c.update_subscription("aod", account="root",
                                                   comments="AODs, updated", priority=2))
s = list(c.list_subscriptions(account="root", name="aod"))[0]
check("... UPDATED, comments and priority changed, filter kept",
      (s["state"], s["comments"], s["policyid"], json.loads(s["filter"]))
      == ("UPDATED", "AODs, updated", 2, flt))
raises("update_subscription of an unknown one", SubscriptionNotFound,
       c.update_subscription, "nope", account="root", comments="x")
check("deactivate_subscription", c.deactivate_subscription("raw", account="jdoe"))
s = list(c.list_subscriptions(account="jdoe", name="raw"))[0]
check("... INACTIVE, expired_at set", s["state"] == "INACTIVE" and s["expired_at"] is not None)

check("list_subscription_rules: none made yet",
      list(c.list_subscription_rules("root", "aod")) == [])

# the transmogrifier: a new dataset that matches gets the rules
c.add_rse("DISK_1")
c.add_rse_attribute("DISK_1", "tier", 1)
c.add_scope("root", "data18")
c.add_dataset("data18", "AOD.1", meta={"project": "data18"})
c.add_dataset("data18", "ESD.1", meta={"project": "data18"})
r = list(c.list_did_rules("data18", "AOD.1"))
check("a new matching dataset has the subscription's rule",
      [(x["subscription_id"], x["rse_expression"], x["activity"]) for x in r]
      == [(sid, "tier=1", "Data Brokering")])
check("... one that does not match has none", list(c.list_did_rules("data18", "ESD.1")) == [])
r = list(c.list_subscription_rules("root", "aod"))
check("list_subscription_rules: that rule", [x["name"] for x in r] == ["AOD.1"])
raises("list_subscription_rules of an unknown one", SubscriptionNotFound,
       lambda: list(c.list_subscription_rules("root", "nope")))
states = list(c.list_subscription_rule_states("root"))
# [account, name, state, count], as upstream's server writes its tuple
check("list_subscription_rule_states: its rule, by state",
      [tuple(x) for x in states] == [("root", "aod", "OK", 1)])
states = list(c.list_subscription_rule_states("jdoe", "raw", include_details=True))
check("... with details: the subscription's state",
      len(states) == 1 and states[0]["subscription_state"] == "INACTIVE")

# a user may not add one
c.add_identity("jdoe", "jdoe", "USERPASS", "jdoe@example.org", password="jdoe-secret-1")
u = Client(account="jdoe", creds={"username": "jdoe", "password": "jdoe-secret-1"},
           auth_type="userpass")
raises("add_subscription by a user", AccessDenied, u.add_subscription,
       "mine", "jdoe", {}, rules, "no", False, False, False)
check("... a user reads them", len(list(u.list_subscriptions(account="root"))) == 1)

done()
