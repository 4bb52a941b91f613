"""Where the sampler's trajectories get long: the stiffest directions of a posterior, in units of its spread.

    python bench/geometry.py                the shipped case
    python bench/geometry.py 200            a synthetic case of 200 claims on 120 months (`scale.synthetic_case`)

Samples the compiled model with the model file's sampler settings (two chains), then differentiates the gradient
at the posterior mean along each unconstrained coordinate scaled by its posterior sd: the scale a diagonal mass
matrix learns. An eigenvalue far above the others is a direction the claims pin much more tightly than any one
coordinate's spread says; the step size follows the largest, and the number of steps a draw grows with its square
root. Negative eigenvalues say the mean is not a mode (a ridge that bends, or two ways to explain the claims).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scale import spec_over, synthetic_case

from reportedly.fitting.compile_cache import compile_design
from reportedly.fitting.nutpie_adapter import logp_at, nutpie_module
from reportedly.inputs.case import load_case
from reportedly.model.design import build_design

ROOT = Path(__file__).resolve().parents[1]


def stiffness(spec, design, seed: int = 1, draws: int = 500) -> dict:
    """The sampler's step size and steps a draw, and the eigenvalues and -vectors of the scaled Hessian."""
    compiled = compile_design(spec, design)
    trace = nutpie_module().sample(compiled, draws=draws, tune=spec.sampler.tune, chains=2, cores=2, seed=seed,
                                   target_accept=spec.sampler.target_accept, store_unconstrained=True,
                                   progress_bar=False)
    stats = trace.sample_stats
    unconstrained = stats["unconstrained_draw"].values.reshape(-1, compiled.n_dim)
    mean, sd = unconstrained.mean(axis=0), unconstrained.std(axis=0)
    step = 1e-5
    gradient = lambda x: logp_at(compiled, x)[1]  # noqa: E731
    hessian = np.array([gradient(mean + offset) - gradient(mean - offset) for offset in step * np.diag(sd)])
    hessian *= sd[None, :] / (2 * step)
    values, vectors = np.linalg.eigh(-(hessian + hessian.T) / 2)
    return {"step_size": float(stats["step_size"].mean()), "steps_per_draw": float(stats["n_steps"].mean()),
            "values": values, "vectors": vectors, "names": coordinate_names(compiled)}


def coordinate_names(compiled) -> list[str]:
    """Each unconstrained coordinate's variable and index, e.g. level_z[1]."""
    names = []
    for name, where, shape in zip(*compiled.shape_info):
        for k in range(where.start, min(where.stop, compiled.n_dim)):
            index = ",".join(str(int(i)) for i in np.unravel_index(k - where.start, shape)) if shape else ""
            names.append(f"{name}[{index}]")
    return names


def describe(found: dict, top: int = 5) -> str:
    """The stiffest and the most negative directions, each with the coordinates it moves most."""
    values, vectors, names = found["values"], found["vectors"], found["names"]
    positive = values[values > 0]
    lines = [f"step size {found['step_size']:.3f}, {found['steps_per_draw']:.0f} leapfrog steps a draw; largest "
             f"eigenvalue {values[-1]:.3g}, median {np.median(positive):.3g}: the step is about "
             f"{np.sqrt(values[-1] / np.median(positive)):.1f} times shorter than the typical direction wants"]
    for k in [*range(len(values) - 1, len(values) - 1 - top, -1), *range(min(top, int((values < 0).sum())))]:
        moves = np.argsort(-np.abs(vectors[:, k]))[:5]
        lines.append(f"{values[k]:9.3g}  " + ", ".join(f"{names[i]} {vectors[i, k]:+.2f}" for i in moves))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        spec = spec_over(120)
        design = synthetic_case(spec, int(sys.argv[1]), seed=1)
    else:
        case = load_case(ROOT)
        spec, design = case.spec, build_design(case)
    print(describe(stiffness(spec, design)))
