#!/usr/bin/env python3
"""Command-line tests of the real binary: batch text, JSON, --do actions,
--read-only, config warnings, determinism, and the no-Xen message.

Usage: run.py PATH/TO/domtop. Prints one line per test and a closing line
"cli: N passed, N failed"; exits non-zero when a test fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 else "./domtop"
TMP = tempfile.mkdtemp(prefix="domtop-cli-")
AUDIT = os.path.join(TMP, "audit.log")
RESULTS = []


def domtop(*args, env=None, timeout=60):
    e = dict(os.environ)
    e.update({"HOME": TMP, "XDG_CONFIG_HOME": os.path.join(TMP, "cfg")})
    if env:
        e.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True,
                          timeout=timeout, env=e)


def demo(*args, **kw):
    return domtop("--demo", "--audit-log", AUDIT, *args, **kw)


def test(fn):
    try:
        fn()
        RESULTS.append(True)
        print(f"ok: {fn.__name__}")
    except AssertionError as exc:
        RESULTS.append(False)
        print(f"FAIL: {fn.__name__}: {exc}")
    return fn


def json_samples(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def strip_time(sample):
    sample = dict(sample)
    sample.pop("time")
    return sample


@test
def batch_text_has_summary_header_and_fixed_columns():
    r = demo("-b", "-i", "3", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    summaries = [l for l in lines if l.startswith("domtop ")]
    assert len(summaries) == 3, f"{len(summaries)} summary lines"
    assert "of 8 pCPUs" in summaries[0] and "sched credit2" in summaries[0], summaries[0]
    headers = [i for i, l in enumerate(lines) if l.lstrip().startswith("ID ")]
    assert len(headers) == 3
    head = lines[headers[0]]
    for col in ("NAME", "STATE", "CPU%", "WEIGHT", "CAP", "ENT%", "USE", "MEM",
                "VCPUS", "NETRX", "NETTX", "PPS", "IOW%", "IOPS"):
        assert col in head, f"{col} missing from header"
    rows = [l for l in lines if l and not l.startswith("domtop ") and not l.lstrip().startswith("ID ")]
    widths = {len(l) for l in rows + [head]}
    assert len(widths) == 1, f"rows of several widths: {sorted(widths)}"
    names = {l.split()[1] for l in rows}
    assert {"Domain-0", "miner", "flood", "backup", "idle1", "parked"} <= names, names


@test
def json_has_every_field_and_rates():
    r = demo("--json", "-i", "2", "-d", "0.2")
    assert r.returncode == 0, r.stderr
    samples = json_samples(r.stdout)
    assert len(samples) == 2
    s = samples[1]
    assert abs(s["interval_s"] - 0.2) < 1e-6, s["interval_s"]
    assert s["host"]["pcpus"] == 8 and s["host"]["sched"] == "credit2"
    doms = {d["name"]: d for d in s["domains"]}
    for key in ("id", "state", "cpu_pct", "weight", "cap", "ent_pct", "use", "mem_kb",
                "vcpus", "net_rx_bps", "net_tx_bps", "pps", "iow_pct", "iops", "cpu_ns",
                "vcpu", "vif", "vbd"):
        assert key in doms["web1"], f"{key} missing"
    assert doms["parked"]["state"] == "----p-"
    assert doms["parked"]["cpu_pct"] == 0
    assert doms["miner"]["use"] > 1.5, doms["miner"]["use"]
    vif = doms["flood"]["vif"][0]
    assert vif["ifname"] == f"vif{doms['flood']['id']}.0"
    assert vif["rx_bytes"] > 0 and vif["rx_bps"] > 0
    # the rate is the difference of the raw counters over the interval
    a = {d["name"]: d for d in samples[0]["domains"]}["flood"]["vif"][0]
    rate = (vif["rx_bytes"] - a["rx_bytes"]) * 8 / 0.2
    assert abs(rate - vif["rx_bps"]) <= 1e-6 * rate + 0.01, (rate, vif["rx_bps"])
    total_cpu = sum(d["cpu_pct"] for d in s["domains"])
    assert abs(total_cpu / 8 - s["host"]["cpu_pct"]) < 0.01


@test
def same_seed_same_numbers_other_seed_other_numbers():
    a = [strip_time(x) for x in json_samples(demo("--json", "-i", "2", "-d", "0.1", "--seed", "5").stdout)]
    b = [strip_time(x) for x in json_samples(demo("--json", "-i", "2", "-d", "0.1", "--seed", "5").stdout)]
    c = [strip_time(x) for x in json_samples(demo("--json", "-i", "2", "-d", "0.1", "--seed", "6").stdout)]
    assert a == b, "same seed gave different samples"
    assert a != c, "another seed gave the same samples"


@test
def do_weight_applies_reads_back_and_audits():
    r = demo("--do", "weight web1 512", "--json", "-i", "1", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "weight web1: 2048 -> 512", r.stdout.splitlines()[0]
    s = json_samples("\n".join(r.stdout.splitlines()[1:]))[0]
    web1 = [d for d in s["domains"] if d["name"] == "web1"][0]
    assert web1["weight"] == 512
    with open(AUDIT) as f:
        last = f.read().splitlines()[-1]
    assert "host=demo" in last and "action=weight domain=web1" in last, last
    assert "old=2048 new=512 result=ok" in last, last


@test
def do_refusals_exit_non_zero_with_reason():
    for action, needle in (("weight web1 0", "1 to 65535"),
                           ("cap web1 500", "100 x 2 vcpus"),
                           ("pin web1 all 0-8", "does not exist"),
                           ("pause Domain-0", "cannot be paused"),
                           ("weight nosuch 5", "no domain 'nosuch'"),
                           ("explode web1", "unknown action")):
        r = demo("--do", action)
        assert r.returncode == 1, f"{action}: exit {r.returncode}"
        assert needle in r.stderr, f"{action}: {r.stderr.strip()}"


@test
def pause_and_pin_change_the_numbers():
    r = demo("--do", "pause miner", "--do", "pin db1 all 0", "--json", "-i", "1", "-d", "0.5")
    assert r.returncode == 0, r.stderr
    s = json_samples("\n".join(r.stdout.splitlines()[2:]))[0]
    doms = {d["name"]: d for d in s["domains"]}
    assert doms["miner"]["state"] == "----p-" and doms["miner"]["cpu_pct"] == 0
    assert doms["db1"]["cpu_pct"] <= 100.5, doms["db1"]["cpu_pct"]
    assert all(v["affinity"] == "0" and v["pcpu"] == 0 for v in doms["db1"]["vcpu"])


@test
def cap_holds_the_miner_down():
    r = demo("--do", "cap miner 50", "--json", "-i", "2", "-d", "0.5")
    assert r.returncode == 0, r.stderr
    s = json_samples("\n".join(r.stdout.splitlines()[1:]))[1]
    miner = [d for d in s["domains"] if d["name"] == "miner"][0]
    assert miner["cpu_pct"] <= 50.5, miner["cpu_pct"]


@test
def read_only_refuses():
    r = demo("--read-only", "--do", "weight web1 512")
    assert r.returncode == 1
    assert "--read-only" in r.stderr, r.stderr


@test
def unwritable_audit_log_refuses_actions_but_watching_works():
    r = domtop("--demo", "--audit-log", "/proc/no/audit.log", "--do", "weight web1 512")
    assert r.returncode == 1 and "audit log" in r.stderr, r.stderr
    r = domtop("--demo", "--audit-log", "/proc/no/audit.log", "-b", "-i", "1", "-d", "0.1")
    assert r.returncode == 0 and "web1" in r.stdout, r.stderr


@test
def no_xen_says_so_and_suggests_demo():
    r = domtop("-b", "-i", "1")
    assert r.returncode == 1
    assert "--demo" in r.stderr and "dom0" in r.stderr, r.stderr
    assert r.stdout == "", "printed domains without Xen"


@test
def bad_options_exit_2():
    for args in (("-d", "0"), ("-d", "fast"), ("-i", "0"), ("--seed", "x"), ("--bogus",), ("extra",)):
        r = domtop("--demo", *args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}"
        assert r.stderr.strip(), f"{args}: no message"


@test
def bad_config_lines_are_reported_and_ignored():
    conf = os.path.join(TMP, "bad.conf")
    with open(conf, "w") as f:
        f.write("[display]\ndelay = soon\nnonsense line\n[audit]\nsyslog = no\n")
    r = demo("--config", conf, "-b", "-i", "1", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    assert f"{conf}:2: delay must be seconds" in r.stderr, r.stderr
    assert f"{conf}:3: not 'key = value'" in r.stderr, r.stderr


@test
def bad_scenario_names_file_and_line():
    scn = os.path.join(TMP, "bad.scn")
    with open(scn, "w") as f:
        f.write("host name=h pcpus=2 mem=4G\ndomain ok vcpus=1 mem=1G\ndomain bad vcpus=zero mem=1G\n")
    r = domtop("--scenario", scn, "-b", "-i", "1")
    assert r.returncode == 1
    assert f"{scn}:3:" in r.stderr, r.stderr


@test
def hostile_scenario_names_are_refused_with_a_reason():
    scn = os.path.join(TMP, "hostile.scn")
    with open(scn, "wb") as f:
        f.write(b"host name=h pcpus=2 mem=4G\ndomain \xe2\x80\xaeevil vcpus=1 mem=1G cpu=0.5\n")
    r = domtop("--scenario", scn, "--audit-log", AUDIT, "-b", "-i", "1", "-d", "0.1")
    assert r.returncode == 1 and r.stdout == ""
    assert f"{scn}:2:" in r.stderr and "bidi" in r.stderr, r.stderr
    assert "\u202e" not in r.stderr, "the refusal echoed the bidi override"


@test
def vanished_domain_leaves_the_table():
    scn = os.path.join(TMP, "churn.scn")
    with open(scn, "w") as f:
        f.write("host name=h pcpus=2 mem=8G\ndomain stay vcpus=1 mem=1G cpu=0.5\n"
                "domain gone vcpus=1 mem=1G cpu=0.5\nat 0.3 destroy gone\n"
                "at 0.3 create fresh vcpus=1 mem=1G cpu=0.5\n")
    r = domtop("--scenario", scn, "--audit-log", AUDIT, "--json", "-i", "4", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    names = [[d["name"] for d in s["domains"]] for s in json_samples(r.stdout)]
    assert "gone" in names[0] and "gone" not in names[-1], names
    assert "fresh" in names[-1], names
    fresh = [[d for d in s["domains"] if d["name"] == "fresh"] for s in json_samples(r.stdout)]
    first = next(x[0] for x in fresh if x)
    assert first["has_rates"] is False and first["cpu_pct"] == 0, first


@test
def man_page_documents_every_option():
    r = domtop("--help")
    assert r.returncode == 0
    opts = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", r.stdout))
    man = open(os.path.join(os.path.dirname(__file__), "..", "..", "domtop.1")).read()
    man = man.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fP", "")
    missing = sorted(o for o in opts if o not in man)
    assert not missing, f"domtop.1 lacks {missing}"


def main():
    print(f"cli: {RESULTS.count(True)} passed, {RESULTS.count(False)} failed")
    sys.exit(0 if all(RESULTS) else 1)


if __name__ == "__main__":
    main()
