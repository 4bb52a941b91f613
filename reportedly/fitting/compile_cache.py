"""Compile a case's model for nutpie once, and reuse the compilation in later processes.

nutpie calls a model through two C callbacks: the log density with its gradient, and the expansion of a
draw into every traced variable. nutpie's own callbacks close over per-process objects, so numba compiles
them, and through them the whole model graph, afresh in every process. Here the callbacks are plain
functions of the PyTensor-compiled graph, registered with PyTensor's numba cache under a key made of the
graph's own cache key, the callback's source and its sizes: a second process loads them from disk
(`nutpie_adapter` holds how).

A case's model is also remembered by a key over everything it is built from (the model file, the room it has for
claims and sources, the code it is made of, the library versions). When that key has been compiled before, the
callbacks are loaded without building the PyMC model at all; the layout nutpie needs beside them (sizes,
names, shapes, coordinates, the starting point) is stored next to PyTensor's compile cache.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.metadata
import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from reportedly.errors import ReportedlyError
from reportedly.files import atomic_write
from reportedly.fitting import nutpie_adapter as adapter
from reportedly.inputs.spec import ModelSpec
from reportedly.locks import exclusive
from reportedly.model.design import CLAIM_DATA, DESIGN_DATA, NODE_DATA, Design, padded_size
from reportedly.model.timing import NODES
from reportedly.source import source_of

LIBRARIES = ("pymc", "pytensor", "numba", "nutpie", "numpy")
# The code a compiled model is made of: the model and its time axis, and the callbacks around it.
COMPILED_FROM = ("model", "timeaxis.py", "fitting/compile_cache.py", "fitting/nutpie_adapter.py")
# nutpie's two callbacks (`nutpie_adapter`): the log density with its gradient, and the expansion of a draw.
CALLBACKS = ("logp", "expand")
# Rows of claims and sources a model is compiled for come in blocks (see `padded_size`).
CLAIM_BLOCK, SOURCE_BLOCK = 16, 4
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Layout:
    """What nutpie needs besides the two callbacks (see `nutpie_adapter.Functions`), and the callbacks' cache keys."""

    functions: dict             # the fields of nutpie_adapter.Functions but the two PyTensor functions
    n_data: int                 # length of the packed design the callbacks read (see `pack`)
    logp_key: str
    expand_key: str


def compile_design(spec: ModelSpec, design: Design):
    """The compiled nutpie model for these claims under this model file, always as loaded from the cache.

    The claims are data of the compiled model, which has room for some more claims and sources than
    `design` has: editing, adding or leaving out claims within that room reuses it (see `with_design`).
    A model not yet cached is built, compiled and cached by two child processes (one callback each, at once),
    then loaded here like any cached one: numba's fresh and cached machine code differ in floating point, and a
    seed must give the same draws whether or not this process compiled the model. Only if the children cannot
    cache it is it compiled here.
    """
    padded = design.padded(
        padded_size(len(design.claim_ids), CLAIM_BLOCK), padded_size(len(design.sources), SOURCE_BLOCK)
    )
    return with_design(_compile_padded(spec, padded), design)


def _compile_padded(spec: ModelSpec, padded: Design):
    if not adapter.private_path_works():
        adapter.warn_public_path("the compile cache")
        return adapter.public_compile(_built(spec, padded))
    key = model_key(spec, padded)
    compiled = _load_cached(key)
    if compiled is None:   # a second process compiling the same model waits for the first, then loads it
        with exclusive(_cache_folder() / key, "compile", wait=True):
            compiled = _load_cached(key)
            if compiled is None:
                _compile_in_child(spec, padded, key)
                compiled = _load_cached(key)
    if compiled is None:
        log.info("the compiled model could not be cached; compiling it in this process")
        compiled, layout = _compile(_built(spec, padded))
        if layout is not None:
            _write_layout(key, layout)
    return compiled


def _built(spec: ModelSpec, padded: Design):
    """The PyMC model, its claims as data. Only compiling needs PyMC (over a second to import): a cached model loads
    without it."""
    from reportedly.model.builder import build_model

    return build_model(spec, padded, as_data=True)


def with_design(compiled, design: Design):
    """`compiled` fitting the claims of `design`, which must fit the claims and sources it was compiled for."""
    padded = design.padded(len(compiled.coords["claim"]), len(compiled.coords["source"]))
    data = {name: np.asarray(getattr(padded, name), dtype=float) for name in DESIGN_DATA}
    return adapter.with_data(compiled, pack(padded), data, {"claim": padded.claim_ids, "source": padded.sources})


def pack(padded: Design) -> np.ndarray:
    """The design's arrays end to end, as the callbacks read them (see `data_slices`)."""
    return np.ascontiguousarray(
        np.concatenate([np.asarray(getattr(padded, name), dtype=float).ravel() for name in DESIGN_DATA])
    )


def data_slices(n_claims: int, n_sources: int) -> dict[str, tuple[int, int, tuple[int, ...]]]:
    """Where each of the design's arrays lies in the packed design, and its shape."""
    slices, start = {}, 0
    for name in DESIGN_DATA:
        shape = (n_claims, NODES) if name in NODE_DATA else (n_claims,) if name in CLAIM_DATA else (n_sources,)
        stop = start + int(np.prod(shape))
        slices[name], start = (start, stop, shape), stop
    return slices


def model_key(spec: ModelSpec, padded: Design) -> str:
    """A hash of everything the compiled model depends on: the model file (but not its sampler settings,
    headlines, forecast horizon, reading of qualifiers or words for quantities), the sizes of the padded
    design, the source of the code the compiled model is made of (COMPILED_FROM) and the library versions. The
    claims themselves are data, not part of it."""
    digest = hashlib.sha256(source_of(*COMPILED_FROM))
    excluded = {
        "sampler": True,
        "headlines": True,
        "qualifiers": True,
        "time": {"horizon"},
        "flows": {"__all__": {"words"}},
        "links": {"__all__": {"words"}},
    }
    digest.update(spec.model_dump_json(exclude=excluded).encode())
    digest.update(json.dumps([padded.quantities, padded.ratios, len(padded.claim_ids), len(padded.sources)]).encode())
    digest.update(json.dumps([sys.version, *(importlib.metadata.version(lib) for lib in LIBRARIES)]).encode())
    return digest.hexdigest()


def _compile(model, only: str | None = None) -> tuple[object, Layout | None]:
    """Compile `model` (claims as `pm.Data`): the nutpie model and, when PyTensor can cache the graph, its layout.
    With `only` (one of CALLBACKS), compile and cache that callback alone: no model, the layout all the same."""
    functions = adapter.make_functions(model)
    if not set(functions.logp_data + functions.expand_data) <= set(DESIGN_DATA):
        raise ValueError(
            f"the model has shared variables other than the design's: {functions.logp_data + functions.expand_data}"
        )
    sources, sizes = _callback_parts(functions)
    keys = {name: adapter.callback_key(sources[name], getattr(functions, name), **sizes[name]) for name in CALLBACKS}
    n_data = sizes["logp"]["N_DATA"]
    kept = {k: v for k, v in asdict(functions).items() if k not in CALLBACKS}
    layout = Layout(kept, n_data, keys["logp"], keys["expand"]) if all(keys.values()) else None
    compiled = {name: adapter.callback(sources[name], keys[name], inner=getattr(functions, name), **sizes[name])
                for name in CALLBACKS if only in (None, name)}
    return (None if only else adapter.assemble(functions, compiled["logp"], compiled["expand"], n_data)), layout


def _callback_parts(functions: adapter.Functions) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Each callback's source and sizes (by CALLBACKS' names), from the model's functions and the design's room."""
    slots = data_slices(len(functions.coords["claim"]), len(functions.coords["source"]))
    sizes = {"N_DIM": functions.n_dim, "N_DATA": max(stop for _, stop, _ in slots.values())}
    logp_source, expand_source = adapter.callback_sources(slots, functions.logp_data, functions.expand_data)
    return ({"logp": logp_source, "expand": expand_source},
            {"logp": sizes, "expand": {**sizes, "N_EXPANDED": functions.n_expanded}})


def _load(layout: Layout):
    """The nutpie model from cached callbacks alone; None if numba's cache no longer holds them."""
    from numba.core.errors import TypingError

    functions = adapter.Functions(**layout.functions, logp=None, expand=None)
    sources, sizes = _callback_parts(functions)
    keys = {"logp": layout.logp_key, "expand": layout.expand_key}
    try:
        logp, expand = (adapter.callback(sources[name], keys[name], **sizes[name]) for name in CALLBACKS)
    except TypingError:  # not in the cache: numba tried to compile, and the graph ("inner") is not there
        return None
    return adapter.assemble(functions, logp, expand, layout.n_data)


def _load_cached(key: str):
    layout = _read_layout(key)
    compiled = _load(layout) if layout is not None else None
    if compiled is not None:
        log.info("compiled model loaded from the cache (%s)", key[:12])
    return compiled


def _compile_in_child(spec: ModelSpec, padded: Design, key: str) -> None:
    """Build, compile and cache the model in separate processes, one for each of its CALLBACKS, compiling at once on
    two cores (see `compile_design`); the layout is written once both are cached."""
    with tempfile.TemporaryDirectory(prefix="reportedly-compile-") as folder:
        job = Path(folder) / "job.pickle"
        job.write_bytes(pickle.dumps((spec, padded)))
        children = {}
        for name in CALLBACKS:
            with (Path(folder) / f"{name}.err").open("w") as err:
                children[name] = subprocess.Popen([sys.executable, "-m", __name__, str(job), str(os.getpid()), name],
                                                  stdout=subprocess.DEVNULL, stderr=err)
        for name, child in children.items():
            if child.wait() != 0:
                log.info("compiling the %s callback in a child process failed (exit %s): %s", name, child.returncode,
                         (Path(folder) / f"{name}.err").read_text(errors="replace")[-2000:])
        written = [Path(folder) / f"{name}.json" for name in CALLBACKS]
        layouts = {path.read_text() for path in written} if all(path.exists() for path in written) else set()
    if len(layouts) == 1:   # each child cached its callback, and both built the same layout
        _write_layout(key, Layout(**json.loads(layouts.pop())))


def _die_with(parent: int) -> None:
    """End this process when `parent` ends: the kernel's parent-death signal where there is one (Linux), else a
    thread that watches whose child this process is."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:   # it ended before the signal was set
        os._exit(1)


def _compile_and_cache(job: Path, parent: int, only: str) -> None:
    """Compile and cache the callback `only`; its layout goes beside the job (`only`.json), nothing if it has none."""
    _die_with(parent)
    spec, padded = pickle.loads(job.read_bytes())
    _, layout = _compile(_built(spec, padded), only)
    if layout is not None:
        atomic_write(job.with_name(f"{only}.json"), lambda path: path.write_text(json.dumps(asdict(layout))))


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
    try:
        _cache_folder().mkdir(parents=True, exist_ok=True)
        atomic_write(
            _cache_folder() / f"{key}.json", lambda path: path.write_text(json.dumps(asdict(layout)), encoding="utf-8")
        )
    except (OSError, ReportedlyError) as exc:
        log.info("the compiled model's layout could not be cached: %s", exc)


if __name__ == "__main__":
    _compile_and_cache(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
