"""Drive gridrest's transfers and deletion with the real Rucio client
(scripts/real-client): UploadClient to a posix RSE, rules to a second
posix RSE and to a WebDAV one (scripts/webdav-rse, lighttpd's mod_webdav)
that the mover fulfils, DownloadClient from each rule's RSE only (the
client checks the checksums; rucio.rse.protocols.webdav for the WebDAV
one), RequestClient on a transfer that fails, and the rules deleted with
purge_replicas: the reaper removes the files from storage and from
list_replicas, and once a file's last replica is gone its DID goes, with
the closed dataset it leaves empty. Our own driver; the client is only
imported."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import zlib

import urllib3
from rucio.client import Client
from rucio.client.downloadclient import DownloadClient
from rucio.client.requestclient import RequestClient
from rucio.client.uploadclient import UploadClient
from rucio.common.exception import DataIdentifierNotFound, RequestNotFound
from tap import check, done, raises

# rucio.rse.protocols.webdav never verifies the server (verify=False)
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tmp = tempfile.mkdtemp(prefix="transfers.")


def free_port(start):
    """A TCP port from start on that nothing listens on."""
    port = start
    while True:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            port += 1
        finally:
            s.close()


def wait(what, cond, secs=60):
    """Wait until cond() holds (up to secs), then check it."""
    end = time.time() + secs
    while not cond() and time.time() < end:
        time.sleep(0.2)
    check(what, cond())


# the WebDAV storage element, with the home's CA
dav_port = free_port(int(os.environ.get("GRIDREST_HTTP_PORT", "18280")) + 10)
os.environ["GRIDREST_WEBDAV_HOME"] = os.path.join(tmp, "webdav")
os.environ["GRIDREST_WEBDAV_PORT"] = str(dav_port)
subprocess.run([os.path.join(top, "scripts", "webdav-rse"), "start"], check=True,
               stdout=subprocess.DEVNULL)

# rucio.rse.protocols.webdav authenticates with an X.509 proxy: a client
# certificate of the home's CA, certificate and key in one file
home_tls = os.path.join(os.environ["GRIDREST_HOME"], "tls")
proxy = os.path.join(tmp, "x509up")
with open(os.path.join(tmp, "user.tmpl"), "w") as f:
    f.write('cn = "transfers driver"\nexpiration_days = 1\nsigning_key\n'
            'encryption_key\ntls_www_client\n')
subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa",
                "--outfile", proxy + ".key"], check=True, capture_output=True)
subprocess.run(["certtool", "--generate-certificate", "--load-privkey", proxy + ".key",
                "--load-ca-certificate", os.path.join(home_tls, "ca.pem"),
                "--load-ca-privkey", os.path.join(home_tls, "ca.key"),
                "--template", os.path.join(tmp, "user.tmpl"),
                "--outfile", proxy + ".pem"], check=True, capture_output=True)
with open(proxy, "w") as f:
    f.write(open(proxy + ".pem").read() + open(proxy + ".key").read())
os.chmod(proxy, 0o600)
os.environ["X509_USER_PROXY"] = proxy

try:
    c = Client()
    c.add_scope("root", "data")
    domains = {"lan": {"read": 1, "write": 1, "delete": 1},
               "wan": {"read": 1, "write": 1, "delete": 1,
                       "third_party_copy_read": 1, "third_party_copy_write": 1}}
    for rse in ("POSIX_A", "POSIX_B"):
        c.add_rse(rse)
        c.add_protocol(rse, {"scheme": "file", "hostname": "localhost", "port": 0,
                             "prefix": os.path.join(tmp, rse),
                             "impl": "rucio.rse.protocols.posix.Default",
                             "domains": domains})
    c.add_rse("DAV1")
    # https: rucio.rse.protocols.webdav speaks it (davs is gfal's)
    c.add_protocol("DAV1", {"scheme": "https", "hostname": "localhost", "port": dav_port,
                            "prefix": "/rucio", "impl": "rucio.rse.protocols.webdav.Default",
                            "domains": domains})
    for rse in ("POSIX_A", "POSIX_B", "DAV1"):
        c.set_local_account_limit("root", rse, 10 ** 9)

    # upload two files and a damaged one to POSIX_A, in a dataset
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    data = {}
    for name, size in (("f1", 300000), ("f2", 5000), ("bad", 100)):
        data[name] = os.urandom(size)
        with open(os.path.join(src, name), "wb") as f:
            f.write(data[name])
    items = [{"path": os.path.join(src, n), "rse": "POSIX_A", "did_scope": "data",
              "did_name": n, "dataset_scope": "data", "dataset_name": "ds"}
             for n in ("f1", "f2")]
    check("UploadClient.upload to POSIX_A", UploadClient(_client=c).upload(items) == 0)
    reps = {r["name"]: r for r in c.list_replicas([{"scope": "data", "name": "ds"}])}
    check("... both files have a replica on POSIX_A",
          sorted(reps) == ["f1", "f2"]
          and all(list(r["rses"]) == ["POSIX_A"] for r in reps.values()))
    check("... with their adler32",
          reps["f1"]["adler32"] == "%08x" % zlib.adler32(data["f1"]))
    path_a = {n: reps[n]["rses"]["POSIX_A"][0].split("localhost:0", 1)[-1] for n in reps}
    check("... the files in POSIX_A's directory",
          all(open(p, "rb").read() == data[n] for n, p in path_a.items()))

    # rules to POSIX_B and to DAV1: the mover copies
    ds = [{"scope": "data", "name": "ds"}]
    [rule_b] = c.add_replication_rule(ds, 1, "POSIX_B")
    [rule_d] = c.add_replication_rule(ds, 1, "DAV1")
    wait("the rule to POSIX_B goes OK",
         lambda: c.get_replication_rule(rule_b)["state"] == "OK")
    wait("the rule to the WebDAV RSE goes OK",
         lambda: c.get_replication_rule(rule_d)["state"] == "OK")
    states = {r["name"]: r["states"]
              for r in c.list_replicas(ds, all_states=True)}
    check("list_replicas: AVAILABLE on the three RSEs",
          all(s == {"POSIX_A": "AVAILABLE", "POSIX_B": "AVAILABLE", "DAV1": "AVAILABLE"}
              for s in states.values()))

    # download from each rule's RSE only; the client verifies the checksums
    dl = DownloadClient(client=c)
    for rse in ("POSIX_B", "DAV1"):
        out = os.path.join(tmp, "dl-" + rse)
        res = dl.download_dids([{"did": "data:ds", "rse": rse, "base_dir": out}])
        check("DownloadClient from %s only: both DONE" % rse,
              sorted((r["name"], r["clientState"]) for r in res)
              == [("f1", "DONE"), ("f2", "DONE")])
        check("... from %s's PFNs" % rse,
              all({src["rse"] for src in r["sources"]} == {rse} for r in res))
        check("... byte for byte",
              all(open(r["dest_file_paths"][0], "rb").read() == data[r["name"]]
                  for r in res))

    # a transfer that fails: the source's bytes are not what was registered
    UploadClient(_client=c).upload([{"path": os.path.join(src, "bad"), "rse": "POSIX_A",
                                     "did_scope": "data", "did_name": "bad"}])
    bad = next(c.list_replicas([{"scope": "data", "name": "bad"}]))
    bad_path = bad["rses"]["POSIX_A"][0].split("localhost:0", 1)[-1]
    with open(bad_path, "r+b") as f:
        f.write(b"x" * 10)
    [rule_bad] = c.add_replication_rule([{"scope": "data", "name": "bad"}], 1, "POSIX_B")
    wait("a damaged source: the rule goes STUCK after the attempts",
         lambda: c.get_replication_rule(rule_bad)["state"] == "STUCK", 90)
    check("the client is a RequestClient", isinstance(c, RequestClient))
    req = c.list_request_by_did("bad", "POSIX_B", "data")
    check("list_request_by_did: FAILED, 3 attempts, the reason",
          req["state"] == "FAILED" and req["retry_count"] == 3
          and "checksum mismatch" in req["err_msg"] and req["source_rse"] == "POSIX_A")
    listed = list(c.list_requests("POSIX_A", "POSIX_B", "F"))
    check("list_requests POSIX_A -> POSIX_B, FAILED: that one",
          [(r["name"], r["state"]) for r in listed] == [("bad", "FAILED")])
    check("list_requests in state QUEUED: none",
          list(c.list_requests("POSIX_A", "POSIX_B", "Q,S")) == [])
    raises("list_request_by_did of a done transfer", RequestNotFound,
           c.list_request_by_did, "f1", "POSIX_B", "data")

    # delete with purge_replicas: the reaper removes the files
    dav_files = [os.path.join(os.environ["GRIDREST_WEBDAV_HOME"], "data",
                              p.split("/", 3)[3])
                 for r in c.list_replicas(ds, schemes=["https"])
                 for p in r["rses"].get("DAV1", [])]
    b_files = [p.split("localhost:0", 1)[-1]
               for r in c.list_replicas(ds, schemes=["file"])
               for p in r["rses"].get("POSIX_B", [])]
    check("the copies' places known (2 on POSIX_B, 2 on the WebDAV server)",
          len(b_files) == 2 and len(dav_files) == 2
          and all(os.path.exists(p) for p in b_files + dav_files))
    check("delete_replication_rule(POSIX_B, purge_replicas=True)",
          c.delete_replication_rule(rule_b, purge_replicas=True))
    check("delete_replication_rule(DAV1, purge_replicas=True)",
          c.delete_replication_rule(rule_d, purge_replicas=True))

    def rses_left():
        return sorted({rse for r in c.list_replicas(ds, all_states=True)
                       for rse in r["states"]})

    wait("list_replicas: only POSIX_A left", lambda: rses_left() == ["POSIX_A"], 30)
    check("... the files gone from POSIX_B's disk",
          not any(os.path.exists(p) for p in b_files))
    check("... and from the WebDAV server",
          not any(os.path.exists(p) for p in dav_files))
    check("... POSIX_A's untouched",
          all(open(p, "rb").read() == data[n] for n, p in path_a.items()))
    usage = {u["rse"]: u for u in c.get_local_account_usage("root")}
    check("root's usage: nothing on DAV1, the stuck rule's file on POSIX_B",
          (usage["DAV1"]["files"], usage["DAV1"]["bytes"]) == (0, 0)
          and (usage["POSIX_B"]["files"], usage["POSIX_B"]["bytes"]) == (1, 100))
    rse_usage = [u for u in c.get_rse_usage("POSIX_B") if u["source"] == "rucio"]
    check("POSIX_B's usage: the damaged file's replica only",
          [(u["files"], u["used"]) for u in rse_usage] == [(1, 100)])

    # the last replicas purged: the files' DIDs go, and the closed dataset
    # they leave empty, as Rucio's delete_replicas cleans up
    check("close(ds)", c.close("data", "ds"))
    rules_a = [r["id"] for r in c.list_did_rules("data", "ds")]
    check("the upload's rule on ds (POSIX_A), the only one left",
          [r["rse_expression"] for r in c.list_did_rules("data", "ds")] == ["POSIX_A"])
    check("... deleted with purge_replicas",
          c.delete_replication_rule(rules_a[0], purge_replicas=True))

    def did_gone(name):
        try:
            c.get_did("data", name)
            return False
        except DataIdentifierNotFound:
            return True

    wait("get_did(f1), get_did(f2): DataIdentifierNotFound",
         lambda: did_gone("f1") and did_gone("f2"), 30)
    raises("get_did(ds), closed and emptied: DataIdentifierNotFound",
           DataIdentifierNotFound, c.get_did, "data", "ds")
    check("list_replicas of f1 and f2: nothing",
          list(c.list_replicas([{"scope": "data", "name": n} for n in ("f1", "f2")],
                               all_states=True)) == [])
    check("... the files gone from POSIX_A's disk",
          not any(os.path.exists(p) for p in path_a.values()))
    check("bad, whose replica a stuck rule holds, stays",
          c.get_did("data", "bad")["name"] == "bad")
    check("list_dids in scope data: bad alone",
          sorted(c.list_dids("data", {"name": "*"}, did_type="all")) == ["bad"])
finally:
    subprocess.run([os.path.join(top, "scripts", "webdav-rse"), "stop"],
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(tmp, ignore_errors=True)
done()
