"""Write and execute the notebooks: `./run.sh notebooks` (or `python notebooks/build.py [NAME ...]`).

Each notebook is defined here as a list of cells and executed in full, outputs saved. The notebooks call
the package API only. Environment variables the test suite uses: REPORTEDLY_ROOT (the case folder;
default: this repository) and REPORTEDLY_FAST=1 (quick sampler settings; such fits are marked unconverged).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

SETUP_PLAIN = '''\
import os
from pathlib import Path

import pandas as pd

from reportedly.inputs.case import load_case

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)
ROOT = Path(os.environ.get("REPORTEDLY_ROOT", "..")).resolve()
FAST = os.environ.get("REPORTEDLY_FAST") == "1"  # quick settings injected by the test suite
case = load_case(ROOT, "dprk_russia")
if FAST:
    case = case.with_sampler(draws=150, tune=200)
print(f"{case.spec.case.title}: {len(case.evidence.claims)} claims, {len(case.evidence.used)} used as evidence")'''


def setup(*shows: str) -> str:
    """The first cell, importing from IPython.display what the notebook shows (`Image`, `Markdown`)."""
    if not shows:
        return SETUP_PLAIN
    line = f"from IPython.display import {', '.join(sorted(shows))}, display\n"
    return SETUP_PLAIN.replace("import pandas as pd\n", "import pandas as pd\n" + line, 1)

ESTIMATES = [
    (
        "md",
        """\
# North Korea's transfers to Russia: the estimates

This notebook loads the claims extracted from the five seed articles, fits the model, writes
`estimates/dprk_russia/`, and explains what each headline number means and how sure it is.""",
    ),
    ("code", setup("Image", "Markdown")),
    (
        "md",
        """\
## The evidence

One row per printed figure. `used` marks the claims the model counts; the others are relays of the same
statement, sums of other claims, plans or vague figures, kept for provenance.""",
    ),
    (
        "code",
        """\
claims = pd.DataFrame([
    {"id": c.id, "quantity": c.quantity, "printed": c.figure, "window": f"{c.window.start or 'onset'} to {c.window.end}",
     "origin": c.origin, "used": c.use}
    for c in case.evidence.claims
])
claims[claims.used]""",
    ),
    (
        "md",
        "## Fit\n\nnutpie, four chains, the seed from the model file. The fit must pass the diagnostics gate to be written.",
    ),
    (
        "code",
        """\
from reportedly.workflows.estimate import run_estimate

result = run_estimate(case, allow_unconverged=FAST)
print("diagnostics:", "passed" if result.diagnostics.passed else result.diagnostics.failures)
print(f"compiled in {result.timings.compile_seconds:.0f} s, sampled in {result.timings.sampling_seconds:.0f} s")""",
    ),
    ("md", "## Headline figures\n\nMedians with 50% and 90% credible intervals (equal-tailed)."),
    (
        "code",
        """\
from reportedly.results import store
from reportedly.results.estimates import load_estimates
from reportedly.results.render import number
from reportedly.results.tables import headline_table

est = load_estimates(store.folder(case))
headlines = headline_table(est)
headlines[["label", "window", "median", "q25", "q75", "q05", "q95"]]""",
    ),
    ("md", "### In plain words"),
    (
        "code",
        """\
lines = []
for row in headlines.itertuples():
    spread = row.q95 / row.q05
    sureness = "fairly tight" if spread < 2 else "wide" if spread < 5 else "very wide: the evidence pins only one side"
    lines.append(
        f"- **{row.label}**: most likely about **{number(row.median)}**; even odds it lies between "
        f"{number(row.q25)} and {number(row.q75)}; 90% probability between {number(row.q05)} and "
        f"{number(row.q95)} ({sureness}, a factor of {spread:.1f} from end to end)."
    )
display(Markdown("\\n".join(lines)))""",
    ),
    (
        "md",
        """\
## Figures

Cumulative totals with 50% and 90% bands; each claim at its date (arrows: "more than" / "as many as";
hollow: not used).""",
    ),
    ("code", 'display(Image(filename=str(store.folder(case) / "figures" / "cumulative.png")))'),
    ("code", 'display(Image(filename=str(store.folder(case) / "figures" / "rounds_per_container.png")))'),
    (
        "md",
        """\
## How each claim sits with the fit

What each claim's source would print given the fitted truth. A small tail probability means the claim is
hard to reconcile with the rest of the evidence.""",
    ),
    (
        "code",
        """\
fit = pd.read_csv(store.folder(case) / "claims_fit.csv")
fit.sort_values("p_tail")[["id", "used", "printed", "pred_q05", "pred_median", "pred_q95", "p_tail"]].head(12)""",
    ),
]

SOURCES = [
    (
        "md",
        """\
# Sources and sensitivity

Which sources and claims drive which estimate, what the model learned about each source's reliability,
and what changes if you distrust a source. Reads the estimates written by `01_estimates.ipynb`.""",
    ),
    ("code", setup("Image")),
    (
        "code",
        """\
from reportedly.results import store
from reportedly.results.estimates import load_estimates
from reportedly.results.tables import headline_table, source_table

est = load_estimates(store.folder(case))
source_table(est)[["source", "rating", "claims_used", "prior_median", "sigma_median", "sigma_q05", "sigma_q95"]]""",
    ),
    (
        "md",
        """\
## Learned reliability against the rating

Grey: the error scale the Admiralty letter implies before seeing the data. Blue: what the data say. With
one to eight claims a source, the data move the scales little: ratings matter.""",
    ),
    ("code", 'display(Image(filename=str(store.folder(case) / "figures" / "sources.png")))'),
    (
        "md",
        """\
## Which claim drives which estimate

Each used claim left out in turn (a refit of the same compiled model: the claims are its data); the table shows how far each headline
median moves, in percent. Large numbers mark the claims a headline rests on.""",
    ),
    (
        "code",
        """\
from reportedly.validation.refit import make_refitter

refitter = make_refitter(case, case.spec.sampler)
baseline = headline_table(refitter.fit(seed=1)[0]).set_index("name")["median"]
moves = {}
for claim_id in refitter.design.claim_ids:
    without = headline_table(refitter.fit(seed=1, design=refitter.design.without([claim_id]))[0])
    moves[claim_id] = (100 * (without.set_index("name")["median"] / baseline - 1)).round(0)
pd.DataFrame(moves).T""",
    ),
    (
        "md",
        """\
The same question answered from the saved fit alone, without refitting: Pareto-smoothed importance sampling
reweights the draws as if each claim were left out (`reportedly explain` prints it, and refits the claims whose
Pareto k is above 0.7, where the reweighting cannot be trusted). Change of each headline median, in percent:""",
    ),
    (
        "code",
        """\
from reportedly.results.influence import influence_table

psis = influence_table(est)
print("Pareto k above 0.7:", ", ".join(sorted(set(psis.loc[~psis["reliable"], "claim"]))) or "none")
psis.pivot(index="claim", columns="headline", values="shift").mul(100).round(0)""",
    ),
    (
        "md",
        """\
## What if you distrust a source?

Refit with one source's rating lowered to D ("not usually reliable"), and see how the headlines move
(`reportedly whatif --rate msmt=D` from the command line; `--without msmt` leaves its claims out). Change
`DISTRUSTED` to try another.""",
    ),
    (
        "code",
        """\
from reportedly.workflows.whatif import rated_anew, what_if

DISTRUSTED = "msmt"
table, diagnostics = what_if(rated_anew(case, {DISTRUSTED: "D"}, []), headline_table(est).to_dict("records"))
print("diagnostics:", "converged" if diagnostics.passed else diagnostics.failures)
table.set_index("label")[["median", "what_if_median"]].round(0).assign(
    change_percent=(100 * table["shift"]).round(0).values)""",
    ),
    (
        "md",
        "## Other readings of the evidence\n\nThe sensitivity analysis of `reportedly check`: medians under each variant.",
    ),
    (
        "code",
        """\
from reportedly.validation.sensitivity import sensitivity

table = sensitivity(refitter, seed=1)
table.pivot(index="variant", columns="name", values="median").round(0)""",
    ),
]

NEW_ARTICLE = [
    (
        "md",
        """\
# Adding a new article

The workflow for new evidence: add the article, draft and confirm its claims, validate, refit, compare. It runs in a
scratch copy of the case so the shipped seeds stay as they are. **The article below is invented for this
demonstration; it is not evidence.**""",
    ),
    ("code", setup()),
    (
        "code",
        """\
import shutil
import tempfile

scratch = Path(tempfile.mkdtemp()) / "case"
for folder in ("seeds", "models"):
    shutil.copytree(ROOT / folder, scratch / folder)
before = case
print("scratch case at", scratch)""",
    ),
    ("md", "## 1. Add the article\n\nVerbatim text, UTF-8, under `seeds/articles/`."),
    (
        "code",
        """\
article = "900_example.txt"
(scratch / "seeds" / "articles" / article).write_text(
    "EXAMPLE ONLY. Officials said on 30 July 2025 that more than 15,000 North Korean troops "
    "had been sent to Russia so far.\\n", encoding="utf-8");""",
    ),
    (
        "md",
        """\
## 2. Draft its claims

`reportedly extract` (here its Python functions) proposes one claim per printed figure: the sentence, the
figure and qualifier, the quantity and the window read against the article's date. It leaves `origin` for
you to decide.""",
    ),
    (
        "code",
        """\
import datetime as dt

from reportedly.inputs.drafts import draft_claims, named_sources
from reportedly.inputs.extract import propose

text = (scratch / "seeds" / "articles" / article).read_text(encoding="utf-8")
published = dt.date(2025, 7, 30)
draft = draft_claims(article, published, propose(text, published, before.spec), named_sources(text, before.evidence.sources))
print(draft)""",
    ),
    ("md", "Confirm it: set the origin and the outlet that carried it. A first confirmation with a typo:"),
    (
        "code",
        """\
confirmed = draft.replace("origin: ''", "origin: sk_mnd").replace("relay: []", "relay: [yonhap]")
claims_file = scratch / "seeds" / "claims" / "900_example.yaml"
claims_file.write_text(confirmed.replace("qualifier:", "qualifer:"), encoding="utf-8");""",
    ),
    (
        "md",
        "## 3. Validate\n\nEvery problem names the file, the claim and the field, and suggests the nearest valid name.",
    ),
    (
        "code",
        """\
from reportedly.errors import InputError

try:
    load_case(scratch, "dprk_russia")
except InputError as error:
    print(error)""",
    ),
    (
        "code",
        """\
claims_file.write_text(confirmed, encoding="utf-8")
after = load_case(scratch, "dprk_russia")
if FAST:
    after = after.with_sampler(draws=150, tune=200)
print(f"valid: {len(after.evidence.used)} claims used (was {len(before.evidence.used)})")""",
    ),
    (
        "md",
        """\
## 4. Refit and compare

The model's time axis ends in July 2025, so a claim up to 30 July fits inside it. Cumulative headlines run
to the latest report, which the new article moves from 13 to 30 July.""",
    ),
    (
        "code",
        """\
from reportedly.results import store
from reportedly.results.estimates import load_estimates
from reportedly.results.tables import headline_table
from reportedly.workflows.estimate import run_estimate

result = run_estimate(after, allow_unconverged=FAST)
old = headline_table(load_estimates(store.folder(before))).set_index("name")
new = headline_table(result.estimates).set_index("name")
pd.DataFrame({"before": old["median"], "after": new["median"], "90% before": old["q95"] - old["q05"],
              "90% after": new["q95"] - new["q05"]}).round(0)""",
    ),
]

NOTEBOOKS = {
    "01_estimates.ipynb": ESTIMATES,
    "02_sources_and_sensitivity.ipynb": SOURCES,
    "03_new_article.ipynb": NEW_ARTICLE,
}


def make_notebook(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src) for kind, src in cells
    ]
    return nb


def build(names=None, out_dir: Path = HERE, timeout: int = 1800) -> list[Path]:
    """Write and execute the named notebooks (default: all, in order); return their paths."""
    written = []
    for name in names or NOTEBOOKS:
        nb = make_notebook(NOTEBOOKS[name])
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
        ).execute()
        path = out_dir / name
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(sys.argv[1:] or None):
        print(f"wrote {path}", file=sys.stderr)
