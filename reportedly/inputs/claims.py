"""Load the source registry, the articles and the claims; check everything that spans fields or files."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from reportedly.errors import InputError, Problem, did_you_mean, problems_from_validation
from reportedly.inputs.numbers import figures_in
from reportedly.inputs.quotes import matches_a_figure, near_verbatim
from reportedly.inputs.schema import Claim, ClaimKind, ClaimsFile, Source


@dataclass(frozen=True)
class Evidence:
    """Everything under a seeds/ folder, validated."""

    sources: dict[str, Source]
    claims: tuple[Claim, ...]
    articles: dict[str, str]

    @property
    def used(self) -> tuple[Claim, ...]:
        """The claims the model counts as evidence: one per assessment."""
        return tuple(c for c in self.claims if c.use)

    @property
    def figure_sources(self) -> list[str]:
        """The origins of used figures, sorted: those whose error scale the model learns (a date has none)."""
        return sorted({c.origin for c in self.used if c.kind != ClaimKind.onset})

    def digest(self) -> str:
        """A hash of the claims, sources and articles, recorded with every fit."""
        h = hashlib.sha256()
        for claim in self.claims:
            h.update(claim.model_dump_json().encode())
        for key in sorted(self.sources):
            h.update(key.encode() + self.sources[key].model_dump_json().encode())
        for name in sorted(self.articles):
            h.update(name.encode() + self.articles[name].encode())
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class RelayDifference:
    """A relay that prints an assessment differently from the claim the model uses."""

    assessment: str
    used: str
    relay: str
    field: str
    used_value: str
    relay_value: str


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so an impossible date gets a validation message, not a crash,
    and refuses a key given twice in one mapping, which YAML would otherwise settle silently by the last."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' is given twice (first at line {seen[key] + 1}); keep one",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def _read_yaml(path: Path, problems: list[Problem]) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), f"is not UTF-8 text ({exc.reason} at byte {exc.start})"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(str(path), f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}"))
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot be read ({exc.strerror}); it must be a text file "
                                           "(not a folder or a broken link)"))
    return None


def load_sources(path: Path) -> dict[str, Source]:
    """Read seeds/sources.yaml into {key: Source}."""
    problems: list[Problem] = []
    raw = _read_yaml(path, problems)
    if not problems and not isinstance(raw, dict):
        problems.append(Problem(str(path), "expected a mapping of source keys to sources"))
    sources = {}
    for key, entry in (raw or {}).items() if not problems else ():
        try:
            sources[str(key)] = Source.model_validate(entry)
        except ValidationError as exc:
            for p in problems_from_validation(exc, str(path), None, Source.model_fields):
                problems.append(Problem(p.file, p.message, None, f"{key}.{p.field}" if p.field else str(key)))
    if problems:
        raise InputError(problems)
    return sources


def load_articles(folder: Path) -> tuple[dict[str, str], list[Problem]]:
    """Read every seeds/articles/*.txt as UTF-8."""
    articles, problems = {}, []
    for path in sorted(folder.glob("*.txt")):
        try:
            articles[path.name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), f"is not UTF-8 text ({exc.reason} at byte {exc.start})"))
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot be read ({exc.strerror}); an article must be a text file "
                                               "(not a folder or a broken link)"))
    return articles, problems


def _parse_claims_file(path: Path, problems: list[Problem]) -> list[Claim]:
    raw = _read_yaml(path, problems)
    if raw is None:
        if not any(p.file == str(path) for p in problems):
            problems.append(Problem(str(path), "is empty; expected 'article', 'report_date' and 'claims'"))
        return []
    if not isinstance(raw, dict):
        problems.append(Problem(str(path), f"expected a mapping with 'article', 'report_date' and 'claims' at the top, "
                                          f"got a {type(raw).__name__}; list the claims under 'claims:'"))
        return []
    try:
        header = ClaimsFile.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, str(path), None, ClaimsFile.model_fields))
        return []
    claims = []
    defaults = {"article": header.article, "report_date": header.report_date, "relay": header.relay}
    for index, entry in enumerate(header.claims, start=1):
        claim_id = str(entry.get("id", f"#{index}")) if isinstance(entry, dict) else f"#{index}"
        if not isinstance(entry, dict):
            problems.append(Problem(str(path), "expected a mapping of fields", claim_id))
            continue
        try:
            claims.append(Claim.model_validate(defaults | entry))
        except ValidationError as exc:
            problems.extend(problems_from_validation(exc, str(path), claim_id, Claim.model_fields))
    return claims


def _cross_check(
    claims_by_file: dict[Path, list[Claim]], sources: dict[str, Source], articles: dict[str, str]
) -> list[Problem]:
    problems = []
    first_seen: dict[str, Path] = {}
    all_ids = {c.id for claims in claims_by_file.values() for c in claims}
    used_by_assessment: dict[str, list[str]] = defaultdict(list)
    for path, claims in claims_by_file.items():
        file = str(path)
        for c in claims:
            if c.id in first_seen:
                problems.append(Problem(file, f"duplicate id, first used in {first_seen[c.id]}", c.id, "id"))
            first_seen.setdefault(c.id, path)
            if c.article not in articles:
                problems.append(Problem(file, f"no article '{c.article}' in seeds/articles"
                                              f"{did_you_mean(c.article, articles)}", c.id, "article"))
            elif c.quote not in articles[c.article]:
                problems.append(Problem(file, _quote_not_found(c.quote, c.article, articles[c.article]), c.id, "quote"))
            else:
                problems.extend(Problem(file, message, c.id, field) for field, message in _figures_against_quote(c))
            for field, key in [("origin", c.origin), *(("relay", r) for r in c.relay)]:
                if key not in sources:
                    problems.append(
                        Problem(
                            file,
                            f"unknown source '{key}'{did_you_mean(key, sources)}; add it to seeds/sources.yaml",
                            c.id,
                            field,
                        )
                    )
            if c.basis is not None and c.basis not in all_ids:
                problems.append(
                    Problem(file, f"basis '{c.basis}' is not a claim id{did_you_mean(c.basis, all_ids)}", c.id, "basis")
                )
            if c.use:
                used_by_assessment[c.assessment].append(c.id)
    for assessment, ids in used_by_assessment.items():
        if len(ids) > 1:
            problems.append(
                Problem(
                    str(first_seen[ids[1]]),
                    f"assessment '{assessment}' would count {len(ids)} times ({', '.join(ids)}): "
                    "keep use: true on one and mark the relays use: false with a reason",
                    ids[1],
                    "use",
                )
            )
    return problems


def _quote_not_found(quote: str, article: str, text: str) -> str:
    message = f"quote not found verbatim in {article}"
    near = near_verbatim(quote, text)
    if near is not None:
        message += (
            f"; it differs from the article only in quotation marks, apostrophes, dashes or spacing. "
            f"Copy the article's text: {near!r}"
        )
    return message


def _figures_against_quote(claim: Claim) -> list[tuple[str, str]]:
    """A printed figure must be one the quote prints (a 100x typo is caught here); quotes without figures pass."""
    printed = figures_in(claim.quote)
    if not printed:
        return []
    shown = ", ".join(f"{f:,.10g}" for f in dict.fromkeys(printed))
    return [
        (field, f"{value:,.10g} is not a figure the quote prints (it prints {shown}); correct the figure or the quote")
        for field in ("value", "low", "high")
        if (value := getattr(claim, field)) is not None and not matches_a_figure(value, printed)
    ]


def load_evidence(seeds: Path) -> Evidence:
    """Load and validate seeds/sources.yaml, seeds/articles/*.txt and seeds/claims/*.yaml.

    All problems across all files are collected and raised together as one InputError.
    """
    problems: list[Problem] = []
    try:
        sources = load_sources(seeds / "sources.yaml")
    except InputError as exc:
        problems.extend(exc.problems)
        sources = {}
    articles, article_problems = load_articles(seeds / "articles")
    problems.extend(article_problems)
    files = sorted((seeds / "claims").glob("*.yaml"))
    if not files:
        problems.append(Problem(str(seeds / "claims"), "no claims files (*.yaml) found"))
    claims_by_file = {path: _parse_claims_file(path, problems) for path in files}
    if not problems:
        problems.extend(_cross_check(claims_by_file, sources, articles))
    if problems:
        raise InputError(problems)
    claims = tuple(c for cs in claims_by_file.values() for c in cs)
    return Evidence(sources=sources, claims=claims, articles=articles)


def relay_differences(claims: Iterable[Claim]) -> list[RelayDifference]:
    """Where a relay of an assessment changes the figure, qualifier, window or quantity of the used claim."""
    claims = list(claims)
    used = {c.assessment: c for c in claims if c.use}
    fields = ("quantity", "kind", "value", "low", "high", "qualifier", "window")
    differences = []
    for c in claims:
        reference = used.get(c.assessment)
        if reference is None or c is reference:
            continue
        for field in fields:
            a, b = getattr(reference, field), getattr(c, field)
            if field == "window":
                a, b = _window_text(a), _window_text(b)
            if a != b:
                differences.append(RelayDifference(c.assessment, reference.id, c.id, field, str(a), str(b)))
    return differences


def _window_text(window) -> str:
    start = window.start.isoformat() if window.start else "onset"
    return f"{window.kind} {start}..{window.end.isoformat()}"
