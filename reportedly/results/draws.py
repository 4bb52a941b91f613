"""Saved draws read straight from posterior.nc with h5netcdf, for the questions `query` asks: each variable a numpy
array with its dimensions, selected by its coordinates' labels. Importing xarray (and with it pandas and dask) costs
about a second, more than answering a question; this is the part of its Dataset that `Estimates` uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class Variable:
    """One saved variable: its draws (chain, draw, ...) and the labels along each dimension that has them."""

    def __init__(self, values: np.ndarray, dims: tuple[str, ...], coords: dict[str, np.ndarray]):
        self.values, self.dims, self._coords = values, dims, coords

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of its draws."""
        return self.values.shape

    def sel(self, **labels) -> Variable:
        """The variable at one label of each dimension named (the dimension dropped), as `xarray.DataArray.sel`."""
        values, dims = self.values, list(self.dims)
        for dim, label in labels.items():
            axis = dims.index(dim)
            values = np.take(values, list(self._coords[dim]).index(label), axis=axis)
            dims.pop(axis)
        return Variable(values, tuple(dims), self._coords)


class SavedDraws:
    """The variables of a saved posterior, by name (a coordinate is a variable of its labels)."""

    def __init__(self, variables: dict[str, Variable]):
        self._variables = variables

    def __getitem__(self, name: str) -> Variable:
        return self._variables[name]

    def __contains__(self, name: str) -> bool:
        return name in self._variables


def read_draws(path: Path) -> tuple[SavedDraws, dict]:
    """The draws and attributes of a posterior.nc (OSError or ValueError if it cannot be read)."""
    import h5netcdf

    with h5netcdf.File(path, "r") as file:
        coords = {dim: _labels(file.variables[dim][:]) for dim in file.dimensions if dim in file.variables}
        variables = {name: Variable(np.asarray(var[:]), var.dimensions, coords)
                     for name, var in file.variables.items() if name not in coords}
        attrs = {key: value for key, value in file.attrs.items() if not key.startswith("_")}
    return SavedDraws(variables | {dim: Variable(labels, (dim,), coords) for dim, labels in coords.items()}), attrs


def _labels(values: np.ndarray) -> np.ndarray:
    """A coordinate's labels, text decoded."""
    return np.array([v.decode() for v in values]) if values.dtype.kind in "OS" else values
