"""Drive gridrest's /replicas and RSE usage with the real Rucio client
(scripts/real-client). Our own driver; the client is only imported."""
import xml.etree.ElementTree as ET

from rucio.client import Client
from rucio.common.exception import AccessDenied, Duplicate, RSENotFound
from tap import check, done

c = Client()
c.add_scope("root", "data")
c.add_rse("MOCK")
c.add_protocol("MOCK", {"scheme": "root", "hostname": "eos.example.org",
                        "port": 1094, "prefix": "/eos/data",
                        "impl": "rucio.rse.protocols.xrootd.Default",
                        "domains": {"wan": {"read": 1, "write": 1, "delete": 1,
                                            "third_party_copy_read": 1,
                                            "third_party_copy_write": 1},
                                    "lan": {"read": 1, "write": 1, "delete": 1}}})
files = [{"scope": "data", "name": "f%d" % i, "bytes": 10 + i,
          "adler32": "0cc737eb", "meta": {"events": i}} for i in range(3)]
check("add_replicas", c.add_replicas("MOCK", files))
check("add_replica (one file, with a pfn from lfns2pfns)",
      c.add_replica("MOCK", "data", "g1", 5, "0cc737eb",
                    pfn=c.lfns2pfns("MOCK", ["data:g1"], scheme="root")["data:g1"]))
try:
    c.add_replicas("NOPE", files)
    check("add_replicas on an unknown RSE raises", False)
except RSENotFound:
    check("add_replicas on an unknown RSE raises RSENotFound", True)
try:
    c.add_replicas("MOCK", [files[0], files[0]])
    check("a file twice raises", False)
except Duplicate:
    check("a file twice raises Duplicate", True)
reps = list(c.list_replicas([{"scope": "data", "name": "f%d" % i} for i in range(3)]))
check("list_replicas: three files", [r["name"] for r in reps] == ["f0", "f1", "f2"])
check("list_replicas: bytes, adler32, states",
      reps[1]["bytes"] == 11 and reps[1]["adler32"] == "0cc737eb"
      and reps[1]["states"] == {"MOCK": "AVAILABLE"})
pfn = reps[0]["rses"]["MOCK"][0]
check("list_replicas: a PFN from the protocol", pfn.startswith("root://eos.example.org:1094/eos/data/data/"))
ml = c.list_replicas([{"scope": "data", "name": "f0"}], metalink=True)
root = ET.fromstring(ml)
ns = "{urn:ietf:params:xml:ns:metalink}"
check("list_replicas(metalink=True): the same PFN",
      [u.text for u in root.iter(ns + "url")] == [pfn])
check("update_replicas_states", c.update_replicas_states(
    "MOCK", [{"scope": "data", "name": "f2", "state": "U"}]))
reps = list(c.list_replicas([{"scope": "data", "name": "f2"}], all_states=True))
check("... listed with all_states", reps[0]["states"] == {"MOCK": "UNAVAILABLE"})
try:
    c.delete_replicas("MOCK", [{"scope": "data", "name": "f0"}])
    check("delete_replicas raises", False)
except AccessDenied:
    check("delete_replicas raises AccessDenied (generic policy)", True)
dids = list(c.get_did_from_pfns([pfn], "MOCK"))
check("get_did_from_pfns", dids == [{pfn: {"scope": "data", "name": "f0"}}])
usage = list(c.get_rse_usage("MOCK"))
check("get_rse_usage", usage[0]["files"] == 4 and usage[0]["used"] == 38)
check("set_rse_usage", c.set_rse_usage("MOCK", "storage", 100, 900))
check("list_rse_usage_history",
      sorted(u["source"] for u in c.list_rse_usage_history("MOCK")) == ["rucio", "storage"])
c.add_rse("OTHER")
check("add_distance", c.add_distance("MOCK", "OTHER", {"distance": 2}, bidirectional=True))
check("get_distance", c.get_distance("MOCK", "OTHER")[0]["distance"] == 2)
check("update_distance", c.update_distance("MOCK", "OTHER", {"distance": 5}))
check("... updated", c.get_distance("MOCK", "OTHER")[0]["ranking"] == 5)
check("delete_distance", c.delete_distance("MOCK", "OTHER", bidirectional=True))
check("... gone both ways", c.get_distance("OTHER", "MOCK") == [])
done()
