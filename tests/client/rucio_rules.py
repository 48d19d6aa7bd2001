"""Drive gridrest's /rules and /locks with the real Rucio client
(scripts/real-client): RuleClient, LockClient and the rule listings of
DIDClient and AccountClient. Our own driver; the client is only imported."""
import time

from rucio.client import Client
from rucio.common.exception import (DataIdentifierNotFound, DuplicateRule,
                                    InputValidationError,
                                    InsufficientTargetRSEs,
                                    InvalidRSEExpression, RuleNotFound,
                                    RuleReplaceFailed, UnsupportedOperation)
from tap import check, done, raises

c = Client()
c.add_scope("root", "data")
for rse in ("SITE_A", "SITE_B", "SITE_C"):
    c.add_rse(rse)
files = [{"scope": "data", "name": "f%d" % i, "bytes": 10 + i} for i in range(3)]
c.add_replicas("SITE_A", files)
c.add_dataset("data", "ds1")
c.attach_dids("data", "ds1", files[:2])
ds = [{"scope": "data", "name": "ds1"}]

# add, get
[r1] = c.add_replication_rule(ds, 1, "SITE_A", comment="here already")
check("add_replication_rule returns one id", len(r1) == 32)
rule = c.get_replication_rule(r1)
check("get_replication_rule: OK, 2 locks, comments",
      rule["state"] == "OK" and rule["locks_ok_cnt"] == 2
      and rule["comments"] == "here already" and rule["grouping"] == "DATASET")
[r2] = c.add_replication_rule(ds, 1, "SITE_B", lifetime=3600, activity="Express")
rule = c.get_replication_rule(r2)
check("a rule to SITE_B: REPLICATING, expires_at set",
      rule["state"] == "REPLICATING" and rule["locks_replicating_cnt"] == 2
      and rule["expires_at"] is not None and rule["activity"] == "Express")
raises("the same rule again", DuplicateRule, c.add_replication_rule, ds, 1, "SITE_B")
raises("an unknown DID", DataIdentifierNotFound, c.add_replication_rule,
       [{"scope": "data", "name": "nope"}], 1, "SITE_A")
raises("an expression selecting nothing", InvalidRSEExpression,
       c.add_replication_rule, ds, 1, "NOWHERE")
raises("more copies than RSEs", InsufficientTargetRSEs,
       c.add_replication_rule, ds, 4, "*")
raises("an unknown rule", RuleNotFound, c.get_replication_rule, "0" * 32)

# list with filters, DID and account listings, locks
ids = sorted(r["id"] for r in c.list_replication_rules({"scope": "data", "name": "ds1"}))
check("list_replication_rules by DID", ids == sorted([r1, r2]))
check("list_replication_rules by state letter",
      [r["id"] for r in c.list_replication_rules({"state": "R"})] == [r2])
check("list_did_rules", sorted(r["id"] for r in c.list_did_rules("data", "ds1")) == sorted([r1, r2]))
check("list_associated_rules_for_file",
      sorted(r["id"] for r in c.list_associated_rules_for_file("data", "f0")) == sorted([r1, r2]))
check("list_account_rules", sorted(r["id"] for r in c.list_account_rules("root")) == sorted([r1, r2]))
locks = list(c.list_replica_locks(r2))
check("list_replica_locks: one per file, on SITE_B",
      sorted(lk["name"] for lk in locks) == ["f0", "f1"]
      and {lk["rse"] for lk in locks} == {"SITE_B"})
dsl = list(c.get_dataset_locks("data", "ds1"))
check("get_dataset_locks: one per rule", sorted(lk["rule_id"] for lk in dsl) == sorted([r1, r2]))
check("get_dataset_locks_by_rse", [lk["name"] for lk in c.get_dataset_locks_by_rse("SITE_B")] == ["ds1"])
c.add_container("data", "cont1")
c.attach_dids("data", "cont1", ds)
bulk = c.get_locks_for_dids([{"scope": "data", "name": "cont1", "type": "container"},
                             {"scope": "data", "name": "ds1"}])
check("get_locks_for_dids: the container's dataset's locks, each once",
      sorted(lk["rule_id"] for lk in bulk) == sorted([r1, r2])
      and {lk["name"] for lk in bulk} == {"ds1"})
check("... filtered by the client", [lk["rse"] for lk in c.get_locks_for_dids(ds, rule_id=r2)] == ["SITE_B"])

# the state machine through update_replicas_states
c.update_replicas_states("SITE_B", [{"scope": "data", "name": "f0", "state": "A"},
                                    {"scope": "data", "name": "f1", "state": "A"}])
check("replicas arrive: the rule is OK", c.get_replication_rule(r2)["state"] == "OK")
hist = list(c.list_replication_rule_full_history("data", "ds1"))
check("list_replication_rule_full_history", {h["rule_id"] for h in hist} == {r1, r2})
check("examine_replication_rule", c.examine_replication_rule(r2)["transfers"] == [])

# update
check("update_replication_rule", c.update_replication_rule(r2, {"comment": "moved on", "locked": True}))
rule = c.get_replication_rule(r2)
check("... comment and lock", rule["comments"] == "moved on" and rule["locked"] is True)
raises("delete a locked rule", UnsupportedOperation, c.delete_replication_rule, r2)
raises("an unknown option", InputValidationError, c.update_replication_rule, r2, {"colour": "red"})
c.update_replication_rule(r2, {"locked": False})

# reduce and move
[r3] = c.add_replication_rule([{"scope": "data", "name": "f2"}], 1, "SITE_A|SITE_B", grouping="NONE")
raises("reduce to as many copies", RuleReplaceFailed, c.reduce_replication_rule, r3, 1)
[r4] = c.move_replication_rule(r3, "SITE_A", {"comment": "moved"})
check("move_replication_rule: a child, OK at once, the parent gone",
      c.get_replication_rule(r4)["state"] == "OK"
      and c.get_replication_rule(r4)["comments"] == "moved")
raises("... the parent", RuleNotFound, c.get_replication_rule, r3)
c.add_replicas("SITE_B", [files[2]])
[r5] = c.add_replication_rule([{"scope": "data", "name": "f2"}], 2, "SITE_A|SITE_B")
new = c.reduce_replication_rule(r5, 1, exclude_expression="SITE_A")
check("reduce_replication_rule: a new rule of 1 copy on SITE_B",
      len(new) == 1 and [lk["rse"] for lk in c.list_replica_locks(new[0])] == ["SITE_B"])

# approve, deny
[r6] = c.add_replication_rule([{"scope": "data", "name": "f2"}], 1, "SITE_C", ask_approval=True)
check("ask_approval: WAITING_APPROVAL", c.get_replication_rule(r6)["state"] == "WAITING_APPROVAL")
check("approve_replication_rule", c.approve_replication_rule(r6))
state = c.get_replication_rule(r6)["state"]
for _ in range(50):
    if state != "INJECT":
        break
    time.sleep(0.1)
    state = c.get_replication_rule(r6)["state"]
check("... injected by the evaluator: REPLICATING", state == "REPLICATING")
[r7] = c.add_replication_rule([{"scope": "data", "name": "f1"}], 1, "SITE_C", ask_approval=True)
check("deny_replication_rule", c.deny_replication_rule(r7, reason="no room"))
raises("... the denied rule", RuleNotFound, c.get_replication_rule, r7)

# the options the calls above leave at their defaults
[rn] = c.add_replication_rule(ds, 1, "SITE_C", notify="C", priority=4, meta='{"k": 1}',
                              source_replica_expression="SITE_A", purge_replicas=True,
                              ignore_availability=True, weight=None)
rule = c.get_replication_rule(rn)
check("notify, priority, meta, source_replica_expression, purge_replicas, ignore_availability kept",
      rule["notification"] == "CLOSE" and rule["priority"] == 4 and rule["meta"] == '{"k": 1}'
      and rule["source_replica_expression"] == "SITE_A" and rule["purge_replicas"] is True
      and rule["ignore_availability"] is True and rule["state"] == "REPLICATING")
check("update_replication_rule state SUSPENDED", c.update_replication_rule(rn, {"state": "SUSPENDED"})
      and c.get_replication_rule(rn)["state"] == "SUSPENDED")

# delete
check("delete_replication_rule", c.delete_replication_rule(r2, purge_replicas=True))
raises("... then get", RuleNotFound, c.get_replication_rule, r2)
done()
