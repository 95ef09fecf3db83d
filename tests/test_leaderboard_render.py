"""Ranking, the rendered site, the Markdown export, the plots and the CLI.

Results are simulated (seqd_builder.leaderboard.testing) with metrics computed from predictions, so
every page shows internally consistent numbers; none of them is a benchmark result.
"""

from __future__ import annotations

import copy
import filecmp
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
import yaml

from seqd_builder.benchmark.tasks import list_tasks, load_task
from seqd_builder.cli import main
from seqd_builder.errors import BuildError, SubmissionError
from seqd_builder.leaderboard import (board_markdown, build_board, check_result, load_metrics,
                                      load_submissions, render_site, submit)
from seqd_builder.leaderboard import board as board_module
from seqd_builder.leaderboard.metrics import MetricSpec
from seqd_builder.leaderboard.submission import Submission
from seqd_builder.leaderboard.templates import html_environment, md_escape
from seqd_builder.leaderboard.testing import make_result, task_assets
from seqd_builder.leaderboard.validate import schema_path

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@pytest.fixture(scope="module", autouse=True)
def fixed_tasks(tmp_path_factory):
    root = task_assets(tmp_path_factory.mktemp("assets"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQD_ASSETS", str(root))
        yield root


def file_result(tmp: Path, subs: Path, data: dict, name: str | None = None) -> Path:
    src = tmp / f"{len(list(tmp.glob('*.json')))}.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    return submit(src, subs, name=name)


ENTRIES = [  # task, model, upstream, skill, seed, parameters, bootstrap
    ("emodb", "speecheq", "openai/whisper-base", 0.82, 1, 20_590_080, 50),
    ("emodb", "speecheq", "fbank", 0.70, 2, 0, 50),  # the runner records 0 for fbank
    ("emodb", "baseline", "fbank", 0.52, 3, 0, 50),
    ("emodb", "baseline", "openai/whisper-base", 0.66, 4, 20_590_080, 50),
    ("ravdess", "speecheq", "fbank", 0.55, 5, None, 0),
    ("ravdess", "speecheq", "/models/whisper-small", 0.72, 6, 88_000_000, 50),
    ("toy_vad", "emosphere-ser", "fbank", 0.8, 7, None, 30),
    ("toy_vad", "baseline", "fbank", 0.4, 8, None, 30),
]


@pytest.fixture(scope="module")
def submissions(tmp_path_factory, fixed_tasks):
    tmp = tmp_path_factory.mktemp("runs")
    subs = tmp / "submissions"
    for task, model, upstream, skill, seed, params, boot in ENTRIES:
        file_result(tmp, subs, make_result(task, model=model, upstream=upstream, skill=skill, seed=seed,
                                           parameters=params, bootstrap=boot))
    return subs


@pytest.fixture(scope="module")
def site(submissions, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    index = render_site(submissions, out)
    assert index == out / "index.html"
    return out


class Tags(HTMLParser):
    """Every start tag with its attributes (for structural assertions on rendered HTML)."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(path: Path) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


# ----------------------------------------------------------------------------------------- ranking

def test_rows_rank_by_primary_metric_and_ties_share_a_rank(submissions):
    boards = load_submissions(submissions)
    board = build_board(load_task("emodb"), boards["emodb"])
    ua = [r.submission.metric("ua") for r in board.rows]
    assert ua == sorted(ua, reverse=True)
    assert [c.name for c in board.columns] == ["ua", "wa", "macro_f1"]
    assert [r.rank for r in board.rows] == [1, 2, 3, 4]
    twin_data = copy.deepcopy(board.rows[1].submission.data)
    twin_data["seeds"] = [99]
    twin = Submission(name="twin", task="emodb", data=twin_data)
    tied = build_board(load_task("emodb"), [*boards["emodb"], twin])
    assert [r.rank for r in tied.rows] == [1, 2, 2, 4, 5]


def test_sorting_follows_each_metrics_declared_direction(submissions, monkeypatch):
    boards = load_submissions(submissions)
    higher = [r.submission.name for r in build_board(load_task("emodb"), boards["emodb"]).rows]
    specs = dict(load_metrics())
    ua = specs["ua"]
    specs["ua"] = MetricSpec(name="ua", label=ua.label, title=ua.title, direction="lower", low=ua.low,
                             high=ua.high, display=ua.display)
    monkeypatch.setattr(board_module, "load_metrics", lambda: specs)
    lower = build_board(load_task("emodb"), boards["emodb"])
    assert [r.submission.name for r in lower.rows] == higher[::-1]
    assert lower.primary.arrow == "↓"


def test_metric_declarations_cover_the_schema_and_every_task():
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    named = set(schema["properties"]["metrics"]["propertyNames"]["enum"])
    named |= set(schema["properties"]["primary_metric"]["enum"])
    specs = load_metrics()
    assert named <= set(specs)
    for name in list_tasks():
        task = load_task(name)
        assert set(task.metrics) | {task.primary_metric} <= set(specs)
    assert specs["per"].direction == "lower" and specs["per"].high is None
    assert specs["ccc_mean"].low == -1 and specs["ua"].range_text == "[0, 1]"
    raw = yaml.safe_load((Path(__file__).resolve().parents[1] / "leaderboard" / "metrics.yaml")
                         .read_text(encoding="utf-8"))
    assert list(raw) == list(specs)


# ------------------------------------------------------------------------------------------- site

def test_site_has_index_pages_tables_plots_and_configs(site):
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    for task in ("emodb", "ravdess", "toy_vad"):
        assert {f"{task}.html", f"{task}.md", f"plots/{task}-folds.svg"} <= names
    assert {"plots/emodb-recall.svg", "plots/emodb-params.svg", "index.html", "style.css"} <= names
    assert "plots/ravdess-params.svg" not in names  # one entry states its size: nothing to compare
    assert "plots/toy_vad-recall.svg" not in names  # a regression task has no classes to recall
    assert len([n for n in names if n.startswith("configs/")]) == len(ENTRIES)
    index = (site / "index.html").read_text(encoding="utf-8")
    for task in ("emodb", "ravdess", "toy_vad"):
        assert f'href="{task}.html"' in index and f'href="{task}.md"' in index
    assert "8 results on 3 tasks" in index


def test_task_page_shows_ranked_table_primary_first_with_ci_and_fold_details(site, submissions):
    page = (site / "emodb.html").read_text(encoding="utf-8")
    headers = re.findall(r'<th scope="col" class="num[^"]*"[^>]*>([^<]+)</th>', page.split("<tbody")[0])
    assert headers[:4] == ["#", "UA ↑", "WA ↑", "macro-F1 ↑"]
    best = build_board(load_task("emodb"), load_submissions(submissions)["emodb"]).rows[0].submission
    first_entry = page.split('<tbody class="entry')[1]
    assert best.name in first_entry and f"<strong>{100 * best.metric('ua'):.1f}</strong>" in first_entry
    lo, hi = best.data["metrics"]["ua"]["ci95"]
    assert f'<span class="ci" title="bootstrap 95% confidence interval">[{100 * lo:.1f}, {100 * hi:.1f}]' \
           in first_entry
    assert first_entry.count("<details>") == 1 and first_entry.count("<tr><td>fold") == 10
    assert f'href="configs/emodb/{best.name}.json"' in first_entry
    assert 'href="https://huggingface.co/openai/whisper-base"' in page
    config = json.loads((site / "configs" / "emodb" / f"{best.name}.json").read_text(encoding="utf-8"))
    assert config == best.data["config"]
    for plot in ("folds", "recall", "params"):
        assert f'<img src="plots/emodb-{plot}.svg"' in page


def test_ci_appears_only_where_the_run_reports_one(site):
    page = (site / "ravdess.html").read_text(encoding="utf-8")
    entries = page.split('<tbody class="entry')[1:]
    with_ci = [e for e in entries if 'class="ci"' in e]
    assert len(entries) == 2 and len(with_ci) == 1
    assert "whisper-small" in with_ci[0]


def test_every_local_link_and_image_resolves(site):
    for page in site.glob("*.html"):
        for tag, attrs in tags_of(page):
            for key in ("href", "src"):
                url = attrs.get(key)
                if url and not url.startswith(("https://", "#")):
                    assert (site / url).is_file(), f"{page.name}: {tag} {key}={url}"


def test_synthetic_tasks_are_marked_everywhere(site):
    vad = (site / "toy_vad.html").read_text(encoding="utf-8")
    assert 'class="banner synthetic-banner"' in vad and "<strong>Synthetic data.</strong>" in vad
    assert "**Synthetic data**" in (site / "toy_vad.md").read_text(encoding="utf-8")
    assert "synthetic-banner" not in (site / "emodb.html").read_text(encoding="utf-8")
    index_rows = (site / "index.html").read_text(encoding="utf-8").split("<tr")
    vad_row = next(r for r in index_rows if 'href="toy_vad.html"' in r)
    assert "synthetic data</span>" in vad_row
    assert not any("synthetic data</span>" in r for r in index_rows if 'href="emodb.html"' in r)


def test_regression_board_uses_ccc_columns_as_plain_values(site, submissions):
    page = (site / "toy_vad.html").read_text(encoding="utf-8")
    headers = re.findall(r'<th scope="col" class="num[^"]*"[^>]*>([^<]+)</th>', page.split("<tbody")[0])
    assert headers[1:5] == ["CCC mean ↑", "CCC A ↑", "CCC V ↑", "CCC D ↑"]
    best = load_submissions(submissions)["toy_vad"]
    top = max(best, key=lambda s: s.metric("ccc_mean"))
    assert f"<strong>{top.metric('ccc_mean'):.3f}</strong>" in page
    assert "CCC mean in percent" not in page


def test_markdown_export_is_a_well_formed_table(site):
    lines = (site / "emodb.md").read_text(encoding="utf-8").splitlines()
    table = [ln for ln in lines if ln.startswith("|")]
    assert table[0].startswith("| # | model | upstream | UA ↑ | WA ↑ | macro-F1 ↑ |")
    assert len(table) == 2 + 4
    pipes = {len(re.findall(r"(?<!\\)\|", ln)) for ln in table}
    assert pipes == {10}


def test_markdown_escapes_markup_pipes_and_line_breaks():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    assert md_escape("one\ntwo") == "one two"
    assert md_escape("[link](javascript:alert(1))") == "\\[link\\]\\(javascript:alert\\(1\\)\\)"
    assert md_escape("**bold** _x_ `code`") == "\\*\\*bold\\*\\* \\_x\\_ \\`code\\`"


def test_markdown_of_a_hostile_board_keeps_its_shape(tmp_path):
    data = make_result("emodb", model="a | b" + HOSTILE, upstream="x|y", seed=11, bootstrap=0,
                       notes="n|o\nte")
    data2 = make_result("emodb", model="plain", seed=12, bootstrap=0)
    subs = [Submission(name="hostile", task="emodb", data=data), Submission(name="plain", task="emodb",
                                                                            data=data2)]
    text = board_markdown(build_board(load_task("emodb"), subs))
    table = [ln for ln in text.splitlines() if ln.startswith("|")]
    assert {len(re.findall(r"(?<!\\)\|", ln)) for ln in table} == {10}
    assert "<script" not in text and "<img" not in text and "&lt;script&gt;" in text


def test_templates_escape_and_refuse_undefined_values():
    env = html_environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("task.html.j2").render({"board": {}, "version": "x", "md_href": "x"})


def test_an_empty_leaderboard_renders_every_task(tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    index = render_site(subs, tmp_path / "site")
    text = index.read_text(encoding="utf-8")
    assert text.count("no results yet") == len(list_tasks()) == 3
    assert "No results yet. Run <code>seqd bench run emodb" in (tmp_path / "site" / "emodb.html") \
        .read_text(encoding="utf-8")
    assert not (tmp_path / "site" / "plots").exists()


# --------------------------------------------------------------------------------- hostile strings

def string_paths(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from string_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_paths(v, path + (i,))


def set_path(data, path, value):
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """Every string field a submission controls set to markup, where validation accepts it."""
    base = make_result("emodb", model="m", upstream="fbank", skill=0.7, seed=21, parameters=1000,
                       bootstrap=20, submitter="s", notes="n")
    accepted, refused = [], []
    # The first item of every list stands for the rest (fold 0, its first speaker, label, ...).
    paths = [p for p in string_paths(base) if not any(isinstance(k, int) and k > 0 for k in p)]
    for i, path in enumerate(paths):
        trial = copy.deepcopy(base)
        set_path(trial, path, f"{HOSTILE}{i}")
        (accepted if not check_result(trial) else refused).append((i, path))
    data = copy.deepcopy(base)
    for i, path in accepted:
        set_path(data, path, f"{HOSTILE}{i}")
    data["config"][HOSTILE] = HOSTILE  # keys too
    assert check_result(data) == []
    tmp = tmp_path_factory.mktemp("hostile")
    file_result(tmp, tmp / "submissions", data)
    file_result(tmp, tmp / "submissions", make_result("emodb", model="plain", seed=22, bootstrap=0))
    out = tmp / "site"
    render_site(tmp / "submissions", out)
    return out, accepted, refused


def test_hostile_fields_are_accepted_as_data_or_refused_for_a_reason(hostile_site):
    _, accepted, refused = hostile_site
    accepted_paths = {p for _, p in accepted}
    for path in [("model",), ("upstream", "name"), ("code_version",), ("submitter",), ("notes",),
                 ("hardware", "device"), ("folds", 0, "fold"), ("folds", 0, "test_speakers", 0),
                 ("dataset", "name"), ("protocol", "averaging")]:
        assert path in accepted_paths, path
    # Fields with a closed vocabulary or a format refuse markup outright.
    refused_paths = {p for _, p in refused}
    for path in [("task",), ("primary_metric",), ("config_hash",), ("date",), ("protocol", "name"),
                 ("folds", 0, "labels", 0)]:
        assert path in refused_paths, path


def test_markup_in_every_field_renders_as_text(hostile_site):
    out, accepted, _ = hostile_site
    html_files = list(out.glob("*.html"))
    page = (out / "emodb.html").read_text(encoding="utf-8")
    for i, path in accepted:
        if path[0] in ("config", "dataset") and path != ("dataset", "name"):
            continue  # shown only in the linked JSON files
        if path[:1] == ("folds",) and path[2] not in ("fold", "test_speakers"):
            continue
        assert f"&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;" \
               f"window.__pwned=2&#34;&gt;{i}" in page, path
    for html in html_files:
        for tag, attrs in tags_of(html):
            assert tag not in ("script", "iframe", "object", "embed"), (html.name, tag)
            assert not any(a.startswith("on") for a in attrs), (html.name, tag, attrs)
            if tag == "img":
                assert attrs["src"].startswith("plots/"), attrs
    for md in out.glob("*.md"):
        text = md.read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text


def test_markup_in_plots_is_escaped_svg_text(hostile_site):
    out, _, _ = hostile_site
    svgs = list((out / "plots").glob("*.svg"))
    assert {p.name for p in svgs} == {"emodb-folds.svg", "emodb-recall.svg"}
    for svg in svgs:
        raw = svg.read_text(encoding="utf-8")
        assert "<script" not in raw and "<img" not in raw and "&lt;script&gt;" in raw
        root = ET.fromstring(raw)
        texts = []
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            assert tag not in ("script", "foreignObject"), svg.name
            assert not any(a.rsplit("}", 1)[-1].startswith("on") for a in el.attrib), svg.name
            texts.append(el.text or "")
        assert any(t.startswith("1. <script>window.__pwned") or "<script>" in t for t in texts)


def test_dollar_signs_in_names_do_not_break_plots(tmp_path):
    subs = tmp_path / "submissions"
    file_result(tmp_path, subs, make_result("emodb", model="$\\frac{1}{0}$ $$", upstream="$x_", seed=31,
                                            bootstrap=0, parameters=5))
    render_site(subs, tmp_path / "site")
    assert "$\\frac{1}{0}$" in (tmp_path / "site" / "plots" / "emodb-folds.svg").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- output folder care

def test_rendering_is_deterministic(site, submissions, tmp_path):
    again = render_site(submissions, tmp_path / "again").parent
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(site, again, [str(f) for f in files], shallow=False)
    assert mismatch == [] and errors == []


def test_rerender_removes_its_own_stale_files_and_refuses_foreign_folders(tmp_path):
    subs = tmp_path / "submissions"
    gone = file_result(tmp_path, subs, make_result("ravdess", model="old", seed=41, bootstrap=0))
    out = tmp_path / "site"
    render_site(subs, out)
    assert (out / "configs" / "ravdess" / gone.name).is_file()
    (out / "mine.txt").write_text("kept", encoding="utf-8")
    gone.unlink()
    render_site(subs, out)
    assert not (out / "configs" / "ravdess" / gone.name).exists()
    assert not (out / "plots" / "ravdess-folds.svg").exists()
    assert (out / "mine.txt").read_text(encoding="utf-8") == "kept"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(BuildError, match="not empty and was not written by"):
        render_site(subs, foreign)
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]


def test_render_refuses_a_folder_with_invalid_submissions(tmp_path):
    subs = tmp_path / "submissions" / "emodb"
    subs.mkdir(parents=True)
    data = make_result("emodb", seed=51, bootstrap=0)
    data["metrics"]["ua"]["mean"] = 7.0
    (subs / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SubmissionError, match="cannot be rendered") as info:
        render_site(subs.parent, tmp_path / "site")
    assert any("bad.json: at /metrics/ua/mean: 7.0 lies outside" in r for r in info.value.reasons)
    assert not (tmp_path / "site").exists()


# -------------------------------------------------------------------------------------------- CLI

def test_cli_validate_submit_render(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(make_result("ravdess", seed=61, bootstrap=0)), encoding="utf-8")
    bad_data = make_result("ravdess", seed=62, bootstrap=0)
    bad_data["task"] = "nope"
    bad_data["seeds"] = []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_data), encoding="utf-8")
    subs = tmp_path / "submissions"

    assert main(["leaderboard", "validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert f"ok {good}" in out
    assert "REJECTED" in err and "unknown task 'nope'" in err and "at /seeds: [] should be non-empty" in err
    assert "error: 1 of 2 files cannot go on the leaderboard" in err

    assert main(["leaderboard", "submit", str(good), str(bad), "--submissions", str(subs)]) == 2
    assert "nothing was filed" in capsys.readouterr().err and not subs.exists()

    assert main(["leaderboard", "submit", str(good), str(good), "--name", "x",
                 "--submissions", str(subs)]) == 2
    assert "--name names one file" in capsys.readouterr().err

    assert main(["leaderboard", "submit", str(good), "--name", "../x", "--submissions", str(subs)]) == 2
    err = capsys.readouterr().err
    assert "name '../x' is refused" in err and "hint: leave --name out" in err

    assert main(["leaderboard", "submit", str(good), "--submissions", str(subs)]) == 0
    filed = next((subs / "ravdess").glob("*.json"))
    assert f"filed {good} as {filed}" in capsys.readouterr().out

    assert main(["leaderboard", "render", "--out", str(tmp_path / "site"), "--submissions", str(subs)]) == 0
    out = capsys.readouterr().out
    assert f"rendered {tmp_path / 'site' / 'index.html'}" in out and "open file://" in out

    assert main(["leaderboard", "render", "--out", str(tmp_path / "one"), "--submissions", str(subs),
                 "--task", "ravdess"]) == 0
    assert sorted(p.name for p in (tmp_path / "one").glob("*.html")) == ["index.html", "ravdess.html"]
    assert main(["leaderboard", "render", "--out", str(tmp_path / "two"), "--submissions", str(subs),
                 "--task", "nope"]) == 2
    assert "unknown task 'nope'; valid: emodb, ravdess, toy_vad" in capsys.readouterr().err
