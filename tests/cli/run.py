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
                           ("explode web1", "unknown action"),
                           ("ioprio web1 be/8", "0 (highest) to 7"),
                           ("ioprio web1:xvdq idle", "web1 has no vbd xvdq")):
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
def ioprio_idle_starves_web2_under_bfq():
    """web2 at idle priority gets no disk while backup saturates it; the JSON
    reads the new priority back."""
    before = json_samples(demo("--json", "-i", "3", "-d", "0.5").stdout)[2]
    r = demo("--do", "ioprio web2 idle", "--json", "-i", "3", "-d", "0.5")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "ioprio web2: none -> idle", r.stdout.splitlines()[0]
    after = json_samples("\n".join(r.stdout.splitlines()[1:]))[2]
    vbd = lambda s: [d for d in s["domains"] if d["name"] == "web2"][0]["vbd"][0]
    assert (vbd(before)["ioprio_class"], vbd(after)["ioprio_class"]) == (0, 3), (vbd(before), vbd(after))
    iops = lambda s: vbd(s)["rd_iops"] + vbd(s)["wr_iops"]
    assert iops(before) > 20 and iops(after) == 0, (vbd(before), vbd(after))
    with open(AUDIT) as f:
        last = f.read().splitlines()[-1]
    assert "action=ioprio domain=web2" in last and "old=none new=idle result=ok" in last, last


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


# Hostile domain names as real Xen allows them (xenstore holds any bytes),
# given to the demo host raw with name_hex= (scenarios/FORMAT.md): the raw
# bytes and the name domtop must show, with '?' for each bad character.
HOSTILE = [
    (b"\x1b]0;pwned\x07", "?]0;pwned?"),          # OSC: set the window title
    (b"\x1b[2J", "?[2J"),                          # CSI: clear the screen
    ("\u202eevil".encode(), "?evil"),              # bidi override U+202E
    (b"bad\xff\xc0utf", "bad??utf"),               # invalid UTF-8
    (b"c1\x9b31m", "c1?31m"),                      # C1 CSI, a raw byte
    (b"u\xc2\x9b1m", "u?1m"),                      # C1 CSI as UTF-8 (U+009B)
    (b"nl\nx=1 result=ok", "nl?x=1 result=ok"),    # a forged audit record
]
# Byte strings that must never reach a terminal or a log line.
HOSTILE_BYTES = [b"\x1b", b"\x07", b"\x9b", b"\xe2\x80\xae", b"\xff", b"\xc0", b"\xc2\x9b"]


def domtop_raw(*args, timeout=60):
    """Runs the binary with stdout and stderr as bytes, never decoded."""
    e = dict(os.environ)
    e.update({"HOME": TMP, "XDG_CONFIG_HOME": os.path.join(TMP, "cfg")})
    return subprocess.run([BIN, *args], capture_output=True, timeout=timeout, env=e)


def hostile_scenario():
    scn = os.path.join(TMP, "hostile-names.scn")
    lines = [b"host name=h pcpus=2 mem=16G", b"domain Domain-0 id=0 mem=1G cpu=0.1"]
    for i, (raw, _) in enumerate(HOSTILE):
        lines.append(b"domain h%d id=%d mem=1G cpu=0.2 name_hex=%s" % (i, i + 1, raw.hex().encode()))
    with open(scn, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    return scn


def assert_terminal_safe(data, what):
    """No escape, control, C1 or bidi character and valid UTF-8, in raw bytes."""
    for bad in HOSTILE_BYTES:
        assert bad not in data, f"{what}: raw {bad!r} at byte {data.find(bad)}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"{what}: invalid UTF-8: {exc}")
    for ch in text:
        cp = ord(ch)
        assert ch == "\n" or not (cp < 0x20 or 0x7f <= cp <= 0x9f or 0x202a <= cp <= 0x202e
                                  or 0x2066 <= cp <= 0x2069 or cp in (0x2028, 0x2029)), \
            f"{what}: character U+{cp:04X}"
    return text


@test
def hostile_names_show_as_question_marks_in_batch_text():
    r = domtop_raw("--scenario", hostile_scenario(), "--audit-log", AUDIT, "-b", "-i", "1", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    out = assert_terminal_safe(r.stdout, "batch stdout")
    assert_terminal_safe(r.stderr, "batch stderr")
    rows = {int(l.split()[0]): l for l in out.splitlines() if re.match(r"\s*\d+ ", l)}
    for i, (_, shown) in enumerate(HOSTILE):
        assert i + 1 in rows, f"no row for domain {i + 1}:\n{out}"
        assert f" {shown}" in rows[i + 1], f"domain {i + 1}: expected {shown!r} in {rows[i + 1]!r}"
    assert len(rows) == len(HOSTILE) + 1, f"{len(rows)} rows (a name split a row?)\n{out}"
    widths = {len(l) for l in rows.values()}
    assert len(widths) == 1, f"rows of several widths: {sorted(widths)}"


@test
def hostile_names_show_as_question_marks_in_json():
    r = domtop_raw("--scenario", hostile_scenario(), "--audit-log", AUDIT, "--json", "-i", "2", "-d", "0.1")
    assert r.returncode == 0, r.stderr
    out = assert_terminal_safe(r.stdout, "json stdout")
    for esc in ("\\u001b", "\\u001B", "\\u0007", "\\u009b", "\\u009B", "\\u202e", "\\u202E", "\\n"):
        assert esc not in out, f"json escapes a hostile character: {esc}"
    samples = json_samples(out)
    assert len(samples) == 2
    for s in samples:
        names = {d["id"]: d["name"] for d in s["domains"]}
        for i, (_, shown) in enumerate(HOSTILE):
            assert names.get(i + 1) == shown, f"domain {i + 1}: {names.get(i + 1)!r}, expected {shown!r}"


@test
def hostile_names_in_audit_records_are_sanitised_one_line_each():
    audit = os.path.join(TMP, "hostile-audit.log")
    dos = []
    for i in range(len(HOSTILE)):
        dos += ["--do", f"weight {i + 1} 300"]
    r = domtop_raw("--scenario", hostile_scenario(), "--audit-log", audit, *dos)
    assert r.returncode == 0, r.stderr
    out = assert_terminal_safe(r.stdout, "--do stdout")
    assert_terminal_safe(r.stderr, "--do stderr")
    with open(audit, "rb") as f:
        log = assert_terminal_safe(f.read(), "audit log")
    records = log.splitlines()
    assert len(records) == len(HOSTILE), f"{len(records)} lines for {len(HOSTILE)} actions:\n{log}"
    for i, ((_, shown), rec) in enumerate(zip(HOSTILE, records)):
        name = f'"{shown}"' if " " in shown else shown
        assert f"action=weight domain={name} domid={i + 1} old=256 new=300 result=ok" in rec, rec
        assert rec.count("result=") == 1 + shown.count("result="), f"forged field: {rec}"
        assert rec.endswith("result=ok"), rec
    for i, (_, shown) in enumerate(HOSTILE):
        assert f"weight {shown}: 256 -> 300" in out.splitlines()[i], out


def main():
    print(f"cli: {RESULTS.count(True)} passed, {RESULTS.count(False)} failed")
    sys.exit(0 if all(RESULTS) else 1)


if __name__ == "__main__":
    main()
