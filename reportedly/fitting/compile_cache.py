"""Compile a case's model for nutpie, and reuse the compilation in later processes.

nutpie calls a model through two C callbacks: the log density with its gradient, and the expansion of a
draw into every traced variable. nutpie's own callbacks close over per-process objects, so numba compiles
them, and through them the whole model graph, afresh in every process. Here the callbacks are plain
functions of the PyTensor-compiled graph, registered with PyTensor's numba cache under a key made of the
graph's own cache key, the callback's source and its sizes: a second process loads them from disk.

A case's model is also remembered by a key over everything it is built from (the claims' design, the
model file, this package's source, the library versions). When that key has been compiled before, the
callbacks are loaded without building the PyMC model at all; the layout nutpie needs beside them (sizes,
names, shapes, coordinates, the starting point) is stored next to PyTensor's compile cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from reportedly.model.design import CLAIM_DATA, DESIGN_DATA, Design, padded_size
from reportedly.inputs.spec import ModelSpec
from reportedly.source import source_of

LOGP_SOURCE = """
def reportedly_logp(dim, x_, out_, logp_, data_):
    if dim != N_DIM:
        return -1
    try:
        x = carray(x_, (N_DIM,))
        out = carray(out_, (N_DIM,))
        logp = carray(logp_, ())
        data = carray(data_, (N_DATA,))
        logp_val, grad = inner(x{data})
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    except Exception:
        return 1
    return 0
"""

EXPAND_SOURCE = """
def reportedly_expand(dim, expanded, x_, out_, data_):
    if dim != N_DIM or expanded != N_EXPANDED:
        return -1
    try:
        x = carray(x_, (N_DIM,))
        out = carray(out_, (N_EXPANDED,))
        data = carray(data_, (N_DATA,))
        (values,) = inner(x{data})
        out[...] = values
    except Exception:
        return -2
    return 0
"""

LIBRARIES = ("pymc", "pytensor", "numba", "nutpie", "numpy")
# The code a compiled model is made of: the model and its time axis, and the callbacks around it here.
COMPILED_FROM = ("model", "timeaxis.py", "fitting")
log = logging.getLogger(__name__)


# Rows of claims and sources a model is compiled for come in blocks (see `padded_size`).
CLAIM_BLOCK, SOURCE_BLOCK = 16, 4


@dataclass(frozen=True)
class Layout:
    """What nutpie needs besides the two callbacks, and the callbacks' cache keys."""

    n_dim: int
    n_expanded: int
    n_data: int                 # length of the packed design the callbacks read (see `pack`)
    names: list[str]
    slices: list[tuple[int, int]]
    shapes: list[list[int]]
    dims: dict[str, list[str]]
    coords: dict[str, list]
    reparameterized: list[str]
    start: list[float]          # the unconstrained starting point before jitter
    logp_data: list[str]        # the design's arrays each compiled function takes, in its order
    expand_data: list[str]
    logp_key: str
    expand_key: str


def compile_design(spec: ModelSpec, design: Design):
    """The compiled nutpie model for these claims under this model file, always as loaded from the cache.

    The claims are data of the compiled model, which has room for some more claims and sources than
    `design` has: editing, adding or leaving out claims within that room reuses it (see `with_design`).
    A model not yet cached is built, compiled and cached by a child process, then loaded here like any
    cached one: numba's fresh and cached machine code differ in floating point, and a seed must give the
    same draws whether or not this process compiled the model. Only if the child cannot cache it is it
    compiled here.
    """
    padded = design.padded(padded_size(len(design.claim_ids), CLAIM_BLOCK), padded_size(len(design.sources), SOURCE_BLOCK))
    return with_design(_compile_padded(spec, padded), design)


def _compile_padded(spec: ModelSpec, padded: Design):
    if not private_api_available():
        from reportedly.model.builder import build_model

        log.warning("nutpie %s lacks the functions the compile cache calls (_make_functions, "
                    "_prepare_dims_and_coords); compiling with nutpie's public path, without the cache",
                    importlib.metadata.version("nutpie"))
        return nutpie_module().compile_pymc_model(build_model(spec, padded, as_data=True))
    key = model_key(spec, padded)
    compiled = _load_cached(key)
    if compiled is None:
        _compile_in_child(spec, padded, key)
        compiled = _load_cached(key)
    if compiled is None:
        from reportedly.model.builder import build_model

        log.info("the compiled model could not be cached; compiling it in this process")
        compiled, layout = _compile(build_model(spec, padded, as_data=True))
        if layout is not None:
            _write_layout(key, layout)
    return compiled


def with_design(compiled, design: Design):
    """`compiled` fitting the claims of `design`, which must fit the claims and sources it was compiled for."""
    padded = design.padded(len(compiled.coords["claim"]), len(compiled.coords["source"]))
    if compiled.shared_var_keys:  # compiled by nutpie's public path
        compiled = compiled.with_data(**{name: np.asarray(getattr(padded, name), dtype=float) for name in DESIGN_DATA})
    else:
        compiled = dataclasses.replace(compiled, user_data=pack(padded))
    return dataclasses.replace(compiled, _coords={**compiled.coords, "claim": padded.claim_ids, "source": padded.sources})


def pack(padded: Design) -> np.ndarray:
    """The design's arrays end to end, as the callbacks read them (see `data_slices`)."""
    return np.ascontiguousarray(np.concatenate([np.asarray(getattr(padded, name), dtype=float) for name in DESIGN_DATA]))


def data_slices(n_claims: int, n_sources: int) -> dict[str, tuple[int, int]]:
    """Where each of the design's arrays lies in the packed design."""
    slices, start = {}, 0
    for name in DESIGN_DATA:
        stop = start + (n_claims if name in CLAIM_DATA else n_sources)
        slices[name], start = (start, stop), stop
    return slices


def private_api_available() -> bool:
    """Whether nutpie still has the private functions, with the arguments, that the compile cache calls
    (they are pinned with nutpie in requirements.lock; a newer nutpie falls back to its public path)."""
    import inspect

    nutpie_pymc = nutpie_module().compile_pymc

    make, prepare = (getattr(nutpie_pymc, name, None) for name in ("_make_functions", "_prepare_dims_and_coords"))
    if make is None or prepare is None:
        return False
    wanted = {"mode", "compute_grad", "join_expanded", "pymc_initial_point_fn"}
    return wanted <= set(inspect.signature(make).parameters)


def _load_cached(key: str):
    layout = _read_layout(key)
    compiled = _load(layout) if layout is not None else None
    if compiled is not None:
        log.info("compiled model loaded from the cache (%s)", key[:12])
    return compiled


def _compile_in_child(spec: ModelSpec, padded: Design, key: str) -> None:
    """Build, compile and cache the model in a separate process (see `compile_design`)."""
    with tempfile.TemporaryDirectory(prefix="reportedly-compile-") as folder:
        job = Path(folder) / "job.pickle"
        job.write_bytes(pickle.dumps((spec, padded, key)))
        done = subprocess.run([sys.executable, "-m", __name__, str(job)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log.info("compiling in a child process failed (exit %s): %s", done.returncode, done.stderr[-2000:])


def _compile_and_cache(job: Path) -> None:
    from reportedly.model.builder import build_model

    spec, padded, key = pickle.loads(job.read_bytes())
    _, layout = _compile(build_model(spec, padded, as_data=True))
    if layout is not None:
        _write_layout(key, layout)


def logp_at(compiled, x: np.ndarray) -> tuple[float, np.ndarray]:
    """The log density and its gradient at the unconstrained point `x`, called as nutpie calls them."""
    import ctypes

    x = np.ascontiguousarray(x, dtype=np.float64)
    grad, logp = np.empty_like(x), np.empty(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    compiled.compiled_logp_func.ctypes(x.size, x.ctypes.data_as(pointer), grad.ctypes.data_as(pointer),
                                       logp.ctypes.data_as(pointer), ctypes.cast(compiled.user_data.ctypes.data, pointer))
    return float(logp[0]), grad


def model_key(spec: ModelSpec, padded: Design) -> str:
    """A hash of everything the compiled model depends on: the model file (but not its sampler settings,
    headlines, forecast horizon, reading of qualifiers or words for quantities), the sizes of the padded
    design, the source of the code the compiled model is made of (COMPILED_FROM) and the library versions. The claims
    themselves are data, not part of it."""
    digest = hashlib.sha256(source_of(*COMPILED_FROM))
    excluded = {"sampler": True, "headlines": True, "qualifiers": True, "time": {"horizon"},
                "flows": {"__all__": {"words"}}, "links": {"__all__": {"words"}}}
    digest.update(spec.model_dump_json(exclude=excluded).encode())
    digest.update(json.dumps([padded.quantities, padded.ratios, len(padded.claim_ids), len(padded.sources)]).encode())
    digest.update(json.dumps([sys.version, *(importlib.metadata.version(lib) for lib in LIBRARIES)]).encode())
    return digest.hexdigest()


def _compile(model):
    """Compile `model` (claims as `pm.Data`): the nutpie model and, when PyTensor can cache the graph, its layout."""
    nutpie_pymc = nutpie_module().compile_pymc
    from pymc.model.transform.optimization import freeze_dims_and_data

    model = freeze_dims_and_data(model, data=[])
    start = model.initial_point()
    n_dim, n_expanded, logp_fn, expand_fn, _, shape_info, reparameterized = nutpie_pymc._make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=True, pymc_initial_point_fn=lambda seed: start)
    logp_data, expand_data = ([v.name for v in fn.get_shared()] for fn in (logp_fn, expand_fn))
    if not set(logp_data + expand_data) <= set(DESIGN_DATA):
        raise ValueError(f"the model has shared variables other than the design's: {logp_data + expand_data}")
    names, slices, shapes = shape_info
    dims, coords = nutpie_pymc._prepare_dims_and_coords(model, shape_info, reparameterized)
    slots = data_slices(len(model.coords["claim"]), len(model.coords["source"]))
    n_data = max(stop for _, stop in slots.values())
    logp_source, expand_source = callback_sources(slots, logp_data, expand_data)
    logp_key = _callback_key(logp_source, logp_fn, N_DIM=n_dim, N_DATA=n_data)
    expand_key = _callback_key(expand_source, expand_fn, N_DIM=n_dim, N_EXPANDED=n_expanded, N_DATA=n_data)
    layout = Layout(
        n_dim=int(n_dim), n_expanded=int(n_expanded), n_data=n_data, names=list(names),
        slices=[(int(s.start), int(s.stop)) for s in slices], shapes=[[int(n) for n in shape] for shape in shapes],
        dims={k: list(v) for k, v in dims.items()},
        coords={k: [v.item() if isinstance(v, np.generic) else v for v in values] for k, values in coords.items()},
        reparameterized=list(reparameterized),
        start=np.concatenate([np.ravel(start[name]) for name in names[:len(model.free_RVs)]]).tolist(),
        logp_data=logp_data, expand_data=expand_data,
        logp_key=logp_key or "", expand_key=expand_key or "",
    )
    compiled = _assemble(
        layout,
        _callback(logp_source, logp_key, inner=logp_fn.vm.jit_fn, N_DIM=n_dim, N_DATA=n_data),
        _callback(expand_source, expand_key, inner=expand_fn.vm.jit_fn, N_DIM=n_dim, N_EXPANDED=n_expanded, N_DATA=n_data),
    )
    return compiled, (layout if logp_key and expand_key else None)


def _load(layout: Layout):
    """The nutpie model from cached callbacks alone; None if numba's cache no longer holds them."""
    from numba.core.errors import TypingError

    slots = data_slices(len(layout.coords["claim"]), len(layout.coords["source"]))
    logp_source, expand_source = callback_sources(slots, layout.logp_data, layout.expand_data)
    try:
        logp = _callback(logp_source, layout.logp_key, N_DIM=layout.n_dim, N_DATA=layout.n_data)
        expand = _callback(expand_source, layout.expand_key, N_DIM=layout.n_dim, N_EXPANDED=layout.n_expanded,
                           N_DATA=layout.n_data)
    except TypingError:  # not in the cache: numba tried to compile, and the graph ("inner") is not there
        return None
    return _assemble(layout, logp, expand)


def _assemble(layout: Layout, logp, expand):
    nutpie_pymc = nutpie_module().compile_pymc

    start = np.asarray(layout.start)

    def initial_point(seed):
        """The model's starting point, jittered by U(-1, 1) in every unconstrained coordinate (as PyMC does)."""
        return start + np.random.default_rng(seed).uniform(-1.0, 1.0, start.size)

    shape_info = (layout.names, [slice(*s) for s in layout.slices], [tuple(s) for s in layout.shapes])
    return nutpie_pymc.CompiledPyMCModel(
        _n_dim=layout.n_dim,
        dims={k: tuple(v) for k, v in layout.dims.items()},
        _coords=layout.coords,
        _shapes={name: tuple(shape) for name, shape in zip(layout.names, layout.shapes)},
        compiled_logp_func=logp,
        compiled_expand_func=expand,
        initial_point_func=initial_point,
        shared_data={},
        shared_var_keys={},
        user_data=np.zeros(layout.n_data),
        n_expanded=layout.n_expanded,
        shape_info=shape_info,
        logp_func=None,
        expand_func=None,
        reparameterized_names=layout.reparameterized,
    )


def callback_sources(slots: dict[str, tuple[int, int]], logp_data: list[str], expand_data: list[str]) -> tuple[str, str]:
    """The two callbacks' source, each passing its compiled function the slices of the packed design it takes."""
    def arguments(used: list[str]) -> str:
        return "".join(f", data[{slots[name][0]}:{slots[name][1]}]" for name in used)

    return LOGP_SOURCE.replace("{data}", arguments(logp_data)), EXPAND_SOURCE.replace("{data}", arguments(expand_data))


def _callback_key(source: str, function, **sizes: int) -> str | None:
    """The cache key of a callback around a compiled PyTensor function; None if PyTensor gave the graph none."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    graph_key = CACHED_SRC_FUNCTIONS.get(function.vm.jit_fn.py_func)
    if graph_key is None:
        return None
    return "_".join([hashlib.sha256(source.encode()).hexdigest()[:16], graph_key,
                     *(f"{k}{v}" for k, v in sorted(sizes.items()))])


def _callback(source: str, key: str | None, inner=None, **sizes: int):
    """The numba C callback from `source`, cached under `key` (compiled around `inner` on a cache miss).
    Its last argument is the packed design, where nutpie passes its user data."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    size, double = numba.types.uint64, numba.types.CPointer(numba.types.double)
    signature = (numba.types.int64(size, double, double, double, double) if "N_EXPANDED" not in sizes
                 else numba.types.int64(size, size, double, double, double))
    name = source.split("def ", 1)[1].split("(", 1)[0]
    env = {"__name__": __name__, "carray": numba.carray, "np": np, **sizes}
    if inner is not None:
        env["inner"] = inner
    function = compile_numba_function_src(source, name, global_env=env, cache_key=key)
    return numba.cfunc(signature, cache=key is not None)(function)


def _cache_folder() -> Path:
    from pytensor import config

    return Path(config.base_compiledir) / "reportedly"


def _read_layout(key: str) -> Layout | None:
    try:
        return Layout(**json.loads((_cache_folder() / f"{key}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _write_layout(key: str, layout: Layout) -> None:
    """Best effort and atomic: a cache that cannot be written only costs the next run its compile time."""
    folder = _cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{key}.", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(asdict(layout), out)
        os.replace(temporary, folder / f"{key}.json")
    except OSError:
        pass


def nutpie_module():
    """nutpie, imported without importing ArviZ, which it imports at start-up but needs only to convert a trace
    (`wait_for` converts it instead): until something asks ArviZ for a name, "arviz" is a stand-in that imports
    the real package then and hands over to it, which spares a fit over a second of start-up. Its module
    attributes (__file__, __spec__, ...) are the real package's, so that tools that look over every module do not
    import it by looking."""
    if "arviz" not in sys.modules and (found := importlib.util.find_spec("arviz")) is not None:
        stand_in = types.ModuleType("arviz")
        stand_in.__spec__, stand_in.__file__ = found, found.origin
        stand_in.__path__ = list(found.submodule_search_locations or [])

        def __getattr__(name: str):
            if name.startswith("__"):
                raise AttributeError(name)
            if sys.modules.get("arviz") is stand_in:
                del sys.modules["arviz"]
            return getattr(importlib.import_module("arviz"), name)

        stand_in.__getattr__ = __getattr__
        sys.modules["arviz"] = stand_in
    import nutpie

    return nutpie


@dataclass
class Run:
    """A nutpie run in the background, and how many draws each chain has finished (tuning included)."""

    sampler: object
    tune: int
    finished: list[int]


def start_run(compiled, sampler, seed: int, progress: bool) -> Run:
    """Start sampling; every chain runs at once (one thread each), so that all reach a number of draws together."""
    nutpie = nutpie_module()
    run = Run(None, sampler.tune, [0] * sampler.chains)

    def record(chains) -> None:
        run.finished = [chain.finished_draws for chain in chains]

    run.sampler = nutpie.sample(
        compiled, draws=sampler.draws, tune=sampler.tune, chains=sampler.chains, cores=sampler.chains, seed=seed,
        target_accept=sampler.target_accept, adaptation=sampler.adaptation, progress_bar=progress,
        blocking=False, return_raw_trace=True, progress_callback=record, progress_rate=50)
    return run


def wait_for(run: Run, draws: int | None) -> tuple[dict, dict]:
    """The posterior and sampler statistics of each chain's first `draws` draws after tuning (all, with None),
    as {name: (dims, array (chain, draw, ...))}; waits until every chain has them."""
    if draws is None:
        raw = run.sampler.wait()
    else:
        while min(run.finished) < run.tune + draws and not _finished(run):
            time.sleep(0.02)
        raw = run.sampler.inspect()
    return _arrays(raw, run.tune, draws)


def _finished(run: Run) -> bool:
    try:
        return run.sampler.is_finished
    except TimeoutError:   # nutpie's answer while chains still run
        return False


def cancel(run: Run) -> None:
    run.sampler.cancel()


# Sampler statistics kept from each draw.
STATS = ("diverging", "n_steps", "step_size", "depth", "energy", "mean_tree_accept")


def _arrays(raw, tune: int, draws: int | None) -> tuple[dict, dict]:
    import pyarrow

    draw_batches, stat_batches = raw.get_arrow_trace()
    n = min(batch.num_rows for batch in draw_batches) - tune if draws is None else draws

    def stacked(batches, names) -> dict:
        out = {}
        for name in names:
            field = batches[0].column(name).field
            meta = field.metadata or {}
            shape = [int(x) for x in meta.get(b"shape", b"").decode().split(",") if x]
            dims = [x for x in meta.get(b"dims", b"").decode().split(",") if x]
            chains = []
            for batch in batches:
                column = pyarrow.array(batch.column(name).slice(tune, n))
                values = column.flatten() if hasattr(column, "flatten") else column
                chains.append(values.to_numpy(zero_copy_only=False).reshape((n, *shape)))
            out[name] = (("chain", "draw", *dims), np.stack(chains))
        return out

    reparameterized = set(raw_names_to_skip(draw_batches[0].column_names))
    posterior = stacked(draw_batches, [c for c in draw_batches[0].column_names if c not in reparameterized])
    return posterior, stacked(stat_batches, [c for c in STATS if c in stat_batches[0].column_names])


def raw_names_to_skip(names) -> list[str]:
    """The unconstrained values nutpie stores beside each variable (PyMC's transformed names end in '__')."""
    return [name for name in names if name.endswith("__")]


if __name__ == "__main__":
    _compile_and_cache(Path(sys.argv[1]))
