"""The monthly time axis and where a date falls on it (partial months weighted by days)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np

DAYS_PER_MONTH = 365.25 / 12
"""An average month, for priors given in days."""


class OutsideAxis(ValueError):
    """A date the time axis does not cover; `side` is the end of the axis ('start' or 'end') it lies beyond."""

    def __init__(self, day: dt.date, axis: MonthAxis):
        self.day = day
        self.side = "start" if day < axis.start else "end"
        edge = axis.start if self.side == "start" else axis.last_day
        super().__init__(f"{day} is {'before' if self.side == 'start' else 'after'} the time axis "
                         f"{'starts' if self.side == 'start' else 'ends'} ({edge})")

    def fix(self, case: str) -> str:
        """What to change to ask about this date."""
        return (f"to cover it, set [time] {self.side} in models/{case}.toml to {self.day:%Y-%m} or "
                f"{'earlier' if self.side == 'start' else 'later'} and run 'reportedly estimate {case}' again")


@dataclass(frozen=True)
class MonthAxis:
    """Months from the month of `first` to the month of `last`, inclusive."""

    first: dt.date
    last: dt.date

    @property
    def months(self) -> list[dt.date]:
        """The first day of every month on the axis."""
        out, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append(dt.date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    @property
    def labels(self) -> list[str]:
        """Every month on the axis as YYYY-MM."""
        return [m.strftime("%Y-%m") for m in self.months]

    @property
    def start(self) -> dt.date:
        """The first day of the axis."""
        return self.months[0]

    @property
    def stop(self) -> dt.date:
        """The day after the axis ends."""
        last = self.months[-1]
        return last + dt.timedelta(days=calendar.monthrange(last.year, last.month)[1])

    @property
    def last_day(self) -> dt.date:
        """The last day of the axis."""
        return self.stop - dt.timedelta(days=1)

    @property
    def day_offsets(self) -> np.ndarray:
        """Days from the axis start to the first day of each month, and to the day after the axis."""
        return np.array([(day - self.start).days for day in (*self.months, self.stop)])

    def position(self, day: dt.date) -> tuple[int, float]:
        """(month index, fraction of that month elapsed) at the start of `day`.

        The day after the axis ends maps to (number of months, 0.0).
        """
        if not self.start <= day <= self.stop:
            raise OutsideAxis(day, self)
        if day == self.stop:
            return len(self.months), 0.0
        index = (day.year - self.start.year) * 12 + day.month - self.start.month
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        return index, (day.day - 1) / days_in_month

    def elapsed(self, day: dt.date) -> float:
        """Months elapsed since the axis start at the start of `day`, as a real number."""
        index, fraction = self.position(day)
        return index + fraction

    def day_at(self, months: float) -> dt.date:
        """The day `months` (a real number, months since the axis start, as `elapsed` counts them) falls on; before or
        past the axis too."""
        index = int(np.floor(months))
        year, month = divmod(self.start.year * 12 + self.start.month - 1 + index, 12)
        days = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, 1 + min(int((months - index) * days + 1e-9), days - 1))   # 1e-9: rounding

    def window(self, start: dt.date | None, end: dt.date) -> tuple[int, float, int, float]:
        """Positions bounding the inclusive window start..end (start None: from the axis start)."""
        for day in (start, end):
            if day is not None and not self.start <= day <= self.last_day:
                raise OutsideAxis(day, self)
        k0, f0 = self.position(start or self.start)
        k1, f1 = self.position(end + dt.timedelta(days=1))
        return k0, f0, k1, f1


def _padded_and_cumulative(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The flow with a zero month appended, and its running total from zero: a window's total is read off both."""
    zero = np.zeros(flow.shape[:-1] + (1,))
    return np.concatenate([flow, zero], axis=-1), np.concatenate([zero, np.cumsum(flow, axis=-1)], axis=-1)


def window_totals(flow: np.ndarray, k0, f0, k1, f1) -> np.ndarray:
    """Sum a monthly flow (..., month) over windows given as axis positions (month index, and the share of that
    month's flow before the position: the fraction of its days elapsed for a flow that falls evenly, see
    `model.timing`); vectorised over windows.

    `flow` may carry leading sample dimensions; the positions and shares broadcast against them.
    """
    pad, cum = _padded_and_cumulative(flow)
    at = lambda k, f: np.take(cum, k, axis=-1) + f * np.take(pad, k, axis=-1)  # noqa: E731
    return at(k1, f1) - at(k0, f0)


def row_window_totals(flows: np.ndarray, k0, f0, k1, f1) -> np.ndarray:
    """Row i of `flows` (..., row, month) summed over window i: one window per row, any leading sample dimensions."""
    pad, cum = _padded_and_cumulative(flows)

    def at(k, f):
        index = np.broadcast_to(np.asarray(k)[:, None], flows.shape[:-1] + (1,))
        return (
            np.take_along_axis(cum, index, axis=-1) + np.asarray(f)[:, None] * np.take_along_axis(pad, index, axis=-1)
        )[..., 0]

    return at(k1, f1) - at(k0, f0)


EDGE_MONTHS = 2.0
"""A flow rises over this many months from its onset and falls over this many months centred on its end (a smoothstep:
nothing before the onset, 10% to 90% of its rise within about a month): smooth in the onset and end, which NUTS needs,
and exactly nothing before the onset or after the end's edge."""

WAVE_MONTHS = 1.0
"""A flow's first wave arrives over this many months from its onset, as a smoothstep's rise (its density a bump,
30 u^2 (1 - u)^2: half of it in the middle ten days); a month's flow then spreads over its days as its timing
says, so a week can still carry most of the wave."""


def _edge_integral(x):
    """The integral up to x (months after an edge's centre) of a quintic smoothstep rising over EDGE_MONTHS."""
    u = np.clip(x / EDGE_MONTHS + 0.5, 0.0, 1.0)
    return EDGE_MONTHS * (u**4 * (u * (u - 3) + 2.5) + np.maximum(x / EDGE_MONTHS - 0.5, 0.0))


def running_share(month, onset=None, end=None):
    """The share of each month (0-based on the axis) a flow runs, after its onset and before its end (months since the
    axis start).

    Each edge is a quintic smoothstep 6u^5 - 15u^4 + 10u^3 over EDGE_MONTHS, integrated over the month, rising from the
    onset and falling about the end; without an onset or end the flow runs on that side. `flow_op` computes the same
    in the model.
    """
    share = 1.0
    if onset is not None:
        rise = onset + EDGE_MONTHS / 2   # the rising edge's centre
        share = _edge_integral(month + 1 - rise) - _edge_integral(month - rise)
    if end is not None:
        share = share * (_edge_integral(end - month) - _edge_integral(end - month - 1))
    return share


def _wave_arrived(x):
    """The share of a first wave arrived x months after the onset."""
    u = np.clip(x / WAVE_MONTHS, 0.0, 1.0)
    return u**3 * (u * (6 * u - 15) + 10)


def wave_share(month, onset):
    """The share of a first wave from `onset` (months since the axis start) that falls in each month (0-based on the
    axis). `flow_op` computes the same in the model."""
    return _wave_arrived(month + 1 - onset) - _wave_arrived(month - onset)
