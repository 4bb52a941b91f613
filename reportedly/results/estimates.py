"""Read saved estimates and answer questions from them: numpy (and xarray where a command needs its Dataset), no
PyMC, fast.

Draws keep their (chain, draw) dimensions; quantiles pool them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reportedly.errors import ReportedlyError, did_you_mean
from reportedly.inputs.spec import Headline, ModelSpec
from reportedly.levels import WIDEST, bounds
from reportedly.model.intervals import source_estimates
from reportedly.model.timing import FirstDays, first_days, window_shares
from reportedly.results import store
from reportedly.results.draws import SavedDraws, read_draws
from reportedly.results.saved import passed_the_gate
from reportedly.timeaxis import MonthAxis, OutsideAxis, running_share, wave_share, window_totals

if TYPE_CHECKING:
    import xarray as xr

# Posterior variables kept in the saved file: what summaries, queries and plots need (and the trend's last month,
# which forecasts go on from, see `kept`).
KEPT = ("flow", "onset", "first_wave", "end", "smoothness", "capacity", "fill", "realised", "rating_scale", "sigma",
        "bias")
# Libraries whose versions a saved fit records.
RECORDED_LIBRARIES = ("pymc", "pytensor", "nutpie", "arviz", "numpy", "xarray")


@dataclass(frozen=True)
class Estimates:
    """A saved fit: posterior draws and what they came from."""

    posterior: xr.Dataset | SavedDraws    # dims (chain, draw, ...)
    attrs: dict
    spec: ModelSpec
    forecast_horizon: dt.date | None = None   # overrides the model file's [time] horizon

    @property
    def axis(self) -> MonthAxis:
        """The fit's monthly time axis."""
        return self.spec.time.axis

    @property
    def latest_report(self) -> dt.date:
        """The report date of the latest claim the fit used."""
        return dt.date.fromisoformat(self.attrs["latest_report"])

    @property
    def converged(self) -> bool:
        """Whether the fit passed the diagnostics gate."""
        return passed_the_gate(self.attrs)

    @property
    def horizon(self) -> dt.date:
        """The last day a query may reach: the override, the model file's [time] horizon, or a year past the axis."""
        explicit = self.forecast_horizon or self.spec.time.horizon
        if explicit:
            return explicit
        last = self.axis.last_day
        return dt.date(last.year + 1, last.month, calendar.monthrange(last.year + 1, last.month)[1])

    def forecast_from(self, end: dt.date | None) -> dt.date | None:
        """The latest report, if a window ending on `end` reaches past it (its total is then partly a forecast)."""
        return self.latest_report if end is not None and end > self.latest_report else None

    def window_total(self, quantity: str, start: dt.date | None, end: dt.date) -> np.ndarray:
        """Posterior draws of the total of `quantity` over start..end (inclusive).

        Past the time axis the flow goes on under the model's own dynamics (see `forecast_flow`), up to the
        horizon. A window that begins before the axis is answered when every draw puts the flow's onset inside it.
        """
        self._check_flow(quantity)
        if start is not None and end < start:
            raise ReportedlyError(f"the window ends ({end}) before it starts ({start}); swap --from and --to")
        if end > self.horizon:
            raise ReportedlyError(
                f"{end} is past the forecast horizon ({self.horizon}); pass --horizon {end} (or later), "
                f"or set [time] horizon in models/{self.spec.case.name}.toml"
            )
        if start is not None and start < self.axis.start:
            self._check_nothing_before_axis(quantity, start)
            start = None
        axis = MonthAxis(self.axis.first, max(end, self.axis.last_day))
        try:
            k0, f0, k1, f1 = axis.window(start, end)
        except OutsideAxis as exc:
            raise ReportedlyError(f"{exc}; {exc.fix(self.spec.case.name)}") from None
        flow = self.forecast_flow(quantity, len(axis.months) - len(self.axis.months))
        before, upto = self._month_shares(quantity, k0, f0, k1, f1)
        return window_totals(flow, k0, before, k1, upto)

    def _check_flow(self, quantity: str) -> None:
        quantities = list(self.posterior["quantity"].values)
        if quantity not in quantities:
            raise ReportedlyError(
                f"'{quantity}' has no monthly flow{did_you_mean(quantity, quantities)}; choose one of "
                f"{', '.join(quantities)} (or a ratio: {', '.join(self.spec.ratios) or 'none'})"
            )

    def _month_shares(self, quantity: str, k0: int, f0: float, k1: int, f1: float) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the share of the start month before a window and of the end month up to its end (`timing`),
        seeded by the fit, the flow and the month: a question gets the same answer every time, and the windows
        ending in one month see the same path through its days."""
        base = self.spec.base_flow(quantity)
        seed = [int(self.attrs.get("random_seed", 0)), list(self.spec.flows).index(base)]
        shape = self.posterior["flow"].shape[:2]
        # Four numbers to a seed: a stream of its own, apart from the forecasts' month noise.
        start, end = (np.random.default_rng([*seed, k, 1]).uniform(size=shape) for k in (k0, k1))
        return window_shares(k0, f0, k1, f1, self.spec.flows[base].day_concentration, start, end)

    def first_days(self, quantity: str, days: int, timing: bool = True) -> FirstDays:
        """Posterior draws of the total of `quantity` in the `days` days from the day its flow starts in each draw
        (`timing.first_days`), counted inside the time axis, and which draws' days reach past its end; `timing`
        False spreads each month evenly over its days."""
        self._check_flow(quantity)
        base = self.spec.base_flow(quantity)
        # A stream of its own, apart from the windows' and the forecasts'; a link draws its base flow's days.
        rng = np.random.default_rng([int(self.attrs.get("random_seed", 0)), list(self.spec.flows).index(base), 0, 2])
        concentration = self.spec.flows[base].day_concentration if timing else None
        flow = self.posterior["flow"].sel(quantity=quantity).values
        return first_days(flow, np.diff(self.axis.day_offsets), days, concentration, rng)

    def forecast_flow(self, quantity: str, months: int) -> np.ndarray:
        """Draws (chain, draw, month) of the monthly flow over the axis and `months` more.

        The log trend goes on as the model's random walk: each month adds smoothness x N(0, 1) to the last month's;
        a month's flow is the trend times its share (`SpreadPrior.share` for a flow with a spread) after the flow's
        onset, plus what falls in it of a first wave, before the flow's end. Each month's noise is drawn with a seed
        fixed by the fit and the month, so a query gives the same answer every time and a longer window goes on along
        the same paths.
        """
        flow = self.posterior["flow"].sel(quantity=quantity).values
        if months == 0:
            return flow
        if "last_trend" not in self.posterior:
            raise ReportedlyError(
                "these estimates keep no trend to forecast from (an earlier version fitted them); "
                f"run 'reportedly estimate {self.spec.case.name}' again"
            )
        link = self.spec.links.get(quantity)
        base = self.spec.base_flow(quantity)
        last = self.posterior["last_trend"].sel(flow_quantity=base).values
        smoothness = self.posterior["smoothness"].sel(flow_quantity=base).values
        seed = [int(self.attrs.get("random_seed", 0)), list(self.spec.flows).index(base)]
        # Month k's noise is the same however far a query looks.
        noise = np.stack([np.random.default_rng([*seed, k]).standard_normal((2, *smoothness.shape))
                          for k in range(months)], axis=-1)
        future = last[..., None] * np.exp(np.cumsum(smoothness[..., None] * noise[0], axis=-1))
        spread = self.spec.flows[base].spread
        if spread is not None:
            future = future * spread.share(noise[1])
        month = len(self.axis.months) + np.arange(months)
        onset, end = (None if x is None else x[..., None] for x in (self._onset(base), self._end(base)))
        future = future * running_share(month, onset)
        if self.spec.flows[base].first_wave is not None:   # a wave at an onset past the axis
            future = future + self.posterior["first_wave"].sel(wave_quantity=base).values[..., None] * wave_share(
                month, onset)
        future = future * running_share(month, None, end)
        if link:
            future = future * self.ratio(link.product[1])[..., None]
        return np.concatenate([flow, future], axis=-1)

    def _onset(self, flow: str) -> np.ndarray | None:
        """Draws of a flow's onset, in months since the axis start; None for a flow without one."""
        if self.spec.flows[flow].onset is None:
            return None
        return self.posterior["onset"].sel(onset_quantity=flow).values

    def onset_interval(self, quantity: str, level: float = WIDEST) -> tuple[dt.date, dt.date] | None:
        """The days between which the onset of the flow `quantity` moves with falls, at `level`; None for a flow
        without an onset."""
        onset = self._onset(self.spec.base_flow(quantity))
        if onset is None:
            return None
        low, high = np.quantile(onset, bounds(level))
        return self.axis.day_at(low), self.axis.day_at(high)

    def _end(self, flow: str) -> np.ndarray | None:
        """Draws of when a flow stops, in months since the axis start; None for a flow that runs on."""
        if self.spec.flows[flow].duration is None:
            return None
        return self.posterior["end"].sel(end_quantity=flow).values

    def _check_nothing_before_axis(self, quantity: str, start: dt.date) -> None:
        base = self.spec.base_flow(quantity)
        onset = self._onset(base)
        if onset is None or onset.min() < 0:
            raise ReportedlyError(
                f"{start} is before the time axis starts ({self.axis.start}) and the {base} flow may have run before "
                "it; "
                f"{OutsideAxis(start, self.axis).fix(self.spec.case.name)}"
            )

    def ratio(self, name: str, which: str = "realised") -> np.ndarray:
        """Draws of a ratio: its realised value, or the capacity sources state (`which`)."""
        return self.posterior[which].sel(ratio=name).values

    def draws_of(self, quantity: str, start: dt.date | None = None, end: dt.date | None = None) -> np.ndarray:
        """Draws of a ratio, or of a flow's total over a window (default: cumulative to the latest report)."""
        if quantity in self.spec.ratios:
            return self.ratio(quantity)
        return self.window_total(quantity, start, end or self.latest_report)

    def headline_end(self, headline: Headline) -> dt.date | None:
        """A headline's last day, with 'latest_report' resolved."""
        return self.latest_report if headline.end == "latest_report" else headline.end

    def headline_draws(self) -> xr.Dataset:
        """Draws (chain, draw) of every headline figure in the model file."""
        import xarray as xr

        return xr.Dataset(
            {
                h.name: (("chain", "draw"), self.draws_of(h.quantity, h.start, self.headline_end(h)))
                for h in self.spec.headlines
            }
        )

    def report_draws(
        self,
        truth: np.ndarray,
        source: str | None = None,
        rating: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Posterior predictive of what a source would print about `truth`, draw by draw: a source of the fit with
        its learned error scale and bias, or a new source with Admiralty `rating` (its own registry rating if named)."""
        rng = rng or np.random.default_rng(0)
        if source is not None and source in self.posterior["source"].values:
            sigma = self.posterior["sigma"].sel(source=source).values
            bias = self.posterior["bias"].sel(source=source).values
            return source_estimates(truth, bias, sigma, rng)
        rating = rating or json.loads(self.attrs["source_ratings"])[source]
        errors = self.spec.errors
        scale = self.posterior["rating_scale"].sel(rating=rating).values
        sigma = scale * np.exp(errors.source_spread * rng.standard_normal(scale.shape))
        bias = errors.bias_sd * rng.standard_normal(scale.shape)
        return source_estimates(truth, bias, sigma, rng)


def kept(posterior: xr.Dataset) -> xr.Dataset:
    """The variables of a posterior that the saved file keeps (those of KEPT the model has, and `last_trend`)."""
    return posterior[[name for name in KEPT if name in posterior]].assign(
        last_trend=posterior["trend"].isel(month=-1, drop=True)
    )


def load_estimates(folder: Path, light: bool = False) -> Estimates:
    """Open estimates/<case>/posterior.nc: as an xarray Dataset, or with `light` as numpy arrays (`SavedDraws`:
    enough to answer questions, and about a second sooner)."""
    path = folder / store.POSTERIOR
    if not path.exists():
        raise ReportedlyError(f"no estimates at {path}; run 'reportedly estimate' first (the committed summary.md and "
                              "figures show the last fit; its posterior, which query, explain, plot and "
                              "report read, is produced by estimate and kept out of git)")
    try:
        if light:
            posterior, attrs = read_draws(path)
        else:
            import xarray as xr

            with xr.open_dataset(path, engine="h5netcdf") as ds:
                posterior = ds.load()
            attrs = dict(posterior.attrs)
    except (OSError, ValueError) as exc:
        raise ReportedlyError(f"cannot read {path}: {exc}") from None
    spec = ModelSpec.model_validate(tomllib.loads(attrs["spec"]))
    return Estimates(posterior=posterior, attrs=attrs, spec=spec)

