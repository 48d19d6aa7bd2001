"""Drive gridrest's /rses and account limits with the real Rucio client
(scripts/real-client). Our own driver; the client is only imported."""

from rucio.client import Client
from rucio.common.exception import (Duplicate, InvalidRSEExpression,
                                    RSENotFound)
from tap import check, done

c = Client()
check("add_rse", c.add_rse("RSE_A"))
check("add_rse with settings", c.add_rse("RSE_B", rse_type="TAPE", city="Geneva"))
try:
    c.add_rse("RSE_A")
    check("add_rse twice raises", False)
except Duplicate:
    check("add_rse twice raises Duplicate", True)
info = c.get_rse("RSE_B")
check("get_rse", info["rse"] == "RSE_B" and info["rse_type"] == "TAPE")
check("list_rses", [r["rse"] for r in c.list_rses()] == ["RSE_A", "RSE_B"])
check("update_rse", c.update_rse("RSE_A", {"availability_write": False}))
check("get_rse after update", c.get_rse("RSE_A")["availability_write"] is False)
check("add_rse_attribute", c.add_rse_attribute("RSE_A", "tier", 1))
attrs = c.list_rse_attributes("RSE_A")
check("list_rse_attributes", attrs.get("RSE_A") is True and attrs.get("tier") == "1")
check("list_rses(expression)",
      [r["rse"] for r in c.list_rses("tier=1|RSE_B")] == ["RSE_A", "RSE_B"])
try:
    list(c.list_rses("tier=9"))
    check("an empty expression raises", False)
except InvalidRSEExpression:
    check("an empty expression raises InvalidRSEExpression", True)
check("delete_rse_attribute", c.delete_rse_attribute("RSE_A", "tier"))
proto = {"scheme": "file", "hostname": "localhost", "port": 0,
         "prefix": "/data/rse", "impl": "rucio.rse.protocols.posix.Default",
         "domains": {"lan": {"read": 1, "write": 1, "delete": 1},
                     "wan": {"read": 1, "write": 1, "delete": 1,
                             "third_party_copy_read": 1,
                             "third_party_copy_write": 1}}}
check("add_protocol", c.add_protocol("RSE_A", proto))
protos = c.get_protocols("RSE_A")
check("get_protocols", len(protos) == 1 and protos[0]["prefix"] == "/data/rse")
check("update_protocols",
      c.update_protocols("RSE_A", "file", {"prefix": "/data/new"},
                         hostname="localhost", port=0))
check("get_protocols after update", c.get_protocols("RSE_A")[0]["prefix"] == "/data/new")
check("get_rse lists the protocol", len(c.get_rse("RSE_A")["protocols"]) == 1)
pfns = c.lfns2pfns("RSE_A", ["user.jdoe:file1"], scheme="file", operation="read")
check("lfns2pfns", pfns == {"user.jdoe:file1":
                            "file://localhost:0/data/new/user/jdoe/a2/cb/file1"})
check("delete_protocols", c.delete_protocols("RSE_A", "file", hostname="localhost"))
check("add_account", c.add_account("jdoe", "USER", "j@example.org"))
check("set_local_account_limit", c.set_local_account_limit("jdoe", "RSE_A", 1000))
check("get_local_account_limits",
      c.get_local_account_limits("jdoe") == {"RSE_A": 1000})
check("get_local_account_limit",
      c.get_local_account_limit("jdoe", "RSE_A") == {"RSE_A": 1000})
check("set_global_account_limit",
      c.set_global_account_limit("jdoe", "RSE_A|RSE_B", 10))
check("get_global_account_limit",
      c.get_global_account_limit("jdoe", "RSE_A|RSE_B") == {"RSE_A|RSE_B": 10})
g = c.get_global_account_limits("jdoe")
check("get_global_account_limits",
      g["RSE_A|RSE_B"]["resolved_rses"] == ["RSE_A", "RSE_B"])
check("delete_global_account_limit",
      c.delete_global_account_limit("jdoe", "RSE_A|RSE_B"))
check("delete_local_account_limit", c.delete_local_account_limit("jdoe", "RSE_A"))
check("delete_rse", c.delete_rse("RSE_B"))
try:
    c.get_rse("RSE_B")
    check("get_rse of a deleted RSE raises", False)
except RSENotFound:
    check("get_rse of a deleted RSE raises RSENotFound", True)
done()
