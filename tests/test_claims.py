"""The shipped claims, and every validation rule with the message a user sees."""

import hashlib
from pathlib import Path

import pytest
from conftest import ROOT, edit

from reportedly.cli import main
from reportedly.errors import InputError
from reportedly.inputs.case import load_case
from reportedly.inputs.claims import load_evidence, relay_differences

CLAIMS = Path("seeds/claims")
KH = CLAIMS / "000_31607b5f6cd77ebe.yaml"
DIA = CLAIMS / "001_4a3346a7603ef775.yaml"


def test_shipped_claims_load_clean():
    evidence = load_evidence(ROOT / "seeds")
    assert len(evidence.claims) == 43
    assert len(evidence.used) == 16
    assert {c.origin for c in evidence.used} == {"msmt", "sk_dia", "sk_mnd", "sk_nsa", "allied_governments",
                                                 "ua_officials"}


# SHA-256 of the five seed articles as delivered (sha256sum of the originals).
SEED_ARTICLES = {
    "000_31607b5f6cd77ebe.txt": "0db609357c5255b51ec80ba793784d2e31108fe4d563013c330b65675fc0e548",
    "001_4a3346a7603ef775.txt": "9c46ec5a8fe29cc4948422380e76a449c60eaf14407f3e538d6db76f888eeb47",
    "002_ad0fbd122f4a3523.txt": "1686dfe36c683ca23218e74f9bf447a9dc61578acb6af960b9f8f517aed8159d",
    "003_75568f7466ec5607.txt": "3af6d24c0f52a617ddca23e85bad2e20b86729d6bdeca6c4a7a577e3780c3ade",
    "004_b206abb1a7df4eea.txt": "c9acd8ae2be3fb17bdc54cd39bace293ba22d6afa8d5bd24c06d99553d2f4590",
}


def test_articles_are_the_seed_articles_verbatim():
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "seeds" / "articles").glob("*.txt")}
    assert shipped == SEED_ARTICLES


def test_every_quote_is_verbatim_in_its_article():
    evidence = load_evidence(ROOT / "seeds")
    for claim in evidence.claims:
        assert claim.quote in evidence.articles[claim.article], claim.id


def test_each_assessment_counts_once():
    evidence = load_evidence(ROOT / "seeds")
    assessments = [c.assessment for c in evidence.used]
    assert len(assessments) == len(set(assessments))
    # The MSMT report reaches us through three articles, the DIA statement through two.
    msmt_articles = {c.article for c in evidence.claims if c.origin == "msmt"}
    dia_articles = {c.article for c in evidence.claims if c.origin == "sk_dia"}
    assert len(msmt_articles) == 2 and len(dia_articles) == 2


def test_relay_differences_flag_the_ai_misdating_and_the_conversion_read_as_a_count():
    found = {(d.relay, d.field) for d in relay_differences(load_evidence(ROOT / "seeds").claims)}
    assert ("ai-troops-early-2024", "window") in found
    assert ("dn-shells-headline", "kind") in found
    assert ("cnn-shells-2024", "qualifier") in found


def test_shipped_claims_fit_the_model():
    case = load_case(ROOT)
    assert case.latest_report.isoformat() == "2025-07-13"


BAD_CLAIMS = [
    # (file, old text, new text, message the user sees)
    (
        KH,
        "    qualifier: approximately\n    window: {kind: period, start: 2024-01-01, end: 2024-12-15}",
        "    qualifer: approximately\n    window: {kind: period, start: 2024-01-01, end: 2024-12-15}",
        "claim kh-shells-2024: field 'qualifer': unknown field (did you mean 'qualifier'?)",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: nine million\n",
        "claim kh-shells-2024: field 'value': Input should be a valid number",
    ),
    (
        KH,
        "end: 2024-12-15}\n    origin: msmt\n    notes: Rocket",
        "end: 2023-12-15}\n    origin: msmt\n    notes: Rocket",
        "claim kh-shells-2024: field 'window': window ends (2023-12-15) before it starts (2024-01-01)",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: -9000000\n",
        "claim kh-shells-2024: field 'value': must be a positive count no larger than 1,000,000,000,000, got -9e+06",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: 0\n",
        "claim kh-shells-2024: field 'value': must be a positive count no larger than 1,000,000,000,000, got 0",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: 1e30\n",
        "claim kh-shells-2024: field 'value': must be a positive count no larger than 1,000,000,000,000, got 1e+30",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: .nan\n",
        "claim kh-shells-2024: field 'value': must be a positive count no larger than 1,000,000,000,000, got nan",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: 900000000\n",
        "claim kh-shells-2024: field 'value': 900,000,000 is not a figure the quote prints (it prints 9,000,000); "
        "correct the figure or the quote",
    ),
    (
        KH,
        "    value: 9000000\n",
        "    value: 9000000\n    value: 8000000\n",
        "000_31607b5f6cd77ebe.yaml: is not valid YAML at line 12, column 5: key 'value' is given twice (first at line 11); keep one",
    ),
    (
        KH,
        "report_date: 2025-05-29",
        "report_date: 2099-05-29",
        "claim kh-shells-2024: field 'report_date': 2099-05-29 is in the future",
    ),
    (
        KH,
        "quote: The report underscores North Korea’s plans",
        "quote: The report underscores North Korea's plans",
        "claim kh-workers-plan-2025: field 'quote': quote not found verbatim in 000_31607b5f6cd77ebe.txt; it differs from "
        "the article only in quotation marks, apostrophes, dashes or spacing. Copy the article's text: "
        "'The report underscores North Korea’s plans",
    ),
    (
        KH,
        "quote: In addition, approximately",
        "quote: In addition,  approximately",
        "claim kh-shells-2024: field 'quote': quote not found verbatim in 000_31607b5f6cd77ebe.txt; it differs from "
        "the article only in quotation marks, apostrophes, dashes or spacing. Copy the article's text: 'In addition, approx",
    ),
    (
        KH,
        "    low: 2000\n    high: 9000\n",
        "    low: 9000\n    high: 2000\n",
        "claim kh-workers-plan-2025: range low (9000) is above high (2000)",
    ),
    (
        KH,
        "    low: 2000\n    high: 9000\n",
        "    low: 2000\n",
        "claim kh-workers-plan-2025: a range needs both 'low' and 'high'",
    ),
    (
        KH,
        "    origin: msmt\n    notes: Rocket",
        "    origin: msmtt\n    notes: Rocket",
        "claim kh-shells-2024: field 'origin': unknown source 'msmtt' (did you mean 'msmt'?); add it to seeds/sources.yaml",
    ),
    (
        KH,
        "quote: In addition, approximately 9 million",
        "quote: In addition, approximately 8 million",
        "claim kh-shells-2024: field 'quote': quote not found verbatim in 000_31607b5f6cd77ebe.txt",
    ),
    (
        KH,
        "  - id: kh-containers\n",
        "  - id: kh-shells-2024\n",
        "claim kh-shells-2024: field 'id': duplicate id, first used in",
    ),
    (
        DIA,
        "  - id: b-containers\n",
        "  - id: kh-containers\n",
        "claim kh-containers: field 'id': duplicate id, first used in",
    ),
    (
        KH,
        "window: {kind: period, start: 2024-01-01, end: 2024-12-15}\n    origin: msmt\n    notes: Rocket",
        "window: {kind: period, start: 2024-01-01, end: 2024-13-15}\n    origin: msmt\n    notes: Rocket",
        "claim kh-shells-2024: field 'window.end': Input should be a valid date",
    ),
    (
        KH,
        "article: 000_31607b5f6cd77ebe.txt",
        "article: 000_31607b5f6cd77ebf.txt",
        "no article '000_31607b5f6cd77ebf.txt' in seeds/articles (did you mean '000_31607b5f6cd77ebe.txt'?)",
    ),
    (
        KH,
        "    use: false\n    reason: The article's lede repeats kh-workers-2024; one assessment counts once.\n",
        "",
        "assessment 'msmt-workers-2024' would count 2 times (kh-workers-2024-lede, kh-workers-2024)",
    ),
    (
        DIA,
        "    basis: b-containers\n",
        "    basis: b-container\n",
        "claim b-conversion: field 'basis': basis 'b-container' is not a claim id (did you mean 'b-containers'?)",
    ),
    (
        KH,
        "    assessment: msmt-shells-2024\n",
        "    assessment: [msmt-shells-2024\n",
        "000_31607b5f6cd77ebe.yaml: is not valid YAML at line 8",
    ),
    (
        KH,
        "    quote: In addition",
        "    qoute: In addition",
        "claim kh-shells-2024: field 'qoute': unknown field (did you mean 'quote'?)",
    ),
    (
        KH,
        "  - id: kh-shells-2024\n",
        "  - id: kh-shells-2024\n    report_date: 2025-99-01\n",
        "claim kh-shells-2024: field 'report_date': Input should be a valid date",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "message"), BAD_CLAIMS, ids=[m[:50] for *_, m in BAD_CLAIMS])
def test_bad_claims_give_a_clear_error_and_exit_2(case_dir, capsys, file, old, new, message):
    edit(case_dir / file, old, new)
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert str(file) in err
    assert "Traceback" not in err


def test_all_errors_in_a_file_are_reported_at_once(case_dir):
    edit(case_dir / KH, "    value: 9000000\n", "    value: -1\n")
    edit(case_dir / KH, "    value: 20000\n", "    valu: 20000\n")
    edit(case_dir / DIA, "    origin: sk_dia\n", "    origin: sk_dai\n")
    with pytest.raises(InputError) as caught:
        load_evidence(case_dir / "seeds")
    messages = [str(p) for p in caught.value.problems]
    # Both schema problems in the one file; cross-file checks (the unknown source) wait until every file parses.
    assert len(messages) == 2
    assert "kh-shells-2024" in messages[0] and "positive count" in messages[0] and "'value'" in messages[0]
    assert "kh-containers" in messages[1] and "'valu'" in messages[1]


def test_empty_claims_folder(case_dir, capsys):
    for path in (case_dir / CLAIMS).glob("*.yaml"):
        path.unlink()
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    assert "no claims files (*.yaml) found" in capsys.readouterr().err


def test_article_that_is_not_utf8(case_dir, capsys):
    (case_dir / "seeds/articles/005_latin1.txt").write_bytes("Caf\xe9 : 5 000 obus".encode("latin-1"))
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    assert "005_latin1.txt: is not UTF-8 text" in capsys.readouterr().err


def test_claim_about_a_quantity_the_model_does_not_have(case_dir, capsys):
    edit(
        case_dir / KH,
        "    quantity: shipments\n    kind: count\n    value: 49\n    qualifier: none\n"
        "    window: {kind: period, start: 2024-01-01, end: 2024-12-15}\n    origin: msmt\n    use: false\n"
        "    reason: The model has no shipments quantity; how many containers a shipment carries is not reported.\n",
        "    quantity: shipments\n    kind: count\n    value: 49\n    qualifier: none\n"
        "    window: {kind: period, start: 2024-01-01, end: 2024-12-15}\n    origin: msmt\n",
    )
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    assert (
        "claim kh-shipments-2024: field 'quantity': quantity 'shipments' is not in the model" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[flows.workers]",
            "[flows.workers]\nlevle = 3",
            "field 'flows.workers.levle': unknown field (did you mean 'level'?)",
        ),
        (
            'product = ["containers", "rounds_per_container"]',
            'product = ["containers", "rounds_per_crate"]',
            "link 'shells': product must be [flow, ratio]",
        ),
        (
            'dist = "halfnormal", sigma = 0.3, reason = "Labour',
            'dist = "halfnormel", sigma = 0.3, reason = "Labour',
            "flows.workers.smoothness.dist",
        ),
        (
            'quantity = "workers"\nstart = 2024-01-01',
            'quantity = "labourers"\nstart = 2024-01-01',
            "headline 'workers_2024': unknown quantity 'labourers'",
        ),
        (
            'duration = { dist = "lognormal", median = 36, sigma = 1.0, reason = "Dispatch',
            'duration = { dist = "lognormal", median = 0, sigma = 1.0, reason = "Dispatch',
            "flows.workers.duration.median",
        ),
        (
            "mean = 2024-10-10, sd_days = 15",
            "mean = 2022-10-10, sd_days = 15",
            "flow 'troops': onset mean 2022-10-10 is outside the time axis 2023-01-01 to 2025-07-31; move it inside or widen [time]",
        ),
        (
            'dist = "student_t", nu = 3, mean = 2024-10-10',
            'dist = "student_t", mean = 2024-10-10',
            """field 'flows.troops.onset': dist = "student_t" needs nu, its degrees of freedom (e.g. nu = 3)""",
        ),
        (
            'dist = "student_t", nu = 3, mean = 2024-10-10',
            'dist = "normal", nu = 3, mean = 2024-10-10',
            """field 'flows.troops.onset': nu is for dist = "student_t"; remove it from a normal onset""",
        ),
        (
            'timing = { dist = "dirichlet", concentration = 2, reason = "Groups of workers',
            'first_wave = { dist = "lognormal", median = 2, sigma = 2, reason = "-" }\n'
            'timing = { dist = "dirichlet", concentration = 2, reason = "Groups of workers',
            "flow 'workers': a first_wave arrives at the flow's onset; give the flow an onset or remove first_wave",
        ),
    ],
)
def test_bad_model_file(case_dir, capsys, old, new, message):
    edit(case_dir / "models/dprk_russia.toml", old, new)
    assert main(["--root", str(case_dir), "claims"]) == 2
    err = capsys.readouterr().err
    assert message in err and "models/dprk_russia.toml" in err


def test_claims_cli_lists_filters_and_prints_json(capsys):
    import json

    assert main(["--root", str(ROOT), "claims", "--quantity", "troops", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    assert claims and all(c["quantity"] == "troops" for c in claims)
    assert main(["--root", str(ROOT), "claims", "--origin", "sk_dia", "--check"]) == 0
    out = capsys.readouterr().out
    assert "b-containers" in out and "kh-shells-2024" not in out and "all claims valid." in out


def test_sources_cli_counts_claims(capsys):
    assert main(["--root", str(ROOT), "sources"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("msmt "))
    assert line.split()[1] == "B" and "21" in line.split()


def test_case_found_from_a_subfolder(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "seeds" / "claims")
    assert main(["claims"]) == 0
    assert "43 in all" in capsys.readouterr().out


def test_no_case_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["claims"]) == 2
    assert "no case folder (with seeds/ and models/)" in capsys.readouterr().err


def test_a_source_given_twice_is_refused(case_dir, capsys):
    with (case_dir / "seeds/sources.yaml").open("a", encoding="utf-8") as out:
        out.write("msmt:\n  name: Again\n  type: news outlet\n  rating: E\n  rationale: A second entry.\n")
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert (
        "seeds/sources.yaml: is not valid YAML at line 95, column 1: key 'msmt' is given twice (first at line 8); keep one"
        in err
    )


@pytest.mark.parametrize(
    "kind",
    [
        "think tank",
        "open-source research group",
        "international organisation",
        "news outlet's own reporting",
        "company",
        "government",
        "other",
    ],
)
def test_source_types_analysts_meet(case_dir, capsys, kind):
    edit(case_dir / "seeds/sources.yaml", "  type: belligerent government\n", f"  type: {kind}\n")
    assert main(["--root", str(case_dir), "claims", "--check"]) == 0


def test_an_unknown_source_type_lists_the_known_ones(case_dir, capsys):
    edit(case_dir / "seeds/sources.yaml", "  type: belligerent government\n", "  type: tink tank\n")
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert "field 'ua_gur.type': Input should be 'multilateral monitor'," in err and "'think tank'" in err


def test_a_claims_file_that_is_a_list(case_dir, capsys):
    (case_dir / KH).write_text("- one\n- two\n" * 200, encoding="utf-8")
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert (
        "000_31607b5f6cd77ebe.yaml: expected a mapping with 'article', 'report_date' and 'claims' at the top, "
        "got a list; list the claims under 'claims:'"
    ) in err
    assert len(err) < 400


@pytest.mark.parametrize("make", ["folder", "dangling link", "link loop"])
def test_an_article_that_is_not_a_file(case_dir, capsys, make):
    path = case_dir / "seeds/articles/005_extra.txt"
    if make == "folder":
        path.mkdir()
    elif make == "dangling link":
        path.symlink_to(case_dir / "nowhere.txt")
    else:
        path.symlink_to(path)
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    err = capsys.readouterr().err
    assert (
        "005_extra.txt: cannot be read (" in err
        and "an article must be a text file (not a folder or a broken link)" in err
    )
    assert "Traceback" not in err


def test_a_window_outside_the_time_axis_says_how_to_extend_it(case_dir, capsys):
    edit(
        case_dir / KH,
        "window: {kind: period, start: 2024-01-01, end: 2024-12-15}\n    origin: msmt\n    notes: Rocket",
        "window: {kind: period, start: 2022-06-01, end: 2024-12-15}\n    origin: msmt\n    notes: Rocket",
    )
    assert main(["--root", str(case_dir), "claims", "--check"]) == 2
    assert (
        "claim kh-shells-2024: field 'window': window date 2022-06-01 is before the time axis starts (2023-01-01); "
        "to cover it, set [time] start in models/dprk_russia.toml to 2022-06 or earlier and run "
        "'reportedly estimate dprk_russia' again"
    ) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("file", "is not a folder; give the case folder that holds seeds/ and models/"),
        ("missing", "does not exist; give the case folder"),
        ("empty", "has no seeds/ and models/ inside"),
    ],
)
def test_root_that_is_not_a_case_folder(tmp_path, capsys, where, message):
    root = tmp_path / "x"
    if where == "file":
        root.write_text("")
    elif where == "empty":
        root.mkdir()
    assert main(["--root", str(root), "claims"]) == 2
    assert f"--root {root} {message}" in capsys.readouterr().err
