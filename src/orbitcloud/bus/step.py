"""The time-stepped bus: power and thermal state of every satellite, advanced step by step.

State is a struct of arrays over the satellites of a block: node temperature ``t_k``, battery energy
``e_j`` and the thermal-throttle latch ``hot``. Per time chunk the engine hands over the geometry
(illumination, irradiance, cosines); everything that does not depend on the state (array temperature,
efficiency, generation, absorbed environmental heat) is computed for the whole chunk at once, then
the state is advanced one step at a time, vectorised over satellites. Each step (``docs/power.md``,
``docs/thermal.md``):

1. thermal cap: the compute heat that keeps the node at or below ``t_max`` at the end of the step
   (at ``t_max - hysteresis`` while the latch is set) by the backward-Euler relation;
2. heater demand to hold ``t_min`` (compute heat counts towards it);
3. the power policy :func:`orbitcloud.bus.power.serve_loads`: bus, then heaters, then compute;
4. the node temperature by :func:`orbitcloud.bus.thermal.implicit_step` with every consumed watt,
   the battery losses and the environment as heat;
5. the latch sets when the cap binds and clears once the temperature falls below
   ``t_max - hysteresis``.

Sums are kept as powers added in time order and multiplied by the step at the end, so results do
not depend on how the run is cut into chunks or blocks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.bus import power, thermal
from orbitcloud.bus.design import POINTING_CODES, Design

#: Per-satellite parameter arrays built from :class:`Design` (name -> attribute or derived value).
_FIELDS = (
    "n_acc", "p_acc_w", "ops_per_s_acc", "utilisation", "bus_w", "bus_min_w", "array_area_m2", "packing", "eta_ref",
    "t_ref_k", "temp_coeff_per_k", "degradation_per_yr", "age_yr", "array_absorptance", "array_emissivity",
    "capacity_j", "eta_charge", "eta_discharge", "soc_min", "soc_max", "soc_initial", "radiator_area_m2",
    "sides", "emissivity", "absorptance", "ir_absorptance", "sun_view", "t_max_k", "t_min_k", "hysteresis_k",
    "heater_w", "capacitance_j_k", "t_initial_k",
)
#: Throttle state codes recorded in the time series.
THROTTLE_NONE, THROTTLE_POWER, THROTTLE_THERMAL = 0, 1, 2


@dataclasses.dataclass
class BusParams:
    """Per-satellite bus parameters (arrays of shape (n,)); ``has`` marks satellites with hardware."""

    start: int
    has: np.ndarray
    p: dict[str, np.ndarray]
    pointing: np.ndarray  # int8 codes, see POINTING_CODES
    normal: np.ndarray  # (n, 3)
    array_temp_k: np.ndarray  # fixed operating temperature or NaN (computed)
    view_factor: np.ndarray  # radiator Earth view factor per face
    array_view_factor: np.ndarray  # array back-face Earth view factor
    #: battery ageing: per satellite an index into ``ageing_models`` (-1: no ageing), see bus.ageing
    ageing_code: np.ndarray | None = None
    ageing_models: tuple[str, ...] = ()
    #: station-keeping (bus.propulsion.StationKeeping) or None
    sk: object | None = None

    def __len__(self) -> int:
        return int(self.has.shape[0])

    def slice(self, a: int, z: int) -> "BusParams":
        return BusParams(
            start=self.start + a, has=self.has[a:z], p={k: v[a:z] for k, v in self.p.items()},
            pointing=self.pointing[a:z], normal=self.normal[a:z], array_temp_k=self.array_temp_k[a:z],
            view_factor=self.view_factor[a:z], array_view_factor=self.array_view_factor[a:z],
            ageing_code=None if self.ageing_code is None else self.ageing_code[a:z], ageing_models=self.ageing_models,
            sk=None if self.sk is None else self.sk.slice(a, z),
        )

    @property
    def needs_orbit_normal(self) -> bool:
        return bool(np.any((self.pointing == 1) | ((self.pointing == 2) & (np.abs(self.normal[:, 1:]).sum(axis=1) > 0))))


def build_bus_params(shell_index: np.ndarray, designs: list[Design | None], r_over_re: np.ndarray) -> BusParams | None:
    """Broadcast the shells' designs to satellites (``shell_index``); None when no shell has hardware."""
    if all(d is None for d in designs):
        return None
    n_shell = len(designs)
    table = {f: np.zeros(n_shell) for f in _FIELDS}
    has_s = np.zeros(n_shell, bool)
    point_s = np.zeros(n_shell, np.int8)
    normal_s = np.zeros((n_shell, 3))
    normal_s[:, 0] = 1.0
    temp_s = np.full(n_shell, np.nan)
    vf_s = np.full(n_shell, np.nan)
    for i, d in enumerate(designs):
        if d is None:
            table["capacitance_j_k"][i] = 1.0
            table["t_initial_k"][i] = table["t_max_k"][i] = 293.15
            table["eta_charge"][i] = table["eta_discharge"][i] = 1.0
            # a fixed array temperature: the panel balance would divide 0 by 0 (no emissivity) and
            # turn every figure of the satellite into NaN
            temp_s[i] = 293.15
            continue
        has_s[i] = True
        for f in _FIELDS:
            table[f][i] = float(getattr(d, f))
        point_s[i] = POINTING_CODES[d.pointing]
        normal_s[i] = d.normal
        if d.array_temp_k is not None:
            temp_s[i] = d.array_temp_k
        if d.view_factor is not None:
            vf_s[i] = d.view_factor
    idx = np.asarray(shell_index)
    models = tuple(sorted({d.ageing for d in designs if d is not None and d.ageing}))
    code_s = np.array([models.index(d.ageing) if d is not None and d.ageing else -1 for d in designs], np.int16)
    geo_vf = thermal.earth_view_factor(np.maximum(r_over_re, 1.0 + 1e-6), "edge")
    vf = vf_s[idx]
    return BusParams(
        start=0,
        has=has_s[idx],
        p={f: table[f][idx] for f in _FIELDS},
        pointing=point_s[idx],
        normal=normal_s[idx],
        array_temp_k=temp_s[idx],
        view_factor=np.where(np.isnan(vf), geo_vf, vf),
        array_view_factor=geo_vf,
        ageing_code=code_s[idx] if models else None,
        ageing_models=models,
    )


@dataclasses.dataclass
class BusState:
    t_k: np.ndarray
    e_j: np.ndarray
    hot: np.ndarray
    #: station-keeping: mean semi-major axis [m] and the thrusters' latch (None without)
    a_m: np.ndarray | None = None
    firing: np.ndarray | None = None

    @classmethod
    def initial(cls, bp: BusParams) -> "BusState":
        p = bp.p
        out = cls(t_k=p["t_initial_k"].copy(), e_j=p["soc_initial"] * p["capacity_j"], hot=np.zeros(len(bp), bool))
        if bp.sk is not None:
            out.a_m = bp.sk.a0_m.copy()
            out.firing = np.zeros(len(bp), bool)
        return out


#: Sums reported per satellite (powers summed over steps in W x steps; multiply by the step for J).
SUMS = (
    "gen", "load", "compute", "curtailed", "bus_unmet", "heater", "loss", "charge", "from_battery",
    "target", "thr_thermal", "thr_power", "env_heat", "fault_loss", "idle", "operator",
)
#: Sums accumulated step by step (the others follow from these exactly, see ``BusTotals.finalize``).
_RAW = ("gen", "env_heat", "bus", "heater", "compute", "charge", "from_battery", "req")


@dataclasses.dataclass
class BusTotals:
    """Per-satellite reductions of a run: ``sums`` (see :data:`SUMS`) and extremes.

    During the run ``sums`` holds the raw accumulators (:data:`_RAW`); :meth:`finalize` derives the
    reported ones: load = bus + heater + compute; curtailed = gen - load + from_battery - charge;
    loss = charge (1 - eta_c) + from_battery (1/eta_d - 1); with T_a, T_c, T_o the target scaled by the
    available devices, then by the operator's caps, then by the workloads' demand: fault loss =
    target - T_a; operator = T_a - T_c; idle = T_c - T_o; throttled-thermal = T_o - req;
    throttled-power = req - compute. ``bus_unmet`` counts against the bus load asked for (``bus_req``
    once safe mode has changed it, else the design's).
    """

    sums: dict[str, np.ndarray]
    e_min_j: np.ndarray
    t_min_k: np.ndarray
    t_max_k: np.ndarray
    t_final_k: np.ndarray
    e_final_j: np.ndarray
    steps: int = 0
    #: the latest step's powers [W] and throttle code per satellite (None before the first step)
    last: dict | None = None
    #: battery ageing per satellite (``capacity_left``, ``cycles``; NaN without ageing), None: no ageing
    ageing: dict | None = None
    #: station-keeping per satellite (``sk_w``, ``sk_lost``, ``sk_fire`` in W x steps or steps,
    #: ``a_min_m``, altitude samples ``a_samples_m`` (n, S) at ``sample_t_s``), None: none
    orbit: dict | None = None

    @classmethod
    def zeros(cls, n: int) -> "BusTotals":
        return cls(
            sums={k: np.zeros(n) for k in _RAW}, e_min_j=np.full(n, np.inf), t_min_k=np.full(n, np.inf),
            t_max_k=np.full(n, -np.inf), t_final_k=np.zeros(n), e_final_j=np.zeros(n),
        )

    def finalize(self, bp: "BusParams") -> None:
        if self.orbit is not None and isinstance(self.orbit.get("samples"), list):
            o = self.orbit
            o.pop("shadow", None)
            samples = o.pop("samples")
            o["sample_t_s"] = np.array([t for t, _ in samples])
            o["a_samples_m"] = np.stack([a for _, a in samples], axis=1) if samples else np.zeros((len(bp), 0))
        p, r = bp.p, self.sums
        full = p["n_acc"] * p["p_acc_w"] * p["utilisation"]
        target = full * self.steps
        # with faults the compute target of a step is full x available fraction of the devices
        target_avail = full * r["avail"] if "avail" in r else target
        # operator limits (power caps, safe mode, reboots) withhold part of the available target
        target_capped = full * r["capped"] if "capped" in r else target_avail
        # with workloads only the demanded part of the permitted target is offered; the rest is idle
        target_offered = full * r["offered"] if "offered" in r else target_capped
        load = r["bus"] + r["heater"] + r["compute"]
        if self.orbit is not None:
            load = load + self.orbit["sk_w"]  # electric propulsion is a load too
        self.sums = {
            "gen": r["gen"],
            "load": load,
            "compute": r["compute"],
            "curtailed": np.maximum(r["gen"] - load + r["from_battery"] - r["charge"], 0.0),
            "bus_unmet": np.maximum((r["bus_req"] if "bus_req" in r else p["bus_w"] * self.steps) - r["bus"], 0.0),
            "heater": r["heater"],
            # battery losses: charge and discharge, and stored energy above a faded capacity (ageing)
            "loss": r["charge"] * (1.0 - p["eta_charge"]) + r["from_battery"] * (1.0 / p["eta_discharge"] - 1.0)
            + (r["fade"] if "fade" in r else 0.0),
            "charge": r["charge"],
            "from_battery": r["from_battery"],
            "target": target,
            "fault_loss": np.maximum(target - target_avail, 0.0),
            "operator": np.maximum(target_avail - target_capped, 0.0),
            "idle": np.maximum(target_capped - target_offered, 0.0),
            "thr_thermal": np.maximum(target_offered - r["req"], 0.0),
            "thr_power": np.maximum(r["req"] - r["compute"], 0.0),
            "env_heat": r["env_heat"],
        }


#: Time steps per group when computing the state-independent inputs (keeps them in cache).
_COLS = 16
#: The same for the compiled inputs (:func:`orbitcloud.bus.kernel.inputs_chunk` tiles the satellites).
_COLS_COMPILED = 64


def accumulate_rows(total: np.ndarray, values_t: np.ndarray) -> None:
    """Add the time-major ``values_t`` (T, n) to ``total`` (n,) one step after another, so the sum
    does not depend on how the run is cut into chunks."""
    for row in values_t:
        total += row


@dataclasses.dataclass
class Geometry:
    """State-independent inputs of one time chunk: (n, T) arrays unless noted."""

    illumination: np.ndarray
    irradiance_w_m2: np.ndarray  # (T,)
    cos_zenith: np.ndarray  # r_hat . s_hat (cosine of the Sun's zenith angle below the satellite)
    cos_incidence: np.ndarray | None  # None: every satellite tracks the Sun (cos = 1)
    t_s: np.ndarray  # (T,) seconds from the run start

    def columns(self, a: int, b: int) -> "Geometry":
        """The time steps a .. b - 1 of the chunk."""
        return Geometry(
            illumination=self.illumination[:, a:b], irradiance_w_m2=self.irradiance_w_m2[a:b],
            cos_zenith=self.cos_zenith[:, a:b], cos_incidence=None if self.cos_incidence is None else self.cos_incidence[:, a:b],
            t_s=self.t_s[a:b],
        )


def chunk_inputs(bp: BusParams, geo: Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generation [W], absorbed environmental heat [W] and array temperature [K] for a chunk (n, T).

    The array temperature is the quasi-steady value with the efficiency's own temperature
    dependence resolved by one fixed-point pass (the second pass changes eta by < 0.05 %).
    Geometry must be finite (the engine sets illumination and cos z to 0 where a position failed).
    """
    p = bp.p
    col = lambda name: p[name][:, None]  # noqa: E731
    irr = geo.irradiance_w_m2[None, :]
    cosz = geo.cos_zenith
    g_n = irr * geo.illumination
    if geo.cos_incidence is not None:
        g_n *= np.maximum(geo.cos_incidence, 0.0)
    age = col("age_yr") + geo.t_s[None, :] / power.SECONDS_PER_YEAR
    eta_aged = col("eta_ref") * np.exp(age * np.log1p(-col("degradation_per_yr")))  # eta_ref (1 - d)^age
    gamma, t_ref = col("temp_coeff_per_k"), col("t_ref_k")
    computed = np.isnan(bp.array_temp_k)
    if computed.any():
        earth = power.earth_load_on_array_w_m2(col("array_absorptance"), col("array_emissivity"), bp.array_view_factor[:, None], irr, cosz)
        eps_sum = 2.0 * col("array_emissivity")
        t_q = power.array_temperature_k(g_n, eta_aged, col("array_absorptance"), eps_sum, earth)
        eta = power.cell_efficiency(eta_aged, gamma, t_q, t_ref)
        t_arr = power.array_temperature_k(g_n, eta, col("array_absorptance"), eps_sum, earth)
        if not computed.all():
            t_arr = np.where(computed[:, None], t_arr, bp.array_temp_k[:, None])
    else:
        t_arr = np.broadcast_to(bp.array_temp_k[:, None], g_n.shape)
    eta = power.cell_efficiency(eta_aged, gamma, t_arr, t_ref)
    p_gen = g_n * (col("array_area_m2") * col("packing")) * eta
    q_env = col("radiator_area_m2") * thermal.absorbed_w_m2(
        col("absorptance"), col("ir_absorptance"), col("sides"), col("sun_view"), bp.view_factor[:, None], irr, geo.illumination, cosz
    )
    return p_gen, q_env, t_arr


def _kernel(force: bool = False):
    """The compiled step loop (:mod:`orbitcloud.bus.kernel`), or None when numba is not importable or
    (unless ``force``) the run is too small to repay it (:mod:`orbitcloud.accel`)."""
    from orbitcloud import accel

    global _KERNEL
    if not force and not accel.use_numba():
        return None
    if _KERNEL is False:
        try:
            from orbitcloud.bus.kernel import step_chunk
        except ImportError:  # pragma: no cover - numba is a dependency; the NumPy loop is the fallback
            step_chunk = None
        _KERNEL = step_chunk
    return _KERNEL


_KERNEL = False


#: The compiled step's per-satellite streams: 17 parameter rows, 13 state and total rows and 4 scratch
#: rows in one block (:func:`_arena`), and the generation and environmental heat (T, n) of
#: :func:`step_inputs`, placed in the two slots after them.
_ARENA_ROWS = 34
_SLOT_P_GEN, _SLOT_Q_ENV = _ARENA_ROWS, _ARENA_ROWS + 1
#: Slot r starts (256 r) mod 4096 bytes into a page: 16 distinct cache-line-aligned offsets, and a
#: load of one row never lies 1-3 vector iterations (64-192 bytes) behind a store to another row
#: modulo 4 KiB (which would make it wait for that store: 4K aliasing); rows 16 slots apart share an
#: offset, which costs nothing (their accesses at one index are in the same iteration).
_SLOT_BYTES = 256


def aligned_empty(shape, offset: int) -> np.ndarray:
    """A C-contiguous float64 array whose first element lies ``offset`` bytes past a 4 KiB boundary."""
    nbytes = int(np.prod(shape)) * 8
    buf = np.empty(nbytes + 4096, np.uint8)
    start = (offset - buf.ctypes.data) % 4096
    return buf[start:start + nbytes].view(np.float64).reshape(shape)


def _arena(arrays, n: int, extra: int = 0) -> list[np.ndarray]:
    """Float64 copies of the (n,) ``arrays`` (scalars broadcast), and ``extra`` uninitialised rows, as
    rows of one block: row r starts ``(256 r) mod 4096`` bytes past a 4 KiB boundary (cache-line
    aligned, so that 64-byte vector loads do not straddle lines; see ``_SLOT_BYTES``). Arrays of
    4,096 satellites allocated one by one all start at the same offset in a page, or at arbitrary
    ones; a loop that reads ~35 of them at the same index then maps them onto the same L1 cache
    sets, or its loads wait on stores to another array 4 KiB away, and runs at half speed or worse
    (4K aliasing)."""
    rows = len(arrays) + extra
    stride = -(-n * 8 // 4096) * 4096 + _SLOT_BYTES  # bytes: each row one slot further in its page
    block = aligned_empty((rows, stride // 8), 0)
    for row, a in zip(block, arrays):
        row[:n] = a
    return [row[:n] for row in block]


def _advance_compiled(bp, state, tot, geo, k0, record_stride, records, p_gen_t, q_env_t, t_arr_t, c, k,
                      heat_max, heat_hot, heat_min, thot, target, e_min, e_max, coef, avail_t, bus_w, e_trace=None) -> None:
    p = bp.p
    n_t, n = p_gen_t.shape
    steps = np.arange(k0, k0 + n_t)
    rec_rows = np.full(n_t, -1, np.int64)
    if record_stride and records is not None:
        sel = np.nonzero(steps % record_stride == 0)[0]
        rec_rows[sel] = np.arange(sel.size)
    else:
        sel = np.zeros(0, np.int64)
    # the chunk's last step is always captured too: the state of the latest step (snapshots)
    last_row = int(rec_rows[n_t - 1]) if rec_rows[n_t - 1] >= 0 else sel.size
    rec_rows[n_t - 1] = last_row
    rec = np.zeros((8, sel.size + 1, n))
    s = tot.sums
    keys = ("bus", "heater", "compute", "charge", "from_battery", "req")
    rows = _arena([c, k, heat_max, heat_hot, heat_min, thot, target, bus_w, p["heater_w"], e_min, e_max, *coef,
                   state.t_k, state.e_j, *(s[key] for key in keys), tot.e_min_j, tot.t_min_k, tot.t_max_k, s["gen"],
                   s["env_heat"]], n, extra=4)
    assert len(rows) == _ARENA_ROWS  # the slots of p_gen_t and q_env_t follow these rows
    params, work, scratch = rows[:17], rows[17:30], rows[30:]
    hot = state.hot.copy()
    t_k, e_j, sb, sh, sc, sch, sfb, sr, e_lo, t_lo, t_hi, s_gen, s_env = work
    _kernel(force=True)(
        p_gen_t, q_env_t, *params, t_k, e_j, hot, sb, sh, sc, sch, sfb, sr, e_lo, t_lo, t_hi, rec_rows, rec,
        avail_t if avail_t is not None else np.ones((1, n)),
        e_trace if e_trace is not None else np.zeros((2, 0, n)), s_gen, s_env, *scratch,
    )
    # back into the state and the totals (copies: a block's arrays stay its own)
    state.t_k, state.e_j, state.hot = t_k.copy(), e_j.copy(), hot
    for key, arr in zip(keys, (sb, sh, sc, sch, sfb, sr)):
        s[key] = arr.copy()
    s["gen"], s["env_heat"] = s_gen.copy(), s_env.copy()
    tot.e_min_j, tot.t_min_k, tot.t_max_k = e_lo.copy(), t_lo.copy(), t_hi.copy()
    tot.t_final_k, tot.e_final_j = state.t_k, state.e_j
    tot.steps += n_t
    tot.last = {"p_load_w": rec[0, last_row].copy(), "p_compute_w": rec[1, last_row].copy(),
                "p_battery_w": rec[4, last_row].copy(), "p_curtailed_w": rec[3, last_row].copy(),
                "throttle": rec[7, last_row].astype(np.int8), "p_gen_w": p_gen_t[n_t - 1].copy()}
    full = p["n_acc"] * p["p_acc_w"]
    for r, j in enumerate(sel):
        records.append({
            "step": np.full(n, k0 + j, np.int64),
            "satellite": np.arange(bp.start, bp.start + n, dtype=np.int64),
            "illumination": geo.illumination[:, j].copy(),
            "array_temp_k": t_arr_t[j].copy(),
            "p_gen_w": p_gen_t[j].copy(),
            "p_load_w": rec[0, r].copy(),
            "p_compute_w": rec[1, r].copy(),
            "p_heater_w": rec[2, r].copy(),
            "p_curtailed_w": rec[3, r].copy(),
            "p_battery_w": rec[4, r].copy(),
            "soc": np.divide(rec[5, r], p["capacity_j"], out=np.zeros(n), where=p["capacity_j"] > 0),
            "t_k": rec[6, r].copy(),
            "utilisation": np.divide(rec[1, r], full, out=np.zeros(n), where=full > 0),
            "throttle": rec[7, r].astype(np.int8),
        })


def advance(
    bp: BusParams, state: BusState, tot: BusTotals, geo: Geometry, step_s: float, k0: int,
    record_stride: int = 0, records: list | None = None, use_kernel: bool | None = None,
    avail_t: np.ndarray | None = None, demand_t: np.ndarray | None = None, cap_t: np.ndarray | None = None,
    bus_w: np.ndarray | None = None, pre: tuple | None = None, e_trace: np.ndarray | None = None,
) -> None:
    """Advance ``state`` through one chunk and add to ``tot`` (both modified in place).

    ``use_kernel``: the compiled loop (default when numba imports) or the NumPy loop (the reference);
    both give bit-identical results. The compute target of each step is the design's full compute
    scaled by up to three factors, each (T, n) in [0, 1] and each accounted on its own:

    * ``avail_t``: fraction of each satellite's accelerators available (faults): the rest is fault loss;
    * ``cap_t``: the operator's limit (power cap, safe mode, reboots; see :mod:`orbitcloud.sim.actions`):
      the rest is operator-limited;
    * ``demand_t``: fraction of the remaining compute the workloads ask for: the rest is idle.

    ``bus_w`` (n,): the bus load of this chunk when it differs from the design's (safe mode); the
    unmet bus energy is then counted against it. ``pre``: :func:`step_inputs` of these columns, when
    the caller computed them for a longer chunk (the workload layer steps one column at a time).
    ``e_trace`` (2, T, n): filled with the battery energy [J] and the node temperature [K] after
    every step (battery ageing, :mod:`orbitcloud.bus.ageing`).
    """
    n = len(bp)
    s_ = tot.sums
    n_t = geo.illumination.shape[1]
    if bus_w is not None or "bus_req" in s_:
        if "bus_req" not in s_:
            s_["bus_req"] = bp.p["bus_w"] * tot.steps  # the chunks before the first override
        s_["bus_req"] = s_["bus_req"] + (bp.p["bus_w"] if bus_w is None else bus_w) * n_t
    if demand_t is None and cap_t is None and "capped" not in s_ and "offered" not in s_:
        return _advance(bp, state, tot, geo, step_s, k0, record_stride, records, use_kernel, avail_t, bus_w=bus_w, pre=pre,
                        e_trace=e_trace)
    # each sum starts, when it first appears mid-run, as the one before it (its factor was 1 until then)
    if "avail" not in s_:
        s_["avail"] = np.full(n, float(tot.steps))
    if cap_t is not None and "capped" not in s_:
        s_["capped"] = s_["avail"].copy()
    if demand_t is not None and "offered" not in s_:
        s_["offered"] = s_.get("capped", s_["avail"]).copy()
    ones = None
    eff = avail_t
    accumulate_rows(s_["avail"], eff if eff is not None else (ones := np.ones((n_t, n))))
    for key, factor in (("capped", cap_t), ("offered", demand_t)):
        if key not in s_:
            continue
        if factor is not None:
            eff = factor if eff is None else eff * factor
        if eff is None:
            ones = np.ones((n_t, n)) if ones is None else ones
        accumulate_rows(s_[key], eff if eff is not None else ones)
    eff = None if eff is None else np.ascontiguousarray(eff, dtype=np.float64)
    return _advance(bp, state, tot, geo, step_s, k0, record_stride, records, use_kernel, eff, count_avail=False, bus_w=bus_w,
                    pre=pre, e_trace=e_trace)


def step_inputs(bp: BusParams, geo: Geometry, with_array_temp: bool) -> tuple:
    """The state-independent inputs of a chunk, time-major (T, n): generation [W], absorbed
    environmental heat [W] and, when asked, the array temperature [K] (else None). Computed in column
    groups that stay in cache; every value is pointwise, so a slice of them is what the same columns
    alone would give."""
    n, n_t = geo.illumination.shape
    # in the compiled step's cache slots after its per-satellite rows (see _arena)
    p_gen_t = aligned_empty((n_t, n), _SLOT_P_GEN * _SLOT_BYTES % 4096)
    q_env_t = aligned_empty((n_t, n), _SLOT_Q_ENV * _SLOT_BYTES % 4096)
    t_arr_t = np.empty((n_t, n)) if with_array_temp else None
    if _kernel() is not None:
        _inputs_compiled(bp, geo, p_gen_t, q_env_t, t_arr_t)
        return p_gen_t, q_env_t, t_arr_t
    for a in range(0, n_t, _COLS):
        b = min(n_t, a + _COLS)
        g, qe, ta = chunk_inputs(bp, geo.columns(a, b))
        p_gen_t[a:b] = g.T
        q_env_t[a:b] = qe.T
        if t_arr_t is not None:
            t_arr_t[a:b] = ta.T
    return p_gen_t, q_env_t, t_arr_t


def _inputs_compiled(bp: BusParams, geo: Geometry, p_gen_t, q_env_t, t_arr_t) -> None:
    """:func:`chunk_inputs` by the compiled element loop (:func:`orbitcloud.bus.kernel.inputs_chunk`),
    in the same column groups; the aged efficiency (exp, log1p) stays NumPy's, so the bits agree."""
    from orbitcloud.bus.kernel import inputs_chunk
    from orbitcloud.constants import EARTH_ALBEDO, EARTH_OLR_W_M2, STEFAN_BOLTZMANN_W_M2_K4

    p = bp.p
    n, n_t = geo.illumination.shape
    f64 = lambda a: np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)))  # noqa: E731
    computed = np.ascontiguousarray(np.isnan(bp.array_temp_k))
    fixed_t = np.where(computed, 0.0, bp.array_temp_k)
    per_sat = (
        computed, f64(fixed_t), f64(p["temp_coeff_per_k"]), f64(p["t_ref_k"]), f64(p["array_absorptance"]),
        f64(p["array_emissivity"]), f64(bp.array_view_factor), f64(p["array_area_m2"] * p["packing"]),
        f64(p["radiator_area_m2"]), f64(p["absorptance"]), f64(p["ir_absorptance"]), f64(p["sides"] * bp.view_factor),
        f64(p["sun_view"]),
    )
    # the ageing factor (1 - d)^age depends on the satellite only through (age, d): evaluated once
    # per distinct pair (a fleet has a handful), with the operations of chunk_inputs
    log_keep = np.log1p(-p["degradation_per_yr"])
    age0 = np.asarray(p["age_yr"], dtype=np.float64)
    if n and (age0 == age0[0]).all() and (log_keep == log_keep[0]).all():
        pairs, group = np.stack([age0[:1], log_keep[:1]], axis=1), np.zeros(n, np.int64)
    else:
        pairs, group = np.unique(np.stack([age0, log_keep], axis=1), axis=0, return_inverse=True)
        group = np.ascontiguousarray(group.reshape(-1), dtype=np.int64)
    empty = np.zeros((0, 0))
    for a in range(0, n_t, _COLS_COMPILED):
        b = min(n_t, a + _COLS_COMPILED)
        g = geo.columns(a, b)
        keep = np.exp((pairs[:, :1] + g.t_s[None, :] / power.SECONDS_PER_YEAR) * pairs[:, 1:])
        inputs_chunk(
            g.illumination, g.cos_zenith, np.ones((1, b - a)) if g.cos_incidence is None else g.cos_incidence,
            np.ascontiguousarray(g.irradiance_w_m2, dtype=np.float64), keep, group, f64(p["eta_ref"]), *per_sat,
            EARTH_OLR_W_M2, EARTH_ALBEDO, STEFAN_BOLTZMANN_W_M2_K4, a, p_gen_t, q_env_t,
            t_arr_t if t_arr_t is not None else empty,
        )


def _plain_step(t_k, e_j, hot, qe, p_gen, tgt, c, heat_max, hot_drop, heat_min, heater_max, bus_w, e_min, e_max,
                eta_c, eta_d, dt, coef, k, thot):
    """One step of the NumPy loop below without station-keeping (the same operations): the shadow
    bus that measures the compute station-keeping costs. Returns ``(t_k, e_j, hot, compute_w)``."""
    base = (c * t_k + qe) + bus_w
    cap = np.maximum((heat_max - hot * hot_drop) - base, 0.0)
    req = np.minimum(tgt, cap)
    heat_req = np.minimum(np.maximum((heat_min - base) - req, 0.0), heater_max)
    bus, heater, comp, _, _, _, e_j, loss = power.serve_loads(p_gen, bus_w, heat_req, req, e_j, e_min, e_max, eta_c, eta_d, dt, coef)
    t_k = thermal.implicit_step(t_k, (((qe + bus) + heater) + comp) + loss, k, c)
    hot = (hot & (t_k >= thot)) | (~hot & (req < tgt))
    return t_k, e_j, hot, comp


def _advance(bp, state, tot, geo, step_s, k0, record_stride, records, use_kernel, avail_t, count_avail=True, bus_w=None,
             pre=None, e_trace=None) -> None:
    p = bp.p
    n, n_t = geo.illumination.shape
    p_gen_t, q_env_t, t_arr_t = step_inputs(bp, geo, bool(record_stride)) if pre is None else pre
    s = tot.sums
    if avail_t is not None and count_avail:
        s.setdefault("avail", np.zeros(n))
        accumulate_rows(s["avail"], avail_t)
    dt = step_s
    k = np.maximum(p["sides"] * p["radiator_area_m2"] * p["emissivity"] * thermal.SIGMA, 1e-30)
    c = p["capacitance_j_k"] / dt
    tmax = p["t_max_k"]
    thot = tmax - p["hysteresis_k"]
    heat_max = thermal.heat_for_temperature_w(0.0, tmax, k, c)  # minus c T0 gives the step's budget
    heat_hot = thermal.heat_for_temperature_w(0.0, thot, k, c)
    heat_min = thermal.heat_for_temperature_w(0.0, p["t_min_k"], k, c)
    target = p["n_acc"] * p["p_acc_w"] * p["utilisation"]
    bus_w = p["bus_w"] if bus_w is None else bus_w
    heater_max = p["heater_w"]
    e_min = p["soc_min"] * p["capacity_j"]
    e_max = p["soc_max"] * p["capacity_j"]
    eta_c, eta_d = p["eta_charge"], p["eta_discharge"]
    coef = power.battery_coefficients(eta_c, eta_d, dt)
    if use_kernel is None:
        use_kernel = _kernel() is not None
    if bp.sk is not None:
        use_kernel = False  # station-keeping runs the NumPy loop (the compiled one has no propulsion load)
    if not use_kernel:
        accumulate_rows(s["gen"], p_gen_t)
        accumulate_rows(s["env_heat"], q_env_t)
    else:  # the compiled loop accumulates these itself
        _advance_compiled(bp, state, tot, geo, k0, record_stride, records, p_gen_t, q_env_t, t_arr_t, c, k,
                          heat_max, heat_hot, heat_min, thot, target, e_min, e_max, coef, avail_t, bus_w, e_trace)
        return
    t_k, e_j, hot = state.t_k, state.e_j, state.hot
    s_bus, s_heater, s_comp, s_charge, s_fb, s_req = (s[key] for key in ("bus", "heater", "compute", "charge", "from_battery", "req"))
    e_lo, t_lo, t_hi = tot.e_min_j, tot.t_min_k, tot.t_max_k
    hot_drop = heat_max - heat_hot  # the latch lowers the cap by this much
    sk = bp.sk
    if sk is not None:
        from orbitcloud.bus import propulsion

        if tot.orbit is None:
            tot.orbit = {"sk_w": np.zeros(n), "sk_lost": np.zeros(n), "sk_fire": np.zeros(n), "a_min_m": state.a_m.copy(),
                         "samples": [], "shadow": [t_k.copy(), e_j.copy(), hot.copy()]}
        orb = tot.orbit
        a_sk, firing = state.a_m, state.firing
    ct0 = np.empty(n)
    base = np.empty(n)
    cap = np.empty(n)
    heat_req = np.empty(n)
    heat = np.empty(n)
    for j in range(n_t):
        qe = q_env_t[j]
        np.multiply(c, t_k, out=ct0)
        np.add(ct0, qe, out=base)
        base += bus_w
        np.multiply(hot, hot_drop, out=cap)
        np.subtract(heat_max, cap, out=cap)
        cap -= base
        np.maximum(cap, 0.0, out=cap)
        tgt = target if avail_t is None else target * avail_t[j]
        req = np.minimum(tgt, cap)
        np.subtract(heat_min, base, out=heat_req)
        heat_req -= req
        np.maximum(heat_req, 0.0, out=heat_req)
        np.minimum(heat_req, heater_max, out=heat_req)
        if sk is None:
            bus, heater, comp, from_batt, charge, curt, e_j, loss = power.serve_loads(
                p_gen_t[j], bus_w, heat_req, req, e_j, e_min, e_max, eta_c, eta_d, dt, coef
            )
        else:
            if sk.sample_steps and (k0 + j) % sk.sample_steps == 0:
                orb["samples"].append(((k0 + j) * dt, a_sk.copy()))
            firing, sk_req = propulsion.sk_request_w(sk, a_sk, firing, geo.illumination[:, j])
            bus, heater, comp, from_batt, charge, curt, e_j, loss, sk_got = power.serve_loads(
                p_gen_t[j], bus_w, heat_req, req, e_j, e_min, e_max, eta_c, eta_d, dt, coef, extra_w=sk_req
            )
            frac, a_sk = propulsion.sk_update(sk, a_sk, sk_req, sk_got, dt)
            orb["sk_w"] += sk_got
            # the same satellite without station-keeping, stepped alongside: the compute it loses
            sh = orb["shadow"]
            sh[0], sh[1], sh[2], comp0 = _plain_step(
                sh[0], sh[1], sh[2], qe, p_gen_t[j], tgt, c, heat_max, hot_drop, heat_min, heater_max, bus_w,
                e_min, e_max, eta_c, eta_d, dt, coef, k, thot)
            orb["sk_lost"] += comp0 - comp
            orb["sk_fire"] += frac
            np.minimum(orb["a_min_m"], a_sk, out=orb["a_min_m"])
        np.add(qe, bus, out=heat)
        heat += heater
        heat += comp
        heat += loss
        t_k = thermal.implicit_step(t_k, heat, k, c)
        if e_trace is not None:
            e_trace[0, j] = e_j
            e_trace[1, j] = t_k
        hot = (hot & (t_k >= thot)) | (~hot & (req < tgt))
        s_bus += bus
        s_heater += heater
        s_comp += comp
        s_charge += charge
        s_fb += from_batt
        s_req += req
        np.minimum(e_lo, e_j, out=e_lo)
        np.minimum(t_lo, t_k, out=t_lo)
        np.maximum(t_hi, t_k, out=t_hi)
        if record_stride and records is not None and (k0 + j) % record_stride == 0:
            code = np.where(req < tgt, THROTTLE_THERMAL, np.where(comp < req, THROTTLE_POWER, THROTTLE_NONE)).astype(np.int8)
            full = p["n_acc"] * p["p_acc_w"]
            records.append({
                "step": np.full(n, k0 + j, np.int64),
                "satellite": np.arange(bp.start, bp.start + n, dtype=np.int64),
                "illumination": geo.illumination[:, j].copy(),
                "array_temp_k": t_arr_t[j].copy(),
                "p_gen_w": p_gen_t[j].copy(),
                "p_load_w": bus + heater + comp if sk is None else (bus + heater + comp) + sk_got,
                "p_compute_w": comp,
                "p_heater_w": heater,
                "p_curtailed_w": curt,
                "p_battery_w": from_batt - charge,
                "soc": np.divide(e_j, p["capacity_j"], out=np.zeros(n), where=p["capacity_j"] > 0),
                "t_k": t_k.copy(),
                "utilisation": np.divide(comp, full, out=np.zeros(n), where=full > 0),
                "throttle": code,
            })
        if j == n_t - 1:
            code = np.where(req < tgt, THROTTLE_THERMAL, np.where(comp < req, THROTTLE_POWER, THROTTLE_NONE)).astype(np.int8)
            tot.last = {"p_load_w": bus + heater + comp if sk is None else (bus + heater + comp) + sk_got, "p_compute_w": comp.copy(), "p_battery_w": from_batt - charge,
                        "p_curtailed_w": curt.copy(), "throttle": code, "p_gen_w": p_gen_t[j].copy()}
    state.t_k, state.e_j, state.hot = t_k, e_j, hot
    if sk is not None:
        state.a_m, state.firing = a_sk, firing
    tot.t_final_k, tot.e_final_j = t_k, e_j
    tot.steps += n_t
