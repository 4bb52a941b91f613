"""Property-based tests of the loader: mutated claims files fail only with the package's own error."""

import shutil
import tempfile
from pathlib import Path

import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportedly.errors import InputError
from reportedly.inputs.claims import load_evidence

CLAIMS_FILE = "000_31607b5f6cd77ebe.yaml"
ORIGINAL = (ROOT / "seeds/claims" / CLAIMS_FILE).read_text(encoding="utf-8")
PARSED = yaml.safe_load(ORIGINAL)
FIELDS = sorted({key for claim in PARSED["claims"] for key in claim} | {"low", "high", "basis"})
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                   st.text(max_size=30), st.lists(st.integers(), max_size=3), st.dates().map(str),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def load_with(text: str):
    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder) / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        (seeds / "claims" / CLAIMS_FILE).write_text(text, encoding="utf-8")
        return load_evidence(seeds)


def outcome(text: str) -> None:
    try:
        load_with(text)
    except InputError as error:
        assert error.problems and all(str(p) for p in error.problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(PARSED["claims"]) - 1), field=st.sampled_from(FIELDS + ["extra_field"]),
       value=VALUES, delete=st.booleans())
def test_mutated_fields_fail_only_with_input_errors(index, field, value, delete):
    data = yaml.safe_load(ORIGINAL)
    claim = data["claims"][index]
    if delete:
        claim.pop(field, None)
    else:
        claim[field] = value
    outcome(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.integers(0, len(ORIGINAL)), cut=st.integers(0, 40), insert=st.text(max_size=20))
def test_mutated_text_fails_only_with_input_errors(position, cut, insert):
    outcome(ORIGINAL[:position] + insert + ORIGINAL[position + cut:])


def test_claims_round_trip_through_yaml():
    """Every claim dumped with all its fields and loaded again is the same claim."""
    evidence = load_evidence(ROOT / "seeds")
    by_article = {}
    for claim in evidence.claims:
        by_article.setdefault(claim.article, []).append(claim)
    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder) / "seeds"
        shutil.copytree(ROOT / "seeds", seeds)
        for article, claims in by_article.items():
            dumped = {"article": article, "report_date": str(claims[0].report_date),
                      "claims": [c.model_dump(mode="json", exclude_none=True) for c in claims]}
            (seeds / "claims" / article.replace(".txt", ".yaml")).write_text(
                yaml.safe_dump(dumped, allow_unicode=True, sort_keys=False), encoding="utf-8")
        assert load_evidence(seeds).claims == evidence.claims
