"""Drive gridrest's account usage, unlimited limits, the dataset replicas
of an RSE and the listing's sort/nrandom with the real Rucio client
(scripts/real-client). Our own driver; the client is only imported. The
account counters are moved with `gridrest-db usage-add`, as replication
rules' locks will move them."""
import math
import os
import subprocess

from rucio.client import Client
from rucio.common.exception import AccessDenied, RSENotFound, RucioException
from tap import check, done

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
gridrest_db = os.path.join(os.environ.get("GRIDREST_BUILD", os.path.join(top, "build")),
                           "gridrest-db")


def usage_add(account, rse, files, nbytes):
    subprocess.run([gridrest_db, "usage-add", account, rse, str(files), str(nbytes)],
                   check=True)


c = Client()
c.add_account("jdoe", "USER", "jdoe@example.org")
c.add_scope("root", "data")
for rse in ("RSE_A", "RSE_B", "RSE_C"):
    c.add_rse(rse)
    c.add_protocol(rse, {"scheme": "root", "hostname": rse.lower() + ".example.org",
                         "port": 1094, "prefix": "/data",
                         "impl": "rucio.rse.protocols.xrootd.Default",
                         "domains": {"wan": {"read": 1, "write": 1, "delete": 1,
                                             "third_party_copy_read": 1,
                                             "third_party_copy_write": 1},
                                     "lan": {"read": 0, "write": 0, "delete": 0}}})
c.add_rse_attribute("RSE_A", "tier", 1)
c.add_rse_attribute("RSE_B", "tier", 1)

# unlimited limits come back as float('inf'), as from Rucio
check("set_local_account_limit -1", c.set_local_account_limit("jdoe", "RSE_B", -1))
check("set_local_account_limit 1000", c.set_local_account_limit("jdoe", "RSE_A", 1000))
lim = c.get_local_account_limits("jdoe")
check("get_local_account_limits: -1 reads as inf",
      lim == {"RSE_A": 1000, "RSE_B": math.inf})
check("get_local_account_limit: inf", c.get_local_account_limit("jdoe", "RSE_B") == {"RSE_B": math.inf})
check("set_global_account_limit -1", c.set_global_account_limit("jdoe", "tier=1", -1))
check("get_global_account_limit: inf",
      c.get_global_account_limit("jdoe", "tier=1") == {"tier=1": math.inf})
check("get_global_account_limits: limit inf",
      c.get_global_account_limits("jdoe")["tier=1"]["limit"] == math.inf)

# local usage
usage_add("jdoe", "RSE_A", 3, 600)
usage_add("jdoe", "RSE_C", 1, 50)
u = list(c.get_local_account_usage("jdoe"))
check("get_local_account_usage: three RSEs", [x["rse"] for x in u] == ["RSE_A", "RSE_B", "RSE_C"])
check("... RSE_A figures",
      (u[0]["bytes"], u[0]["files"], u[0]["bytes_limit"], u[0]["bytes_remaining"]) == (600, 3, 1000, 400))
check("... RSE_B: nothing used, unlimited",
      (u[1]["bytes"], u[1]["bytes_limit"], u[1]["bytes_remaining"]) == (0, math.inf, math.inf))
check("... RSE_C: used without a limit",
      (u[2]["bytes_limit"], u[2]["bytes_remaining"]) == (0, -50))
u = list(c.get_local_account_usage("jdoe", "RSE_A"))
check("get_local_account_usage(rse)", len(u) == 1 and u[0]["bytes"] == 600)
try:
    list(c.get_local_account_usage("jdoe", "NOPE"))
    check("get_local_account_usage on an unknown RSE raises", False)
except RSENotFound:
    check("get_local_account_usage on an unknown RSE raises RSENotFound", True)

# global usage
c.set_global_account_limit("jdoe", "RSE_A|RSE_C", 5000)
g = {x["rse_expression"]: x for x in c.get_global_account_usage("jdoe")}
check("get_global_account_usage: both limits", sorted(g) == ["RSE_A|RSE_C", "tier=1"])
check("... RSE_A|RSE_C summed", (g["RSE_A|RSE_C"]["bytes"], g["RSE_A|RSE_C"]["files"],
                                 g["RSE_A|RSE_C"]["bytes_remaining"]) == (650, 4, 4350))
check("... tier=1 unlimited", g["tier=1"]["bytes_limit"] == math.inf and g["tier=1"]["bytes"] == 600)
g = list(c.get_global_account_usage("jdoe", "tier=1"))
check("get_global_account_usage(expression)", len(g) == 1 and g[0]["bytes"] == 600)

# history
h = c.get_account_usage_history("jdoe", "RSE_A")
check("get_account_usage_history: this hour's point",
      len(h) == 1 and h[0]["bytes"] == 600 and h[0]["files"] == 3)
check("... updated_at in the ISO form", len(h[0]["updated_at"]) == 19 and h[0]["updated_at"][10] == "T")

# rights: jdoe reads its own, not root's
c.add_identity("jdoe", "jdoe", "USERPASS", "jdoe@example.org", password="pw-jdoe")
jd = Client(account="jdoe", creds={"username": "jdoe", "password": "pw-jdoe"},
            auth_type="userpass")
check("jdoe: get_local_account_usage of itself", len(list(jd.get_local_account_usage("jdoe"))) == 3)
try:
    list(jd.get_local_account_usage("root"))
    check("jdoe reading root's usage raises", False)
except AccessDenied:
    check("jdoe reading root's usage raises AccessDenied", True)

# the dataset replicas of an RSE, and the listing's options
files = [{"scope": "data", "name": "f%d" % i, "bytes": i, "adler32": "0cc737eb"} for i in range(1, 6)]
c.add_replicas("RSE_A", files)
c.add_replicas("RSE_B", files[:2])
c.add_replicas("RSE_C", files[:1])
c.add_dataset("data", "ds1")
c.attach_dids("data", "ds1", [{"scope": "data", "name": f["name"]} for f in files])
c.add_dataset("data", "ds2")
c.attach_dids("data", "ds2", [{"scope": "data", "name": "f1"}])
d = list(c.list_datasets_per_rse("RSE_B"))
check("list_datasets_per_rse: ds1 and ds2 on RSE_B", [x["name"] for x in d] == ["ds1", "ds2"])
check("... ds1 partly there", (d[0]["length"], d[0]["available_length"], d[0]["state"]) == (5, 2, "UNAVAILABLE"))
check("... ds2 complete", d[1]["state"] == "AVAILABLE" and d[1]["rse"] == "RSE_B")
try:
    list(c.list_datasets_per_rse("NOPE"))
    check("list_datasets_per_rse on an unknown RSE raises", False)
except RSENotFound:
    check("list_datasets_per_rse on an unknown RSE raises RSENotFound", True)
b = list(c.list_dataset_replicas_bulk([{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "ds2"}]))
check("list_dataset_replicas_bulk: one per dataset and RSE", len(b) == 3 + 3)
r = list(c.list_replicas([{"scope": "data", "name": "ds1"}], nrandom=2))
check("list_replicas(nrandom=2): two files of ds1",
      len(r) == 2 and len({x["name"] for x in r}) == 2)
firsts = set()
for _ in range(20):
    r = list(c.list_replicas([{"scope": "data", "name": "f1"}], sort="random"))
    pfns = sorted(r[0]["pfns"].items(), key=lambda kv: kv[1]["priority"])
    firsts.add(pfns[0][0])
check("list_replicas(sort='random'): the first PFN varies", len(firsts) >= 2)
check("... priorities 1..3", sorted(p["priority"] for p in r[0]["pfns"].values()) == [1, 2, 3])
try:
    list(c.list_replicas([{"scope": "data", "name": "f1"}], sort="nearest"))
    check("list_replicas(sort='nearest') raises", False)
except RucioException as e:
    check("list_replicas(sort='nearest') raises %s" % type(e).__name__,
          type(e).__name__ == "SortingAlgorithmNotSupported")
done()
