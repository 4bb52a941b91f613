"""`reportedly extract`: draft claims from an article's text, scored against the shipped claims."""

import datetime as dt
import sys

import pytest
from conftest import ROOT

from reportedly.cli import main
from reportedly.inputs.extract import propose
from reportedly.inputs.spec import load_spec

sys.path.insert(0, str(ROOT / "bench"))
from extraction import CORPUS, score, score_corpus, score_starts, starts_proposed  # noqa: E402

from reportedly.inputs.numbers import figures_in, read_figures  # noqa: E402

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
    ("About 11,000 troops were in Kursk by December, officials said.", D(2025, 1, 10),
     ("approximately", 1.1e4, "cumulative", None, D(2024, 12, 31))),
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


def test_measures_dates_and_names_are_not_figures_and_other_counts_come_with_no_quantity(spec):
    text = ("The 152 mm shells fit D-30 howitzers. The team has 11 members. Kim spoke on May 13, 2025. "
            "It took three years. At least 600 soldiers were killed.")
    members, killed = propose(text, D(2025, 5, 29), spec)
    assert (members.value, members.quantity) == (11, None) and "no quantity of the case" in members.to_check[0]
    assert (killed.value, killed.qualifier, killed.quantity) == (600, "at_least", None)
    assert any("casualties" in note for note in killed.to_check)


@pytest.mark.parametrize("printed, expected", [
    ("two and a half million shells", [(2.5e6, None, "none")]),
    ("half a million", [(5e5, None, "none")]),
    ("three-quarters of a million", [(7.5e5, None, "none")]),
    ("two-point-three million", [(2.3e6, None, "none")]),
    ("some 12-hundred troops", [(1200, None, "approximately")]),
    ("about six thousand", [(6000, None, "approximately")]),
    ("9 000 soldiers and 78\u202f784 cases", [(9000, None, "none"), (78784, None, "none")]),
    ("1.500.000 rounds", [(1.5e6, None, "none")]),
    ("$436.1m", [(436.1e6, None, "none")]),
    ("2 to 3 million", [(2e6, 3e6, "range")]),
    ("between 10,000 and 20,000", [(1e4, 2e4, "range")]),
    ("250-300 people", [(250, 300, "range")]),
    ("fell from more than 7 million to 6.8 million", [(7e6, None, "more_than"), (6.8e6, None, "none")]),
    ("fewer than 200", [(200, None, "up_to")]),
    ("has surpassed 1,000", [(1000, None, "more_than")]),
    ("some 2,000 or more", [(2000, None, "at_least")]),
    ("400-plus", [(400, None, "at_least")]),
    ("thousands of volunteers", [(2000, None, "at_least")]),
    ("one of the most powerful storms in 2024, half of them", []),
])
def test_figures_are_read_as_people_print_them(printed, expected):
    assert [(f.value, f.high, f.qualifier) for f in read_figures(printed)] == expected


def test_a_quote_s_figures_include_both_ends_of_a_range_and_no_reading_of_a_word_of_magnitude():
    assert figures_in("some 8,000 to 10,000 troops and two and a half million shells") == [8000, 10000, 2.5e6]
    assert figures_in("several thousand workers and thousands of troops") == []


@pytest.mark.parametrize("sentence, today, expected", [
    ("Up to 30,000 refugees crossed in the past 48 hours, the agency said on Friday.", D(2012, 7, 20),
     ("period", D(2012, 7, 18), D(2012, 7, 20))),
    ("Around 290,000 had entered since Aug 25, the UN said.", D(2017, 9, 10),
     ("cumulative", D(2017, 8, 25), D(2017, 9, 10))),
    ("More than 3,400 people died between the start of the year and September 29.", D(2024, 11, 15),
     ("period", D(2024, 1, 1), D(2024, 9, 29))),
    ("The death toll rose to at least 29 on Tuesday.", D(2018, 10, 18), ("cumulative", None, D(2018, 10, 16))),
    ("Well over 500 migrants arrived late on Saturday.", D(2022, 7, 24), ("period", D(2022, 7, 23), D(2022, 7, 23))),
    ("Until Friday 34,000 migrants had arrived this year.", D(2022, 7, 24), ("period", D(2022, 1, 1), D(2022, 7, 22))),
    ("Up to 200,000 could flee in the next three months.", D(2023, 6, 1), ("period", D(2023, 6, 1), D(2023, 9, 1))),
])
def test_windows_of_days_and_weeks_are_read_against_the_articles_date(spec, sentence, today, expected):
    (p,) = propose(sentence, today, spec)
    assert (p.window.kind, p.window.start, p.window.end) == expected


def test_a_figure_whose_noun_is_elsewhere_and_a_fact_beside_a_plan(spec):
    back = propose("The first troops arrived in October. Already 8,000 of them are fighting.", D(2025, 5, 29), spec)
    assert [(p.kind, p.value, p.quantity) for p in back] == [("onset", None, "troops"), ("count", 8000, "troops")]
    assert (back[0].window.start, back[0].window.end) == (D(2024, 10, 1), D(2024, 10, 31))
    troops = propose("North Korean troops began arriving in October, and about 11,000 were in Kursk by December.",
                     D(2025, 1, 10), spec)
    assert [(p.kind, p.quantity) for p in troops] == [("count", "troops"), ("onset", "troops")]
    plan, fact = propose("It plans to deliver 200 more howitzers, on top of the 180 already handed over.",
                         D(2025, 5, 29), spec)
    assert (plan.kind, fact.kind, fact.quantity) == ("plan", "count", plan.quantity)


def test_real_sentences_it_was_not_written_against():
    """The labelled corpus: figures, qualifiers and windows (`python bench/extraction.py` prints the table)."""
    rows = [r for r in score_corpus() if not r["held_out"]]
    assert len({r["sentence"] for r in rows}) >= 150
    assert sum(r["found"] for r in rows) / len(rows) >= 0.95
    assert sum(r["qualifier"] for r in rows) / len(rows) >= 0.90
    windows = [r["window"] for r in rows if r["window"] is not None]
    assert sum(windows) / len(windows) >= 0.75


@pytest.mark.parametrize("sentence, today, expected", [
    ("The weapons transfers reportedly began around October last year.", D(2025, 7, 13),
     (None, "period", D(2024, 10, 1), D(2024, 10, 31))),
    ("North Korean troops had been deployed to Kursk since at least November, officials said.", D(2025, 5, 29),
     ("troops", "cumulative", None, D(2024, 11, 30))),
    ("Shipments of artillery shells started in late August 2023.", D(2025, 5, 29),
     ("containers", "period", D(2023, 8, 21), D(2023, 8, 31))),
    ("In early 2024 the first workers arrived in Vladivostok.", D(2025, 5, 29),
     ("workers", "period", D(2024, 1, 1), D(2024, 3, 31))),
    ("The first soldiers crossed the border on Tuesday.", D(2024, 10, 10),
     ("troops", "period", D(2024, 10, 8), D(2024, 10, 8))),
    ("Deliveries of howitzers have already begun, the ministry said.", D(2025, 2, 11),
     ("artillery_systems", "cumulative", None, D(2025, 2, 11))),
])
def test_a_start_is_drafted_as_a_claim_that_dates_it(spec, sentence, today, expected):
    (p,) = [p for p in propose(sentence, today, spec) if p.kind == "onset"]
    assert (p.quantity, p.window.kind, p.window.start, p.window.end) == expected
    assert (p.qualifier, p.value, p.low, p.high) == ("none", None, None, None)


@pytest.mark.parametrize("sentence", [
    "More than 10,000 troops have been sent since the fighting began in Kursk in August 2024.",
    "Since the evacuations began, 12,000 people have left.",
    "Pyongyang will begin shipping more shells in May 2025.",
    "It may have begun as a trickle.",
])
def test_no_start_is_drafted_where_none_of_a_flow_is_dated(spec, sentence):
    assert [p for p in propose(sentence, D(2025, 5, 29), spec) if p.kind == "onset"] == []


def test_real_sentences_that_date_a_start():
    """The labelled corpus of starts, and the figures' corpus, where no sentence dates one."""
    rows = score_starts()
    dated = [r for r in rows if r["dated"]]
    assert len(dated) >= 10 and sum(r["window"] for r in dated) / len(dated) >= 0.9
    assert sum(r["proposed"] for r in rows if not r["dated"]) <= 1
    assert len(starts_proposed(CORPUS)) <= 2


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


def test_a_drafted_start_passes_the_claims_check_once_its_origin_is_set(case_dir, tmp_path, capsys):
    article = tmp_path / "kursk.txt"
    article.write_text("North Korean troops began arriving in Russia in October 2024, Seoul said.\n", encoding="utf-8")
    root = ["--root", str(case_dir)]
    assert main([*root, "extract", str(article), "--date", "2025-01-10", "--write"]) == 0
    draft = case_dir / "seeds" / "claims" / "kursk.yaml"
    assert "kind: onset" in draft.read_text(encoding="utf-8") and "value:" not in draft.read_text(encoding="utf-8")
    draft.write_text(draft.read_text(encoding="utf-8").replace("origin: ''", "origin: sk_dia"), encoding="utf-8")
    capsys.readouterr()
    assert main([*root, "claims", "--check"]) == 0
    assert main([*root, "claims", "--json", "--article", "kursk.txt"]) == 0
    assert '"kind": "onset"' in capsys.readouterr().out


def test_an_unreadable_article_is_refused(case_dir, tmp_path, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 sent 5,000 troops".encode("latin-1"))
    assert main(["--root", str(case_dir), "extract", str(bad), "--date", "2025-01-01"]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["--root", str(case_dir), "extract", str(tmp_path / "missing.txt"), "--date", "2025-01-01"]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_a_figure_of_no_quantity_of_the_case_is_drafted_for_the_analyst_to_decide(case_dir, tmp_path, capsys):
    article = tmp_path / "losses.txt"
    article.write_text("Seoul says 600 North Korean soldiers were killed and about 5,000 more arrived in May 2025.\n",
                       encoding="utf-8")
    root = ["--root", str(case_dir)]
    assert main([*root, "extract", str(article), "--date", "2025-07-10", "--write"]) == 0
    draft = case_dir / "seeds" / "claims" / "losses.yaml"
    draft.write_text(draft.read_text(encoding="utf-8").replace("origin: ''", "origin: sk_dia"), encoding="utf-8")
    capsys.readouterr()
    assert main([*root, "claims", "--check"]) == 2
    assert "claim losses-1: field 'quantity'" in capsys.readouterr().err


@pytest.mark.parametrize("sentence", ["About 500 troops arrived on June 31, 2025.", "It sent 300 troops since May 45.",
                                      "It sent 300 troops in the past 99999 years."])
def test_a_date_that_does_not_exist_is_no_time_expression(spec, sentence):
    (p,) = [p for p in propose(sentence, D(2025, 7, 1), spec) if p.value in (300, 500)]
    assert p.window.end <= D(2025, 7, 1) and "99999" not in (p.window.phrase or "")
