"""Drive gridrest's /dids and /meta_conventions routes with the real Rucio
client (scripts/real-client). Our own driver; the client is only
imported."""
import time
from datetime import datetime, timedelta

from rucio.client import Client
from rucio.common.exception import (DataIdentifierAlreadyExists,
                                    DataIdentifierNotFound,
                                    DIDFilterSyntaxError, Duplicate,
                                    FileAlreadyExists, InvalidObject,
                                    InvalidValueForKey, KeyNotFound,
                                    UnsupportedOperation)
from tap import check, done

c = Client()
c.add_scope("root", "data")
c.add_rse("MOCK")
files = [{"scope": "data", "name": "f%d" % i, "bytes": 10 + i,
          "adler32": "0cc737eb", "meta": {"guid": "2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6%d" % i}}
         for i in range(3)]
c.add_replicas("MOCK", files)
check("add_dataset", c.add_dataset("data", "ds1", meta={"project": "p"}, lifetime=3600))
check("add_container", c.add_container("data", "c1"))
try:
    c.add_dataset("data", "ds1")
    check("add_dataset twice raises", False)
except DataIdentifierAlreadyExists:
    check("add_dataset twice raises DataIdentifierAlreadyExists", True)
check("add_files_to_dataset", c.add_files_to_dataset("data", "ds1", [
    {"scope": "data", "name": "f0"}, {"scope": "data", "name": "f1"}]))
try:
    c.add_files_to_dataset("data", "ds1", [{"scope": "data", "name": "f0"}])
    check("a file twice raises", False)
except FileAlreadyExists:
    check("a file twice raises FileAlreadyExists", True)
check("add_datasets_to_container", c.add_datasets_to_container("data", "c1", [
    {"scope": "data", "name": "ds1"}]))
try:
    c.add_files_to_dataset("data", "c1", [{"scope": "data", "name": "f2"}])
    check("a file in a container raises", False)
except UnsupportedOperation:
    check("a file in a container raises UnsupportedOperation", True)
did = c.get_did("data", "ds1")
check("get_did", did["type"] == "DATASET" and did["open"] is True and did["length"] is None)
check("get_did dynamic", c.get_did("data", "c1", dynamic_depth="FILE")["length"] == 2)
check("list_content", [d["name"] for d in c.list_content("data", "c1")] == ["ds1"])
check("list_files", [f["name"] for f in c.list_files("data", "c1")] == ["f0", "f1"])
check("list_files guid", list(c.list_files("data", "ds1"))[0]["guid"] == "2E3A0B0E-8E9A-4D1B-9C6A-1A2B3C4D5E60")
check("list_parent_dids", [p["name"] for p in c.list_parent_dids("data", "f0")] == ["ds1"])
check("get_dataset_by_guid", list(c.get_dataset_by_guid("2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e60")) == [{"scope": "data", "name": "ds1"}])
check("scope_list", [d["name"] for d in c.scope_list("data")] == ["c1", "f2"])
check("scope_list recursive", [(d["name"], d["level"]) for d in c.scope_list("data", name="c1", recursive=True)] == [("ds1", 1), ("f0", 2), ("f1", 2)])
check("close", c.close("data", "ds1"))
check("... figures", c.get_did("data", "ds1")["length"] == 2)
check("set_status open", c.set_status("data", "ds1", open=True))
check("detach_dids", c.detach_dids("data", "ds1", [{"scope": "data", "name": "f1"}]))
check("list_content_history", [d["name"] for d in c.list_content_history("data", "ds1")] == ["f1"])
try:
    c.get_did("data", "nothing")
    check("get_did of nothing raises", False)
except DataIdentifierNotFound:
    check("get_did of nothing raises DataIdentifierNotFound", True)
check("add_dids (bulk)", c.add_dids([{"scope": "data", "name": "b1", "type": "DATASET"},
                                      {"scope": "data", "name": "b2", "type": "CONTAINER"}]))
check("attach_dids_to_dids", c.attach_dids_to_dids([{"scope": "data", "name": "b2",
                                                      "dids": [{"scope": "data", "name": "b1"}]}]))
reps = list(c.list_replicas([{"scope": "data", "name": "c1"}]))
check("list_replicas of a container", [r["name"] for r in reps] == ["f0"])
check("list_dataset_replicas", [r["rse"] for r in c.list_dataset_replicas("data", "ds1")] == ["MOCK"])

# --- search: the filters literal as list_dids sends it ---
c.set_metadata("data", "ds1", "campaign", "mc23")
c.set_metadata("data", "b1", "energy", 13)
check("list_dids by name", sorted(c.list_dids("data", {"name": "b*"})) == ["b1", "b2"])
check("list_dids OR groups, type dataset", sorted(c.list_dids("data", [{"campaign": "mc23"}, {"energy.gte": 10}], did_type="dataset")) == ["b1", "ds1"])
check("list_dids long", [(d["name"], d["did_type"]) for d in c.list_dids("data", {"name": "c1"}, long=True)] == [("c1", "CONTAINER")])
check("list_dids files", sorted(c.list_dids("data", {"name": "f*"}, did_type="file")) == ["f0", "f1", "f2"])
check("list_dids created_after a datetime", "ds1" in list(c.list_dids("data", {"created_after": datetime.utcnow() - timedelta(hours=1)})))
check("list_dids recursive", sorted(c.list_dids("data", {"name": "c1"}, did_type="all", recursive=True)) == ["c1", "ds1", "f0"])
try:
    list(c.list_dids("data", {"name.gt": "a"}))
    check("a bad filter raises", False)
except DIDFilterSyntaxError:
    check("a bad filter raises DIDFilterSyntaxError", True)

# --- metadata of many, with inheritance ---
bulk = list(c.get_metadata_bulk([{"scope": "data", "name": "f0"}], inherit=True, plugin="ALL"))
check("get_metadata_bulk inherit", len(bulk) == 1 and bulk[0]["campaign"] == "mc23" and bulk[0]["project"] == "p")
check("get_metadata_bulk", [m["name"] for m in c.get_metadata_bulk([{"scope": "data", "name": "ds1"}, {"scope": "data", "name": "nope"}])] == ["ds1"])

# --- samples, resurrection ---
check("create_did_sample", c.create_did_sample("data", "ds1", "data", "smp", 1))
check("... one file", len(list(c.list_content("data", "smp"))) == 1)
check("add_dataset with a lifetime of 1 s", c.add_dataset("data", "short", lifetime=1))
time.sleep(2.1)
check("resurrect an expired dataset", c.resurrect([{"scope": "data", "name": "short"}]))
check("... its expiry is gone", c.get_did("data", "short")["expired_at"] is None)
try:
    c.resurrect([{"scope": "data", "name": "short"}])
    check("resurrect a living DID raises", False)
except DataIdentifierNotFound:
    check("resurrect a living DID raises DataIdentifierNotFound", True)

# --- attach with rse ---
check("add_files_to_dataset with rse", c.add_files_to_dataset("data", "b1", [{"scope": "data", "name": "fr", "bytes": 5, "adler32": "0000000a"}], rse="MOCK"))
check("... the file's replica", [r["states"] for r in c.list_replicas([{"scope": "data", "name": "fr"}], all_states=True)] == [{"MOCK": "AVAILABLE"}])

# --- metadata conventions ---
m = Client()
check("add_key", m.add_key("datatype", "DATASET"))
check("add_key with a type and regexp", m.add_key("tag", "ALL", value_type=str, value_regexp="^[a-z]\\d+"))
try:
    m.add_key("tag", "ALL")
    check("add_key twice raises", False)
except Duplicate:
    check("add_key twice raises Duplicate", True)
check("list_keys", sorted(m.list_keys()) == ["datatype", "tag"])
check("add_value", m.add_value("datatype", "AOD"))
check("list_values", m.list_values("datatype") == ["AOD"])
try:
    m.add_value("tag", "X1")
    check("a value against the regexp raises", False)
except InvalidValueForKey:
    check("a value against the regexp raises InvalidValueForKey", True)
try:
    m.add_value("nokey", "x")
    check("a value of an unknown key raises", False)
except KeyNotFound:
    check("a value of an unknown key raises KeyNotFound", True)
check("a dataset of a registered datatype", c.add_dataset("data", "aod1", meta={"datatype": "AOD"}))
try:
    c.add_dataset("data", "esd1", meta={"datatype": "ESD"})
    check("an unregistered datatype raises", False)
except InvalidObject:
    check("an unregistered datatype raises InvalidObject", True)
done()
