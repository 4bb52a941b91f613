"""`reportedly extract`: draft claims from an article's text, scored against the shipped claims."""

import datetime as dt
import sys

import pytest
from conftest import ROOT

from reportedly.cli import main
from reportedly.inputs.extract import propose
from reportedly.inputs.spec import load_spec

sys.path.insert(0, str(ROOT / "bench"))
from extraction import score  # noqa: E402

D = dt.date


@pytest.fixture(scope="module")
def spec():
    return load_spec(ROOT / "models" / "dprk_russia.toml")[0]


@pytest.mark.parametrize("sentence, today, expected", [
    ("About 9 million shells were sent between January and mid-December 2024.", D(2025, 5, 29),
     ("approximately", 9e6, "period", D(2024, 1, 1), D(2024, 12, 15))),
    ("Since September 2023, more than 20,000 containers have been provided.", D(2025, 5, 29),
     ("more_than", 2e4, "cumulative", D(2023, 9, 1), D(2025, 5, 29))),
    ("It sent more than 10,000 troops to Russia late last year.", D(2025, 2, 11),
     ("more_than", 1e4, "period", D(2024, 10, 1), D(2024, 12, 31))),
    ("Another 3,000 troops arrived in the early months of this year.", D(2025, 5, 29),
     ("none", 3e3, "period", D(2025, 1, 1), D(2025, 3, 31))),
    ("At least 100 ballistic missiles were launched.", D(2025, 5, 29),
     ("at_least", 100, "cumulative", None, D(2025, 5, 29))),
    ("As many as 481 workers were sent between December 2024 and February 2025.", D(2025, 5, 29),
     ("as_many_as", 481, "period", D(2024, 12, 1), D(2025, 2, 28))),
    ("Some 2,000 soldiers left in March 2025, officials said on May 13, 2025.", D(2025, 5, 29),
     ("approximately", 2e3, "period", D(2025, 3, 1), D(2025, 3, 31))),
])
def test_figure_qualifier_and_window_are_read_against_the_articles_date(spec, sentence, today, expected):
    (p,) = propose(sentence, today, spec)
    assert (p.qualifier, p.value, p.window.kind, p.window.start, p.window.end) == expected


def test_figures_that_count_nothing_of_the_case_are_not_proposed(spec):
    text = ("The 152 mm shells fit D-30 howitzers. The team has 11 members. Kim spoke on May 13, 2025. "
            "It took three years.")
    assert propose(text, D(2025, 5, 29), spec) == []


def test_plans_and_words_of_magnitude_are_marked_for_the_analyst(spec):
    (plan,) = propose(
        "Pyongyang plans to send several thousand more workers in the first half of 2025.", D(2025, 5, 29), spec
    )
    assert (plan.kind, plan.qualifier, plan.low, plan.high) == ("plan", "range", 2000, 9000)
    assert len(plan.to_check) == 2


@pytest.mark.parametrize("root", [ROOT, ROOT / "tests" / "cases" / "aid_convoys"], ids=["seed articles", "second case"])
def test_the_shipped_claims_are_found_in_their_articles(root):
    rows = score(root)["rows"]
    assert sum(r["found"] and r["qualifier"] for r in rows) / len(rows) >= 0.90
    assert sum(r["window"] for r in rows) / len(rows) >= 0.75
    assert sum(r["quantity"] for r in rows) / len(rows) >= 0.85


ARTICLE = """North Korea sends more shells, Seoul says
North Korea has sent about 5,000 more soldiers to Russia since March 2025, South Korea's Defense Intelligence Agency said.
The agency said at least 1.5 million artillery shells were shipped between March and June 2025.
Officials said North Korea plans to send up to 6,000 more workers in the second half of 2025.
"""


def test_a_confirmed_draft_passes_the_claims_check(case_dir, tmp_path, capsys):
    article = tmp_path / "seoul-july.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    root = ["--root", str(case_dir)]
    assert main([*root, "extract", str(article)]) == 2
    assert "--date" in capsys.readouterr().err
    assert main([*root, "extract", str(article), "--date", "2025-07-10"]) == 0
    out = capsys.readouterr()
    assert "the article names sk_dia" in out.out and not (case_dir / "seeds" / "claims" / "seoul-july.yaml").exists()

    assert main([*root, "extract", str(article), "--date", "2025-07-10", "--write"]) == 0
    draft = case_dir / "seeds" / "claims" / "seoul-july.yaml"
    assert (case_dir / "seeds" / "articles" / "seoul-july.txt").read_text(encoding="utf-8") == ARTICLE
    assert main([*root, "claims", "--check"]) == 2  # no origin yet
    assert "field 'origin'" in capsys.readouterr().err
    draft.write_text(draft.read_text(encoding="utf-8").replace("origin: ''", "origin: sk_dia"), encoding="utf-8")
    assert main([*root, "claims", "--check"]) == 0
    capsys.readouterr()
    assert main([*root, "claims", "--json", "--article", "seoul-july.txt"]) == 0
    assert '"value": 1500000.0' in capsys.readouterr().out

    before = draft.read_text(encoding="utf-8")
    assert main([*root, "extract", str(article), "--write"]) == 2  # the date now comes from the claims file
    assert "never overwrites" in capsys.readouterr().err
    assert draft.read_text(encoding="utf-8") == before


def test_an_unreadable_article_is_refused(case_dir, tmp_path, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 sent 5,000 troops".encode("latin-1"))
    assert main(["--root", str(case_dir), "extract", str(bad), "--date", "2025-01-01"]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["--root", str(case_dir), "extract", str(tmp_path / "missing.txt"), "--date", "2025-01-01"]) == 2
    assert "cannot be read" in capsys.readouterr().err
