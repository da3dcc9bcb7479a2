"""Battery ageing over a run: the fleet's batteries age step by step and lose capacity once a day.

:class:`FleetAgeing` holds one :class:`~orbitcloud.bus.ageing.AgeingState` per ageing model in use
(``hardware.battery.ageing``; satellites whose design has none do not age). The bus hands it, after
every chunk of steps, the battery energy and node temperature of each step (``advance(e_trace=...)``);
the state of charge it counts cycles on is relative to the battery's present (faded) capacity.

Capacity fade feeds back into the bus at fixed *ageing epochs* of :data:`EPOCH_S` (one day): at the end
of each epoch every ageing battery's capacity becomes ``initial x remaining fraction`` and energy above
its new ``soc_max`` is lost. Fade of a few hundredths of a per cent a day changes nothing within a day
that matters, and updating at fixed step indices (the time loop cuts its chunks at epoch boundaries)
keeps results independent of chunking, worker count and block size. The model, its equations and
sources: ``docs/power.md`` ("Battery ageing").
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPOCH_S", "FleetAgeing"]

#: Capacity fade is applied to the bus at the end of every epoch of this length [s].
EPOCH_S = 86400.0


class FleetAgeing:
    """The ageing batteries of one satellite block (see the module docstring).

    Args:
        bp: the block's :class:`~orbitcloud.bus.step.BusParams` (``ageing_code``, ``ageing_models``);
            its ``capacity_j`` and ``soc_max`` arrays are read, and ``capacity_j`` is lowered in place
            at each epoch's end.
        step_s: the time step [s]; n_steps: the run's steps (no update at the run's very end, where
            nothing would use it: the reported capacity left is the model's own).
    """

    def __init__(self, bp, step_s: float, n_steps: int | None = None) -> None:
        from orbitcloud.bus.ageing import AgeingState, ageing_model

        p = bp.p
        self.bp = bp
        self.step_s = float(step_s)
        self.every = max(1, int(round(EPOCH_S / self.step_s)))
        self.n_steps = n_steps
        self.cap0_j = p["capacity_j"].copy()
        self.groups: list[tuple[np.ndarray, object]] = []
        code = bp.ageing_code
        for m, name in enumerate(bp.ageing_models):
            idx = np.nonzero((code == m) & (self.cap0_j > 0))[0]
            if idx.size:
                self.groups.append((idx, AgeingState(ageing_model(name), p["soc_initial"][idx], p["t_initial_k"][idx])))
        self.n = len(bp)

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def next_boundary(self, k: int) -> int:
        """The first epoch boundary (a step index) after step ``k``."""
        return (k // self.every + 1) * self.every

    def consume(self, trace: np.ndarray, k0: int, state, tot) -> None:
        """The steps ``k0 .. k0 + T - 1`` of ``trace`` (2, T, n): energy [J] and temperature [K] after
        each step. ``state`` (the block's BusState) has its energy clipped when an epoch ends here,
        and the energy lost so is booked in ``tot`` (BusTotals) as battery loss."""
        n_t = trace.shape[1]
        cap = self.bp.p["capacity_j"]
        for idx, st in self.groups:
            soc_t = trace[0][:, idx] / cap[idx]
            np.clip(soc_t, 0.0, 1.0, out=soc_t)
            st.steps(soc_t, trace[1][:, idx], self.step_s)
        k_end = k0 + n_t
        if k_end % self.every == 0 and (self.n_steps is None or k_end < self.n_steps):
            self.apply(state, tot)

    def apply(self, state, tot) -> None:
        """Lower each ageing battery's capacity to its remaining fraction (an epoch's end); stored
        energy above the new ``soc_max`` is lost (booked in ``tot.sums['fade']``, W x steps)."""
        p = self.bp.p
        cap = p["capacity_j"]
        for idx, st in self.groups:
            cap[idx] = self.cap0_j[idx] * st.capacity_fraction()
        e_max = p["soc_max"] * cap
        lost = np.maximum(state.e_j - e_max, 0.0)
        if lost.any():
            sums = tot.sums
            sums["fade"] = sums.get("fade", np.zeros(self.n)) + lost / self.step_s
            np.minimum(state.e_j, e_max, out=state.e_j)
            tot.e_final_j = state.e_j

    def figures(self) -> dict[str, np.ndarray]:
        """Per satellite (n,), NaN where the battery does not age: ``capacity_left`` (remaining
        fraction of the initial capacity, as the model stands now) and ``cycles`` (equivalent full
        cycles)."""
        left = np.full(self.n, np.nan)
        efc = np.full(self.n, np.nan)
        for idx, st in self.groups:
            left[idx] = st.capacity_fraction()
            stats = st.stats()
            efc[idx] = stats.get("equivalent_full_cycles", np.full(idx.size, np.nan))
        return {"capacity_left": left, "cycles": efc}
