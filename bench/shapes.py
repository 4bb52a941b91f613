"""Which flow a misspecified shape misses: some of `reportedly check`'s shapes, refitted in this process, broken down.

    python bench/shapes.py                                  every shape, 20 simulations each
    python bench/shapes.py "first weeks,two waves" 8        two shapes, 8 simulations each
    python bench/shapes.py "first weeks" 20 /tmp/variant    a copy of the project with an edited model file

Draws the same truths as `reportedly check --seed 1 --stress-sims N` (its simulations of those shapes, the check's
refit settings: 4 chains of 250 draws after 300 tuning steps), so a variant of the model file can be scored on them
in minutes instead of the check's twenty. Prints each shape's coverage by kind of item as validation.md does, then
for a flow's first days (as the first days of each draw's flow, and by the truth's dates) and for its total by a day
of its first weeks, how many windows fell inside the 90% interval, above it and below it, flow by flow.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from reportedly.inputs.case import load_case
from reportedly.validation import stress
from reportedly.validation.refit import make_refitter
from reportedly.validation.settings import CheckSettings

ROOT = Path(__file__).resolve().parents[1]


def scored(root: Path, shapes: list[str], sims_per_shape: int, seed: int = CheckSettings.seed) -> pd.DataFrame:
    """The check's rows for the simulations of `shapes` (see `stress.run_stress`), refitted one after another."""
    case = load_case(root)
    sampler = case.spec.sampler.model_copy(
        update={"draws": CheckSettings.draws, "tune": CheckSettings.tune, "chains": CheckSettings.chains})
    refitter = make_refitter(case, sampler, None)
    rows = []
    for task in stress.stress_tasks(refitter, sims_per_shape, seed):
        if task[1] in shapes:   # its shape
            rows += stress.stress_task(refitter, *task)
    return pd.DataFrame(rows)


def by_flow(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """For windows of `kind`: how many the 90% interval held, fell above and fell below, per shape and flow."""
    first = rows[rows["kind"] == kind]
    where = np.where(first["covered"], "inside", np.where(first["truth"] > first["q95"], "above", "below"))
    flow = first["item"].str.split(" ").str[0].rename("flow")
    return first.groupby([first["shape"], flow, where]).size().unstack(fill_value=0)


if __name__ == "__main__":
    shapes = sys.argv[1].split(",") if len(sys.argv) > 1 else list(stress.SHAPES)
    unknown = set(shapes) - set(stress.SHAPES)
    if unknown:
        sys.exit(f"unknown shapes {sorted(unknown)}; the check's are: {', '.join(stress.SHAPES)}")
    rows = scored(Path(sys.argv[3]) if len(sys.argv) > 3 else ROOT, shapes, int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    coverage = stress.stress_coverage(rows)
    print(coverage.pivot(index="shape", columns="kind", values="coverage_90").loc[shapes, list(stress.KINDS)]
          .round(2).to_string())
    for kind in (stress.FIRST_DAYS, stress.FIRST_DAYS_BY_DATE, stress.BY_A_DAY):
        print(f"\n{kind}: the truth inside, above and below the 90% interval")
        print(by_flow(rows, kind).to_string())
