"""A case: its folder, model file and evidence, checked against each other."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from reportedly.errors import InputError, Problem, ReportedlyError, did_you_mean
from reportedly.inputs.claims import Evidence, load_evidence
from reportedly.inputs.schema import Claim, ClaimKind
from reportedly.inputs.spec import ModelSpec, load_spec, spec_digest
from reportedly.timeaxis import MonthAxis, OutsideAxis


@dataclass(frozen=True)
class Case:
    """A case: its folder, model file and evidence (as it stood on `as_of`, if set)."""

    root: Path
    spec: ModelSpec
    spec_text: str
    evidence: Evidence
    as_of: dt.date | None = None    # set for the case as it stood on a day (see `known_by`)

    @property
    def name(self) -> str:
        """The case's name, from its model file."""
        return self.spec.case.name

    @property
    def axis(self) -> MonthAxis:
        """The case's monthly time axis."""
        return self.spec.time.axis

    def known_by(self, day: dt.date) -> Case:
        """The case as it stood on `day`: only the claims reported by then. Its estimates are kept apart
        (estimates/<case>-as-of-<day>/)."""
        claims = tuple(c for c in self.evidence.claims if c.report_date <= day)
        if not any(c.use for c in claims):
            first = min(c.report_date for c in self.evidence.used)
            raise ReportedlyError(f"no used claim had been reported by {day}; the first was reported on {first}")
        return dataclasses.replace(self, evidence=dataclasses.replace(self.evidence, claims=claims), as_of=day)

    @property
    def latest_report(self) -> dt.date:
        """The report date of the latest used claim."""
        return max(c.report_date for c in self.evidence.used)

    def with_sampler(self, **settings) -> Case:
        """The same case with other sampler settings (e.g. quick ones for a smoke run)."""
        sampler = self.spec.sampler.model_copy(update=settings)
        return dataclasses.replace(self, spec=self.spec.model_copy(update={"sampler": sampler}))

    def origin_ratings(self) -> dict[str, str]:
        """The Admiralty letter of every origin a claim names."""
        return {c.origin: self.evidence.sources[c.origin].rating for c in self.evidence.claims}

    def fingerprint(self) -> dict[str, str]:
        """What a fit depends on, recorded with it and compared on load."""
        return {"claims_hash": self.evidence.digest(), "spec_hash": spec_digest(self.spec_text)}


def is_case_folder(folder: Path) -> bool:
    """Whether `folder` holds a case (seeds/ and models/)."""
    return (folder / "seeds").is_dir() and (folder / "models").is_dir()


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` holding both seeds/ and models/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_case_folder(folder):
            return folder
    raise ReportedlyError(f"no case folder (with seeds/ and models/) at or above {here}; use --root DIR")


def check_root(root: Path) -> Path:
    """A folder named with --root, which must be a case folder."""
    root = root.resolve()
    if not is_case_folder(root):
        what = (
            "does not exist"
            if not root.exists()
            else "is not a folder"
            if not root.is_dir()
            else "has no seeds/ and models/ inside"
        )
        raise ReportedlyError(f"--root {root} {what}; give the case folder that holds seeds/ and models/")
    return root


def case_names(root: Path) -> list[str]:
    """The cases under `root`: the names of its model files."""
    return sorted(p.stem for p in (root / "models").glob("*.toml"))


def load_case(root: Path, name: str | None = None) -> Case:
    """Load models/<name>.toml and seeds/ under `root`, and check the claims fit the model."""
    spec, text = load_spec(model_file(root, name))
    evidence = load_evidence(root / "seeds")
    case = Case(root, spec, text, evidence)
    problems = check_claims_against_spec(case)
    if problems:
        raise InputError(problems)
    return case


def model_file(root: Path, name: str | None = None) -> Path:
    """models/<name>.toml under `root`; without a name, the only model file there."""
    names = case_names(root)
    if not names:
        raise ReportedlyError(f"{root / 'models'} holds no model files; write models/<case>.toml (see the shipped one)")
    if name is None:
        if len(names) != 1:
            raise ReportedlyError(f"name a case: models/ holds {', '.join(names)}")
        name = names[0]
    if name not in names:
        raise ReportedlyError(f"no model file models/{name}.toml{did_you_mean(name, names)}")
    return root / "models" / f"{name}.toml"


def check_claims_against_spec(case: Case) -> list[Problem]:
    """Used claims must name a quantity the model has, in a form it can use, inside its time axis."""
    spec, axis = case.spec, case.axis
    known = [*spec.flows, *spec.ratios, *spec.links]
    by_id = {c.id: c for c in case.evidence.claims}
    problems = []
    for c in case.evidence.used:
        file = f"seeds/claims ({c.article})"
        if c.quantity not in known:
            problems.append(
                Problem(
                    file,
                    f"quantity '{c.quantity}' is not in the model{did_you_mean(c.quantity, known)}; "
                    f"the model has {', '.join(known)}",
                    c.id,
                    "quantity",
                )
            )
            continue
        is_ratio = c.quantity in spec.ratios
        if c.kind == ClaimKind.onset:
            problems += [Problem(file, message, c.id, field) for field, message in _onset_problems(c, case)]
        elif c.kind in (ClaimKind.share, ClaimKind.plan):
            problems.append(
                Problem(file, f"a {c.kind} cannot be used as evidence; set use: false with a reason", c.id, "use")
            )
        elif is_ratio != (c.kind == ClaimKind.conversion):
            problems.append(
                Problem(
                    file,
                    "a ratio quantity takes conversion claims, and a conversion must be about a ratio",
                    c.id,
                    "kind",
                )
            )
        elif c.kind == ClaimKind.conversion and by_id[c.basis].value is None:
            problems.append(Problem(file, f"basis '{c.basis}' has no single printed value", c.id, "basis"))
        if not is_ratio:
            try:
                axis.window(c.window.start, c.window.end)
            except OutsideAxis as exc:
                problems.append(Problem(file, f"window date {exc}; {exc.fix(case.name)}", c.id, "window"))
    return problems


def _onset_problems(claim: Claim, case: Case) -> list[tuple[str, str]]:
    """What keeps an onset claim from dating its flow's start, besides its window: (field, message)."""
    spec, model = case.spec, f"models/{case.name}.toml"
    if claim.quantity not in spec.flows:
        flow = spec.base_flow(claim.quantity) if claim.quantity in spec.links else None
        return [("quantity", f"an onset claim dates a flow's start, and '{claim.quantity}' is not a flow"
                             + (f"; date its flow '{flow}'" if flow else ""))]
    problems = []
    if spec.flows[claim.quantity].onset is None:
        problems.append(("quantity", f"[flows.{claim.quantity}] in {model} has no onset for this claim to date: give "
                                     "it one, or set use: false with a reason"))
    if spec.errors.dating is None:
        problems.append(("kind", f"an onset claim needs [errors] dating in {model} (how far a source's date for a "
                                 "start strays), e.g. dating = { sd_days = 30, reason = \"...\" }"))
    return problems
