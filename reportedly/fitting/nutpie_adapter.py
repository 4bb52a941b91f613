"""Everything this package takes from nutpie's and PyTensor's insides, in one place, behind one fallback.

What is private, pinned with the libraries in requirements.lock: nutpie's `_make_functions` and
`_prepare_dims_and_coords` and the fields of its `CompiledPyMCModel`; the ABI of the two C callbacks nutpie calls
(the log density with its gradient, and the expansion of a draw); PyTensor's numba cache (`CACHED_SRC_FUNCTIONS`,
`compile_numba_function_src`); and nutpie's raw trace (Arrow columns whose metadata give each variable's shape and
dims). `private_path_works` checks each of them before use; when any has changed, `compile_model` and `run` take
nutpie's public path instead (no compile cache, a fixed number of draws) and say so once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
import time
import types
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

# What the private path needs of each library, as checked by `private_path_works`.
MAKE_FUNCTIONS_ARGUMENTS = {"mode", "compute_grad", "join_expanded", "pymc_initial_point_fn"}
COMPILED_MODEL_FIELDS = {
    "_n_dim",
    "dims",
    "_coords",
    "_shapes",
    "compiled_logp_func",
    "compiled_expand_func",
    "initial_point_func",
    "shared_data",
    "shared_var_keys",
    "user_data",
    "n_expanded",
    "shape_info",
    "logp_func",
    "expand_func",
    "reparameterized_names",
}
# Sampler statistics kept from each draw.
STATS = ("diverging", "n_steps", "step_size", "depth", "energy", "mean_tree_accept")

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


def nutpie_module():
    """nutpie, imported without importing ArviZ, which it imports at start-up but needs only to convert a trace
    (`Run.draws` converts it instead): until something asks ArviZ for a name, "arviz" is a stand-in that imports
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


def private_path_works() -> bool:
    """Whether nutpie and PyTensor still have, with the same shapes, everything this module takes from their insides."""
    try:
        nutpie_pymc = nutpie_module().compile_pymc
        from pytensor.link.numba import cache

        fields = {field.name for field in dataclasses.fields(nutpie_pymc.CompiledPyMCModel)}
        return (
            MAKE_FUNCTIONS_ARGUMENTS <= set(inspect.signature(nutpie_pymc._make_functions).parameters)
            and callable(nutpie_pymc._prepare_dims_and_coords)
            and COMPILED_MODEL_FIELDS <= fields
            and callable(cache.CACHED_SRC_FUNCTIONS.get)
            and callable(cache.compile_numba_function_src)
        )
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


def warn_public_path(what: str) -> None:
    """Say, once per use, that nutpie's public path is taken and why."""
    log.warning(
        "nutpie %s or pytensor %s no longer has what %s takes from its insides; using nutpie's public path",
        importlib.metadata.version("nutpie"),
        importlib.metadata.version("pytensor"),
        what,
    )


@dataclass(frozen=True)
class Functions:
    """A model compiled by PyTensor the way nutpie calls it, and what nutpie needs to know beside it."""

    n_dim: int
    n_expanded: int
    logp: object  # PyTensor functions: (x, *data) -> (logp, gradient); (x, *data) -> (expanded,)
    expand: object
    names: list[str]
    slices: list[tuple[int, int]]
    shapes: list[list[int]]
    dims: dict[str, list[str]]
    coords: dict[str, list]
    reparameterized: list[str]
    start: list[float]  # the unconstrained starting point before jitter
    logp_data: list[str]  # the shared (data) variables each function takes, in its order
    expand_data: list[str]


def make_functions(model) -> Functions:
    """Compile `model`'s log density with its gradient, and the expansion of a draw, with numba."""
    nutpie_pymc = nutpie_module().compile_pymc
    from pymc.model.transform.optimization import freeze_dims_and_data

    model = freeze_dims_and_data(model, data=[])
    start = model.initial_point()
    n_dim, n_expanded, logp_fn, expand_fn, _, shape_info, reparameterized = nutpie_pymc._make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=True, pymc_initial_point_fn=lambda seed: start
    )
    names, slices, shapes = shape_info
    dims, coords = nutpie_pymc._prepare_dims_and_coords(model, shape_info, reparameterized)
    return Functions(
        n_dim=int(n_dim),
        n_expanded=int(n_expanded),
        logp=logp_fn,
        expand=expand_fn,
        names=list(names),
        slices=[(int(s.start), int(s.stop)) for s in slices],
        shapes=[[int(n) for n in shape] for shape in shapes],
        dims={k: list(v) for k, v in dims.items()},
        coords={k: [v.item() if isinstance(v, np.generic) else v for v in values] for k, values in coords.items()},
        reparameterized=list(reparameterized),
        start=np.concatenate([np.ravel(start[name]) for name in names[: len(model.free_RVs)]]).tolist(),
        logp_data=[v.name for v in logp_fn.get_shared()],
        expand_data=[v.name for v in expand_fn.get_shared()],
    )


def callback_sources(
    slots: dict[str, tuple[int, int, tuple[int, ...]]], logp_data: list[str], expand_data: list[str]
) -> tuple[str, str]:
    """The two callbacks' source, each passing its compiled function the slices of the packed data it takes (in
    their shapes)."""

    def argument(start: int, stop: int, shape: tuple[int, ...]) -> str:
        return f", data[{start}:{stop}]" + (f".reshape({shape})" if len(shape) > 1 else "")

    def arguments(used: list[str]) -> str:
        return "".join(argument(*slots[name]) for name in used)

    return LOGP_SOURCE.replace("{data}", arguments(logp_data)), EXPAND_SOURCE.replace("{data}", arguments(expand_data))


def callback_key(source: str, function, **sizes: int) -> str | None:
    """The cache key of a callback around a compiled PyTensor function; None if PyTensor gave the graph none."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    graph_key = CACHED_SRC_FUNCTIONS.get(function.vm.jit_fn.py_func)
    if graph_key is None:
        return None
    return "_".join(
        [hashlib.sha256(source.encode()).hexdigest()[:16], graph_key, *(f"{k}{v}" for k, v in sorted(sizes.items()))]
    )


def callback(source: str, key: str | None, inner=None, **sizes: int):
    """The numba C callback from `source`, cached under `key` (compiled around the PyTensor function `inner` on a
    cache miss; without `inner`, numba's TypingError says the cache did not hold it). Its last argument is the
    packed data, where nutpie passes its user data."""
    import numba
    from pytensor.link.numba.cache import compile_numba_function_src

    size, double = numba.types.uint64, numba.types.CPointer(numba.types.double)
    signature = (
        numba.types.int64(size, double, double, double, double)
        if "N_EXPANDED" not in sizes
        else numba.types.int64(size, size, double, double, double)
    )
    name = source.split("def ", 1)[1].split("(", 1)[0]
    env = {"__name__": __name__, "carray": numba.carray, "np": np, **sizes}
    if inner is not None:
        env["inner"] = inner.vm.jit_fn
    function = compile_numba_function_src(source, name, global_env=env, cache_key=key)
    return numba.cfunc(signature, cache=key is not None)(function)


def assemble(functions: Functions, logp, expand, n_data: int):
    """Nutpie's model from the two callbacks and what `functions` knows of the model."""
    nutpie_pymc = nutpie_module().compile_pymc
    start = np.asarray(functions.start)

    def initial_point(seed):
        """The model's starting point, jittered by U(-1, 1) in every unconstrained coordinate (as PyMC does)."""
        return start + np.random.default_rng(seed).uniform(-1.0, 1.0, start.size)

    shape_info = (functions.names, [slice(*s) for s in functions.slices], [tuple(s) for s in functions.shapes])
    return nutpie_pymc.CompiledPyMCModel(
        _n_dim=functions.n_dim,
        dims={k: tuple(v) for k, v in functions.dims.items()},
        _coords=functions.coords,
        _shapes={name: tuple(shape) for name, shape in zip(functions.names, functions.shapes)},
        compiled_logp_func=logp,
        compiled_expand_func=expand,
        initial_point_func=initial_point,
        shared_data={},
        shared_var_keys={},
        user_data=np.zeros(n_data),
        n_expanded=functions.n_expanded,
        shape_info=shape_info,
        logp_func=None,
        expand_func=None,
        reparameterized_names=functions.reparameterized,
    )


def public_compile(model):
    """Nutpie's public path: the model compiled in this process, its data as shared variables."""
    return nutpie_module().compile_pymc_model(model)


def with_data(compiled, packed: np.ndarray, data: dict[str, np.ndarray], coords: dict):
    """`compiled` reading other data (`packed` for the private path's callbacks; `data` by name for the public
    path's shared variables), with other coordinates."""
    shared = {var.name for var in compiled.shared_var_keys}   # the design's arrays the model's graph reads
    compiled = (
        compiled.with_data(**{name: values for name, values in data.items() if name in shared})
        if shared else dataclasses.replace(compiled, user_data=packed)
    )
    return dataclasses.replace(compiled, _coords={**compiled.coords, **coords})


def logp_at(compiled, x: np.ndarray) -> tuple[float, np.ndarray]:
    """The log density and its gradient at the unconstrained point `x`, called as nutpie calls them."""
    import ctypes

    x = np.ascontiguousarray(x, dtype=np.float64)
    grad, logp = np.empty_like(x), np.empty(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    compiled.compiled_logp_func.ctypes(
        x.size,
        x.ctypes.data_as(pointer),
        grad.ctypes.data_as(pointer),
        logp.ctypes.data_as(pointer),
        ctypes.cast(compiled.user_data.ctypes.data, pointer),
    )
    return float(logp[0]), grad


@dataclass
class Run:
    """A nutpie run in the background, and how many draws each chain has finished (tuning included)."""

    sampler: object
    tune: int
    finished: list[int]
    public: object | None = None  # the finished trace (a DataTree), when nutpie's public path sampled

    def draws(self, n: int | None) -> tuple[dict, dict]:
        """The posterior and sampler statistics of each chain's first `n` draws after tuning (all, with None), as
        {name: (dims, array (chain, draw, ...))}; waits until every chain has them."""
        if self.public is not None:
            return _public_arrays(self.public, n)
        if n is None:
            return _arrays(self.sampler.wait(), self.tune, None)
        while min(self.finished) < self.tune + n and not self._finished():
            time.sleep(0.02)
        return _arrays(self.sampler.inspect(), self.tune, n)

    def _finished(self) -> bool:
        try:
            return self.sampler.is_finished
        except TimeoutError:  # nutpie's answer while chains still run
            return False

    def cancel(self) -> None:
        """Stop sampling and drop what was drawn."""
        if self.public is None:
            self.sampler.cancel()


def run(compiled, sampler, seed: int, progress: bool, private: bool = True) -> Run:
    """Start sampling in the background; every chain runs at once (a thread each), so that all reach a number of
    draws together. Without `private` (or if the private path no longer works), nutpie's public path samples
    every draw before this returns."""
    nutpie = nutpie_module()
    settings = dict(
        draws=sampler.draws,
        tune=sampler.tune,
        chains=sampler.chains,
        cores=sampler.chains,
        seed=seed,
        target_accept=sampler.target_accept,
        adaptation=sampler.adaptation,
        progress_bar=progress,
    )
    if not (private and private_path_works()):
        return Run(None, sampler.tune, [], public=nutpie.sample(compiled, **settings))
    handle = Run(None, sampler.tune, [0] * sampler.chains)

    def record(chains) -> None:
        handle.finished = [chain.finished_draws for chain in chains]

    handle.sampler = nutpie.sample(
        compiled, **settings, blocking=False, return_raw_trace=True, progress_callback=record, progress_rate=50
    )
    return handle


def _arrays(raw, tune: int, n: int | None) -> tuple[dict, dict]:
    """The draws after tuning of nutpie's raw trace, from its Arrow columns and their metadata."""
    import pyarrow

    draw_batches, stat_batches = raw.get_arrow_trace()
    n = min(batch.num_rows for batch in draw_batches) - tune if n is None else n

    def stacked(batches, names) -> dict:
        out = {}
        for name in names:
            meta = batches[0].column(name).field.metadata or {}
            shape = [int(x) for x in meta.get(b"shape", b"").decode().split(",") if x]
            dims = [x for x in meta.get(b"dims", b"").decode().split(",") if x]
            chains = []
            for batch in batches:
                column = pyarrow.array(batch.column(name).slice(tune, n))
                values = column.flatten() if hasattr(column, "flatten") else column
                chains.append(values.to_numpy(zero_copy_only=False).reshape((n, *shape)))
            out[name] = (("chain", "draw", *dims), np.stack(chains))
        return out

    names = [name for name in draw_batches[0].column_names if not name.endswith("__")]  # not the unconstrained values
    return stacked(draw_batches, names), stacked(stat_batches, [s for s in STATS if s in stat_batches[0].column_names])


def _public_arrays(tree, n: int | None) -> tuple[dict, dict]:
    def arrays(dataset, names) -> dict:
        return {name: (dataset[name].dims, dataset[name].values[:, :n]) for name in names if name in dataset}

    posterior, stats = tree["posterior"].to_dataset(), tree["sample_stats"].to_dataset()
    return arrays(posterior, list(posterior.data_vars)), arrays(stats, STATS)
