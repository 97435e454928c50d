#!/usr/bin/python3
"""`actlab train --run-dir`, `actlab report` and `actlab plot --run` end to end.

The report is rendered by headless Chromium (Debian's `chromium`, which
setup.sh --test installs: a missing browser fails the test): the page must
load without a console message (it has no scripts, so any message is a
problem: a CSP violation, a failed load), hold the expected sections and one
image per figure, every image must decode (a copy of the page without the CSP
runs a probe script), no URL may point off the file, and the screenshot must
show the page's header colour and the charts' tab10 colours.

Usage: report_cli_test.py ACTLAB CASE   (CASE: synthetic fashion_mnist plot_run errors)
"""
import base64
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ACTLAB, CASE = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="actlab-report-test-")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECTIONS = ["summary", "configuration", "curves", "findings", "layers", "activations"]


def run(*args, code=0):
    p = subprocess.run([ACTLAB, *args], capture_output=True, text=True, timeout=280)
    assert p.returncode == code, f"actlab {' '.join(args)}: exit {p.returncode}, expected {code}\n{p.stderr}"
    return p


def one_line_error(p, *needles):
    err = p.stderr.strip()
    assert p.returncode == 2, (p.returncode, err)
    assert "\n" not in err and err.startswith("actlab: "), err
    for n in needles:
        assert n in err, (n, err)


def chromium(url, *flags):
    """Runs headless Chromium on url; returns (stdout, stderr)."""
    assert os.path.exists(CHROMIUM), "chromium is not installed: run ./setup.sh --test (it installs Debian's chromium)"
    home = tempfile.mkdtemp(prefix="home-", dir=TMP)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home, XDG_CACHE_HOME=home)
    p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--user-data-dir=" + os.path.join(home, "profile"), "--enable-logging=stderr", "--v=0",
                        "--hide-scrollbars", *flags, url], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, f"chromium exit {p.returncode}\n{p.stderr[-3000:]}"
    return p.stdout, p.stderr


def console_problems(stderr):
    bad = ("CONSOLE", "Uncaught", "Failed to load", "Refused to", "Content Security Policy", "net::ERR")
    return [l for l in stderr.splitlines() if any(b in l for b in bad)]


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG, with the standard library only."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def near(px, rgb, tol=40):
    return sum(abs(a - b) for a, b in zip(px, rgb)) <= tol


def check_report(html_path, info, with_diagnostics):
    """Static checks of the file, then Chromium's view of it."""
    html = open(html_path, encoding="utf-8").read()
    assert html.startswith("<!DOCTYPE html>"), html[:50]
    # Self-contained: nothing fetched, nothing linked off the file.
    assert not re.search(r"https?://", html), re.search(r".{60}https?://.{60}", html).group(0)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.I)
    assert re.search(r"""src=["'](?!data:)""", html) is None
    assert "default-src 'none'" in html  # the CSP that makes any network use fail
    imgs = re.findall(r'<img class="chart" width="(\d+)" height="(\d+)" alt="[^"]*" '
                      r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)">', html)
    assert len(imgs) == len(info["figures"]) and len(imgs) >= 2, (len(imgs), info["figures"])
    for (w, h, b64), fig in zip(imgs, info["figures"]):
        svg = base64.b64decode(b64).decode("utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
        assert (int(w), int(h)) == (fig["width"], fig["height"]), (w, h, fig)
    want = SECTIONS if with_diagnostics else [s for s in SECTIONS if s != "layers"]
    assert info["sections"] == want, info["sections"]
    for s in want:
        assert f'<section id="{s}">' in html, s
    if not with_diagnostics:
        assert "diagnostics not recorded: re-run with --diagnose" in html

    # Chromium: the page as shipped (with its CSP) logs nothing.
    url = "file://" + os.path.abspath(html_path)
    dom, err = chromium(url, "--dump-dom")
    assert not console_problems(err), console_problems(err)
    for s in want:
        assert f'id="{s}"' in dom, s
    assert dom.count('<img class="chart"') == len(imgs)
    assert dom.count("<tr>") >= 8  # the configuration table (+ the layer table)

    # Every image decodes: a copy without the CSP runs a probe that writes
    # what it found into the DOM.
    probe = html.replace("default-src 'none'; img-src data:; style-src 'unsafe-inline'",
                         "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
    probe = probe.replace("</body>", """<script>
window.addEventListener('load', () => {
  const imgs = [...document.querySelectorAll('img')];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length;
  document.body.setAttribute('data-probe', ok + '/' + imgs.length);
});
</script></body>""")
    probe_path = os.path.join(TMP, "probe.html")
    open(probe_path, "w", encoding="utf-8").write(probe)
    dom, err = chromium("file://" + probe_path, "--virtual-time-budget=5000", "--dump-dom")
    m = re.search(r'data-probe="(\d+)/(\d+)"', dom)
    assert m, "the probe did not run\n" + "\n".join(console_problems(err))
    assert m.group(1) == m.group(2) == str(len(imgs)), m.group(0)

    # A phone-sized window: no part of the page (the configuration table with
    # its model summary above all) is wider than the window; wide content
    # scrolls inside its own box.
    narrow = probe.replace("document.body.setAttribute('data-probe', ok + '/' + imgs.length);",
                           "document.body.setAttribute('data-probe', ok + '/' + imgs.length);\n"
                           "  const kv = document.querySelector('table.kv');\n"
                           "  document.body.setAttribute('data-widths', [document.documentElement.scrollWidth, "
                           "window.innerWidth, kv.getBoundingClientRect().right].join(','));")
    open(probe_path, "w", encoding="utf-8").write(narrow)
    dom, err = chromium("file://" + probe_path, "--virtual-time-budget=5000", "--window-size=380,1200", "--dump-dom")
    m = re.search(r'data-widths="(\d+),(\d+),([\d.]+)"', dom)
    assert m, "the width probe did not run\n" + "\n".join(console_problems(err))
    page, window, table_right = int(m.group(1)), int(m.group(2)), float(m.group(3))
    assert page <= window and table_right <= window, (page, window, table_right)

    # The screenshot: the header band and the charts' lines are there.
    shot = os.path.join(TMP, "shot.png")
    chromium(url, "--window-size=1100,2600", "--screenshot=" + shot)
    w, h, rows = read_png(shot)
    assert (w, h) == (1100, 2600), (w, h)
    pixels = [px for row in rows[::2] for px in row[::2]]
    assert sum(near(px, (0x16, 0x32, 0x4f), 6) for px in pixels) > 5000  # header band
    assert sum(not near(px, (255, 255, 255), 30) for px in pixels) > 0.03 * len(pixels)  # not blank
    for colour in [(0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c)]:  # train, validation, test
        assert sum(near(px, colour) for px in pixels) > 20, colour
    if os.environ.get("ACTLAB_REPORT_TEST_KEEP"):
        print("kept", html_path, shot)
    return html


def report_json(target, *extra):
    info = json.loads(run("report", target, "--json", *extra).stdout)
    assert set(info) == {"path", "run", "bytes", "sections", "figures", "findings", "diagnostics"}, info.keys()
    for f in info["figures"]:
        assert set(f) == {"section", "title", "format", "width", "height", "panels"}, f
        assert f["format"] == "svg" and f["panels"] and all(set(p) == {"title", "series", "log_y"} for p in f["panels"])
    assert os.path.getsize(info["path"]) == info["bytes"]
    return info


if CASE == "synthetic":
    rd = os.path.join(TMP, "runs", "spirals")  # two levels that do not exist yet
    p = run("train", "--data", "spirals", "--rows", "600", "--layers", "2-32-32-2", "--act", "tanh",
            "--epochs", "6", "--diagnose", "--diagnose-every", "4", "--run-dir", rd)
    assert "saved " + os.path.join(rd, "model.safetensors") in p.stdout, p.stdout
    assert sorted(os.listdir(rd)) == ["metrics.json", "model.safetensors"], os.listdir(rd)
    info = report_json(rd)
    assert info["path"] == os.path.join(rd, "report.html") and info["diagnostics"] is True, info
    assert [f["section"] for f in info["figures"]] == ["curves", "layers", "activations"], info["figures"]
    assert info["figures"][0]["panels"][0] == {"title": "loss", "series": ["train", "validation", "test"],
                                               "log_y": False}
    assert info["figures"][2]["panels"][0]["title"] == "tanh"
    m = json.load(open(os.path.join(rd, "metrics.json")))
    html = check_report(info["path"], info, True)
    # The summary states the run's own numbers.
    assert "%.2f%%" % (100 * m["final"]["test_accuracy"]) in html
    assert "6 / 6" in html and "spirals" in html and "adam, lr 0.001" in html
    assert ("no problems found" in html) == (not m["diagnostics"]["findings"])

    # Text from the file is escaped, never markup; the same run as a metrics file.
    m["data"]["name"] = "<b>spirals</b> & \"co\""
    m["model"]["summary"] = "</pre><script>alert(1)</script>"
    evil = os.path.join(TMP, "evil.json")
    json.dump(m, open(evil, "w"))
    info = report_json(evil, "--out", os.path.join(TMP, "evil report.html"))
    html = open(info["path"], encoding="utf-8").read()
    assert "<b>spirals</b>" not in html and "&lt;b&gt;spirals&lt;/b&gt; &amp; &quot;co&quot;" in html
    assert "<script>" not in html and "&lt;/pre&gt;&lt;script&gt;" in html
    assert run("report", evil).stdout.strip() == "wrote " + os.path.join(TMP, "evil.html")

    # Without --diagnose: curves and activations, and the note saying how to get the rest.
    plain = os.path.join(TMP, "plain")
    run("train", "--data", "moons", "--rows", "400", "--act", "gelu", "--epochs", "3", "--quiet", "--run-dir", plain)
    info = report_json(plain)
    assert info["diagnostics"] is False and info["findings"] == []
    assert [f["section"] for f in info["figures"]] == ["curves", "activations"], info["figures"]
    check_report(info["path"], info, False)

    # A run that diverged: the page says it stopped and why, and a huge loss fits its card.
    div = os.path.join(TMP, "diverged")
    run("train", "--data", "moons", "--rows", "200", "--layers", "2-16-2", "--optimizer", "sgd", "--lr", "1e6",
        "--epochs", "3", "--diagnose", "--diagnose-every", "2", "--quiet", "--run-dir", div, code=2)
    m = json.load(open(os.path.join(div, "metrics.json")))
    assert "diverged" in m["stopped"] and m["diagnostics"]["stopped"] == m["stopped"], m["stopped"]
    assert len(m["epochs"]) < 3, m["epochs"]
    info = report_json(div)
    html = check_report(info["path"], info, True)
    assert "Training stopped early, after epoch %d: training diverged" % len(m["epochs"]) in html
    big = re.findall(r'<div class="v">([^<]*)</div><div class="k">final (?:test|train) loss', html)
    assert big and len(big[0]) <= 10, big
elif CASE == "fashion_mnist":
    # Raw pixels (0..255) into sigmoid saturate the first layer (tests/diagnose_cli_test.py): the finding,
    # its advice and the saturated share are on the page.
    rd = os.path.join(TMP, "fmnist")
    run("train", "--layers", "784-64-64-10", "--act", "sigmoid", "--scale", "none", "--epochs", "1",
        "--diagnose", "--diagnose-every", "20", "--quiet", "--run-dir", rd)
    info = report_json(rd)
    assert "saturation" in [f["kind"] for f in info["findings"]], info["findings"]
    html = check_report(info["path"], info, True)
    assert '<div class="finding"><h3>saturation</h3>' in html and "--init xavier" in html
    assert "fashion" in html.lower()
    m = json.load(open(os.path.join(rd, "metrics.json")))
    sat = m["diagnostics"]["layers"][1]["saturated"]
    assert sat > 0.9 and "%.2f%%" % (100 * sat) in html, sat  # the layer table's median
    layers = next(f for f in info["figures"] if f["section"] == "layers")
    titles = [p["title"] for p in layers["panels"]]
    assert titles == ["gradient norm ||dL/dW||", "update / weight ratio", "saturated (solid) / f' = 0 (dashed)",
                      "pre-activation density, standardised (last record)"], titles
    # The activation panel is widened to cover the recorded pre-activations (hundreds wide here).
    assert re.search(r"over \[-\d\d+, \d\d+\]", html), re.search(r"over \[[^]]*\]", html).group(0)
elif CASE == "plot_run":
    rd = os.path.join(TMP, "run")
    run("train", "--data", "circles", "--rows", "300", "--act", "relu", "--epochs", "3", "--quiet", "--diagnose",
        "--diagnose-every", "3", "--run-dir", rd)
    out = json.loads(run("plot", "--run", rd, "--json").stdout)
    assert [f["path"] for f in out["files"]] == [os.path.join(rd, "curves.png"),
                                                  os.path.join(rd, "curves-diagnostics.png")], out
    for f in out["files"]:
        assert set(f) == {"path", "format", "width", "height", "panels"} and f["format"] == "png", f
        w, h = struct.unpack(">II", open(f["path"], "rb").read()[16:24])
        assert (w, h) == (f["width"], f["height"]), (w, h, f)
    assert [p["title"] for p in out["files"][0]["panels"]] == ["loss", "accuracy"]
    assert [p["log_y"] for p in out["files"][0]["panels"]] == [False, False]
    assert [p["log_y"] for p in out["files"][1]["panels"][:2]] == [True, True]  # gradient norms, update ratios
    # --log-y: the loss on a log scale, the accuracy still linear.
    logged = json.loads(run("plot", "--run", rd, "--log-y", "--out", os.path.join(TMP, "log.png"), "--json").stdout)
    assert [p["log_y"] for p in logged["files"][0]["panels"]] == [True, False], logged
    one_line_error(run("plot", "relu", "--log-y", code=2), "--log-y", "--run")
    # A metrics file, an explicit SVG name and size.
    svg = os.path.join(TMP, "c.svg")
    out = json.loads(run("plot", "--run", os.path.join(rd, "metrics.json"), "--out", svg, "--width", "800",
                         "--json").stdout)
    assert [f["path"] for f in out["files"]] == [svg, os.path.join(TMP, "c-diagnostics.svg")], out
    assert all(f["width"] == 800 and f["format"] == "svg" for f in out["files"])
    assert open(svg).read().lstrip().startswith("<?xml")
    # No diagnostics: one file. Activations still say what they wrote.
    plain = os.path.join(TMP, "plain.json")
    run("train", "--data", "xor", "--rows", "16", "--layers", "2-4-1", "--epochs", "2", "--quiet",
        "--metrics-out", plain)
    out = json.loads(run("plot", "--run", plain, "--json").stdout)
    assert [f["path"] for f in out["files"]] == [os.path.join(TMP, "curves.png")], out
    assert [p["title"] for p in out["files"][0]["panels"]] == ["loss", "accuracy"]
    out = json.loads(run("plot", "gelu", "relu", "--out", os.path.join(TMP, "a.png"), "--json").stdout)
    assert [p["title"] for p in out["files"][0]["panels"]] == ["gelu", "relu", "all (dashed: f')"], out
    assert out["files"][0]["panels"][2]["series"] == ["gelu", "relu"]  # unlabelled f' lines left out
    assert run("plot", "--run", rd).stdout.split("\n")[:2] == ["wrote " + os.path.join(rd, "curves.png"),
                                                               "wrote " + os.path.join(rd, "curves-diagnostics.png")]
    # --run draws the run's own figures: activation flags do not mix with it.
    for args, needle in [(["relu"], "NAME with --run"), (["--range", "-2:2"], "--range with --run"),
                         (["--no-derivative"], "--derivative"), (["--logits", "1,2"], "--logits with --run")]:
        one_line_error(run("plot", "--run", rd, *args, code=2), needle)
    one_line_error(run("plot", code=2), "NAME")
    one_line_error(run("plot", "--run", rd, "--out", os.path.join(TMP, "x.gif"), code=2), ".gif")
elif CASE == "errors":
    before = set(os.listdir(TMP))

    def refused(target, *needles):
        p = run("report", target, "--out", os.path.join(TMP, "r.html"), code=2)
        one_line_error(p, *needles)
        assert set(os.listdir(TMP)) == before | made, set(os.listdir(TMP)) - before - made  # nothing written

    made = set()
    refused(os.path.join(TMP, "missing"), "no such file or folder", "--run-dir")
    empty = os.path.join(TMP, "empty")
    os.mkdir(empty)
    made.add("empty")
    refused(empty, "no metrics.json", "actlab train --run-dir")
    for name, text, needle in [("bad.json", "{not json", "not valid JSON"),
                               ("other.json", '{"findings": [], "layers": []}', "not an actlab metrics file"),
                               ("list.json", "[1, 2, 3]", "not an actlab metrics file"),
                               ("noepochs.json", '{"command": "train", "epochs": [], "config": {}, "model": {}}',
                                "no epochs recorded"),
                               ("badhist.json", '{"command": "train", "epochs": [{"epoch": "x"}], "config": {}, '
                                                '"model": {}}', "training history is malformed")]:
        open(os.path.join(TMP, name), "w").write(text)
        made.add(name)
        refused(os.path.join(TMP, name), needle, name)
    # Diagnostics that do not line up with the model: refused, not read out of bounds.
    rd = os.path.join(TMP, "run")
    run("train", "--data", "xor", "--rows", "16", "--layers", "2-4-1", "--epochs", "1", "--quiet", "--diagnose",
        "--diagnose-every", "1", "--run-dir", rd)
    made.add("run")
    one_line_error(run("report", rd, "--out", os.path.join(TMP, "no", "such", "dir.html"), code=2), "cannot write")
    m = json.load(open(os.path.join(rd, "metrics.json")))
    m["diagnostics"]["steps"][0]["layers"].pop()
    open(os.path.join(rd, "metrics.json"), "w").write(json.dumps(m))
    refused(rd, "inconsistent")
    assert sorted(os.listdir(rd)) == ["metrics.json", "model.safetensors"]
    one_line_error(run("report", code=2), "RUN")
    assert not glob.glob(os.path.join(TMP, "**", "*.tmp*"), recursive=True)

    # --run-dir: conflicts are refused before anything is made; a file in the way is named.
    for flag in ["--save", "--metrics-out"]:
        nd = os.path.join(TMP, "never")
        one_line_error(run("train", "--data", "xor", "--run-dir", nd, flag, os.path.join(TMP, "x"), code=2),
                       flag + " with --run-dir")
        assert not os.path.exists(nd)
    bad_flags = os.path.join(TMP, "badflags")
    one_line_error(run("train", "--data", "xor", "--layers", "3-1", "--run-dir", bad_flags, code=2), "--layers")
    assert not os.path.exists(bad_flags)  # a mistyped command leaves no empty folder
    afile = os.path.join(TMP, "afile")
    open(afile, "w").write("x")
    one_line_error(run("train", "--data", "xor", "--rows", "16", "--epochs", "1", "--run-dir", afile, code=2),
                   "--run-dir", "cannot create")
else:
    sys.exit(f"unknown case {CASE}")
shutil.rmtree(TMP, ignore_errors=True)
print(f"report_cli_{CASE}: ok")
