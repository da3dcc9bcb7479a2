"""Fault models and the dose-driven fault-event generator (``orbitcloud.ops.faults``).

References used here (independent of the code under test):

* the published Suncatcher figures (TPU v6e, 67 MeV protons; Google Research blog 4 Nov 2025, arXiv
  2511.19468), typed in here: 1 HBM uncorrectable error per 50 rad, 1 host crash per 400-450 rad, 1 SDC
  per 107 rad (first test) to 17 rad (re-test), at the 150 rad/yr of their shielded orbit;
* the Llama 3 interruption count (arXiv 2407.21783, table 5): 419 in 54 days on 16,384 H100;
* closed forms: Poisson counts (mean = variance = lambda x exposure, chi-square of the dispersion index,
  chi-square goodness of fit to the Poisson pmf), the alternating-renewal unavailability
  lambda R / (1 + lambda R) of a device that is down for R after each event and takes no event while
  down, the Weibull failure fraction 1 - exp(-(t/eta)^k), the binomial spread of a failed fraction;
* hand-computed availability of deterministic TID failures with and without spares;
* the event list itself: downtime recomputed from the events must equal the generator's availability.

Statistical checks use fixed seeds, so they are deterministic; their tolerances are stated as multiples
of the standard error (4 sigma, or chi-square quantiles at 1e-4) next to each assertion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from orbitcloud import catalog
from orbitcloud.ops.faults import (
    KIND_CODES,
    KINDS,
    FaultModel,
    FaultModelError,
    FaultState,
    advance_faults,
    concat_events,
    fault_catalog,
    resolve_faults,
    uniform_hash,
)

YEAR_S = 365.25 * 86400.0
RAD_PER_YR = 150.0  # Suncatcher: 750 rad(Si) over 5 years behind their shielding
UECC, SDC, SEFI = KIND_CODES["uecc"], KIND_CODES["sdc"], KIND_CODES["sefi"]
TID_DEGRADE, TID_FAIL, PERMANENT, SPARE_IN = (KIND_CODES[k] for k in ("tid_degrade", "tid_fail", "permanent", "spare_in"))

NO_BASELINE = {"permanent": {"per_device_hour": 0.0}}


def _run(state, dose, flux=None, cuts=None):
    """Advance through ``dose`` (n, T) in chunks ending at ``cuts``; events and availability."""
    n_t = dose.shape[1]
    bounds = [0, *(cuts or []), n_t]
    parts, avail = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        ev, av = advance_faults(state, dose[:, a:b], None if flux is None else flux[:, a:b])
        parts.append(ev)
        avail.append(av)
    return concat_events(parts), np.concatenate(avail, axis=1)


def _count(events, kind):
    return int((events["kind"] == kind).sum())


# --------------------------------------------------------------------------------------------------
# catalog and the published arithmetic
# --------------------------------------------------------------------------------------------------


def test_catalog_covers_the_accelerators_and_cites_sources():
    faults = fault_catalog()
    accelerators = catalog.load("accelerators")
    for name in ("h100-sxm", "h200-sxm", "b200", "tpu-v6e", "jetson-agx-orin-64", "three-body-744"):
        assert name in faults
    for name, entry in faults.items():
        assert name in accelerators, f"faults.yaml has {name}, which accelerators.yaml does not know"
        assert entry["source"] and entry["assumptions"]
        model = resolve_faults(name)
        assert model.tid.fail_rad is None or model.tid.fail_rad >= 15000.0  # no hard failure seen to 15 krad
    # every device but the tested TPU says its radiation figures are assumptions
    for name in faults:
        if name != "tpu-v6e":
            assert "assum" in faults[name]["assumptions"].lower()


def test_suncatcher_arithmetic_at_150_rad_per_year():
    tpu = resolve_faults("tpu-v6e")
    # 1 uncorrectable HBM error per 50 rad -> 3 per chip-year
    assert tpu.uecc.per_rad * RAD_PER_YR == pytest.approx(150.0 / 50.0, rel=1e-9)
    assert tpu.uecc.per_rad * RAD_PER_YR == pytest.approx(3.0)
    # host crash 1 per 400-450 rad -> 0.333..0.375 per chip-year; central 1/425 -> 0.353
    sefi = tpu.sefi.per_rad * RAD_PER_YR
    assert 150.0 / 450.0 <= sefi <= 150.0 / 400.0
    assert sefi == pytest.approx(150.0 / 425.0, rel=1e-4)
    assert tpu.sefi.per_rad_low * RAD_PER_YR == pytest.approx(150.0 / 450.0, rel=1e-4)
    assert tpu.sefi.per_rad_high * RAD_PER_YR == pytest.approx(150.0 / 400.0, rel=1e-4)
    # the "about 0.7 host interrupts per year" is twice the per-chip figure: two chips per host
    assert 2.0 * sefi == pytest.approx(0.7, abs=0.01)
    assert abs(sefi - 0.7) > 0.3
    # SDC 1 per 107 rad .. 1 per 17 rad -> 1.40 .. 8.82 per chip-year; central = geometric mean 3.52
    assert tpu.sdc.per_rad_low * RAD_PER_YR == pytest.approx(150.0 / 107.0, rel=1e-4)
    assert tpu.sdc.per_rad_high * RAD_PER_YR == pytest.approx(150.0 / 17.0, rel=1e-4)
    assert tpu.sdc.per_rad * RAD_PER_YR == pytest.approx(150.0 / math.sqrt(107.0 * 17.0), rel=1e-4)
    assert 1.40 < tpu.sdc.per_rad * RAD_PER_YR < 8.82
    # thresholds: irregularities from 2 krad, no hard failure to 15 krad
    assert tpu.tid.degrade_rad == 2000.0
    assert tpu.tid.fail_rad >= 15000.0
    # a 5-year mission (750 rad) stays below both
    assert 5 * RAD_PER_YR < tpu.tid.degrade_rad


def test_llama3_permanent_rate():
    per_gpu_hour = 419.0 / (54 * 24 * 16384)
    assert per_gpu_hour == pytest.approx(1.973e-5, rel=1e-3)  # "about 2e-5 per GPU-hour"
    permanent_fraction = 0.301 + 0.172  # faulty GPU + GPU HBM3 memory (table 5 percentages)
    h100 = resolve_faults("h100-sxm")
    assert h100.permanent.per_device_hour == pytest.approx(permanent_fraction * per_gpu_hour, rel=1e-3)
    assert h100.permanent.scale_s == pytest.approx(3600.0 / h100.permanent.per_device_hour)


def test_memory_scaling_of_uecc():
    tpu = resolve_faults("tpu-v6e").uecc.per_rad
    acc = catalog.load("accelerators")
    for name in ("h100-sxm", "h200-sxm", "b200", "jetson-agx-orin-64", "three-body-744"):
        expected = tpu * float(acc[name]["memory_b"]) / float(acc["tpu-v6e"]["memory_b"])  # YAML reads 80.0e9 as text
        assert resolve_faults(name).uecc.per_rad == pytest.approx(expected, rel=1e-4), name


# --------------------------------------------------------------------------------------------------
# the generator against closed forms
# --------------------------------------------------------------------------------------------------


def test_generator_means_at_150_rad_per_year():
    """20,000 chip-years at a constant 150 rad/yr: counts per chip-year vs the published rates."""
    n, dev, years = 500, 8, 5
    model = resolve_faults("tpu-v6e", NO_BASELINE)
    state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=2025, step_s=86400.0)
    n_t = int(round(years * 365.25))
    dose = np.full((n, n_t), RAD_PER_YR * 86400.0 / YEAR_S)
    events, avail = _run(state, dose, cuts=[400, 1000])
    chip_years = n * dev * n_t * 86400.0 / YEAR_S
    # events are dropped while a device reboots: expected count = rate x dose received while up
    up_rad = float((avail * dose).sum() * dev)
    for kind, per_rad, published in ((UECC, 1 / 50, 3.0), (SDC, 1 / math.sqrt(107 * 17), 3.517), (SEFI, 1 / 425, 0.353)):
        count = _count(events, kind)
        expected = per_rad * up_rad
        assert abs(count - expected) < 4.0 * math.sqrt(expected), (KINDS[kind], count, expected)  # 4 sigma
        # the published per-chip-year figure, within 4 sigma of the count (+0.1 % for the rounded central values)
        assert count / chip_years == pytest.approx(published, rel=4.0 / math.sqrt(count) + 1e-3)
    assert _count(events, TID_DEGRADE) == _count(events, TID_FAIL) == _count(events, PERMANENT) == 0
    # every event at the dose clock of its time: dose_rad / t_s = the constant dose rate
    rate = events["dose_rad"] / events["t_s"]
    assert np.allclose(rate, RAD_PER_YR / YEAR_S, rtol=1e-9)


def test_zero_dose_gives_no_dose_driven_events():
    n = 50
    model = resolve_faults("h100-sxm", NO_BASELINE)
    state = FaultState.initial(np.arange(n), np.full(n, 8), np.full(n, 2), model, seed=7, step_s=3600.0)
    events, avail = _run(state, np.zeros((n, 2000)), cuts=[1000])
    assert events["kind"].size == 0
    assert np.all(avail == 1.0)
    # the baseline (time) process still runs at zero dose, and nothing else does
    state = FaultState.initial(np.arange(n), np.full(n, 8), np.full(n, 2), resolve_faults("h100-sxm"), seed=7, step_s=3600.0)
    events, _ = _run(state, np.zeros((n, 2000)))
    assert set(np.unique(events["kind"])) <= {PERMANENT, SPARE_IN}
    assert _count(events, PERMANENT) > 0
    assert np.all(events["dose_rad"] == 0.0)


def test_poisson_statistics_over_seeds():
    """Counts per device and year at 150 rad/yr over 20 seeds x 200 devices: mean, dispersion, pmf."""
    model = resolve_faults("tpu-v6e", {**NO_BASELINE, "uecc": {"recovery_s": 0.0}, "sefi": {"recovery_s": 0.0}})
    n, dev, n_t = 50, 4, 365
    dose = np.full((n, n_t), RAD_PER_YR / n_t)
    counts = []
    for seed in range(20):
        state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=seed, step_s=86400.0)
        ev, avail = advance_faults(state, dose)
        assert np.all(avail == 1.0)  # no downtime in this model
        sel = ev["kind"] == UECC
        counts.append(np.bincount(ev["sat"][sel] * dev + ev["device"][sel], minlength=n * dev))
    x = np.concatenate(counts)
    mu, size = 3.0, x.size  # 150 rad / 50 rad
    assert abs(x.mean() - mu) < 4.0 * math.sqrt(mu / size)  # 4 sigma of the mean
    # dispersion index sum (x - mean)^2 / mean ~ chi2(N - 1) for Poisson counts; 1e-4 two-sided quantiles
    d = ((x - x.mean()) ** 2).sum() / x.mean()
    assert stats.chi2.ppf(5e-5, size - 1) < d < stats.chi2.ppf(1 - 5e-5, size - 1)
    assert x.var(ddof=1) / x.mean() == pytest.approx(1.0, abs=0.1)
    # goodness of fit to the Poisson pmf, bins 0..8 and >= 9
    observed = np.bincount(np.minimum(x, 9), minlength=10)
    pmf = stats.poisson.pmf(np.arange(9), mu)
    expected = size * np.append(pmf, 1.0 - pmf.sum())
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, 9) > 1e-4


def test_reboot_downtime_matches_renewal_closed_form():
    """SEFI with recovery R at rate lam: unavailability lam R / (1 + lam R) (~ lam R for small lam R)."""
    recovery_s = 300.0
    model = resolve_faults("tpu-v6e", {**NO_BASELINE, "uecc": {"per_rad": 0.0}, "sdc": {"per_rad": 0.0},
                                        "sefi": {"recovery_s": recovery_s}, "tid": {"degrade_rad": None, "fail_rad": None}})
    lam_s = 0.05 / recovery_s  # lam R = 0.05
    dose_rate = lam_s / model.sefi.per_rad  # rad/s (synthetic, to make the effect measurable)
    n, dev, step, n_t = 250, 4, 60.0, 3334
    state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=11, step_s=step)
    events, avail = _run(state, np.full((n, n_t), dose_rate * step), cuts=[1111, 2222])
    unavail = 1.0 - avail.mean()
    closed = lam_s * recovery_s / (1.0 + lam_s * recovery_s)
    n_ev = _count(events, SEFI)
    assert abs(unavail - closed) < 4.0 * closed / math.sqrt(n_ev)  # 4 sigma of the event count
    assert unavail == pytest.approx(lam_s * recovery_s, rel=0.1)  # first order: rate x recovery
    # exact bookkeeping: downtime from the events (truncated at the end) = generator's downtime
    t_end = n_t * step
    down_events = np.minimum(recovery_s, t_end - events["t_s"][events["kind"] == SEFI]).sum()
    down_avail = ((1.0 - avail) * dev * step).sum()
    assert down_avail == pytest.approx(down_events, rel=1e-9)
    # no SEFI while the device reboots
    sel = events["kind"] == SEFI
    key = events["sat"][sel] * dev + events["device"][sel]
    t = events["t_s"][sel]
    order = np.lexsort((t, key))
    gaps = np.diff(t[order])[np.diff(key[order]) == 0]
    assert gaps.min() >= recovery_s


def test_cross_section_mode_and_tid_degradation():
    sigma_cm2, flux = 2e-9, 1.0e3  # events per proton/cm2; protons cm^-2 s^-1 -> 2e-6 events/s
    model = resolve_faults("tpu-v6e", {**NO_BASELINE, "uecc": {"recovery_s": 0.0},
                                        "sefi": {"cross_section_cm2": sigma_cm2, "recovery_s": 0.0}})
    n, dev, step, n_t = 100, 8, 600.0, 1000
    state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=3, step_s=step)
    dose = np.full((n, n_t), 4000.0 / n_t)  # 4 krad over the run: degradation at 2 krad (half-way)
    events, _ = _run(state, dose, np.full((n, n_t), flux), cuts=[333])
    expected = sigma_cm2 * flux * n_t * step * n * dev
    assert abs(_count(events, SEFI) - expected) < 4.0 * math.sqrt(expected)
    # every device degrades once, when its dose reaches 2 krad, and uecc doubles from then on
    deg = events["kind"] == TID_DEGRADE
    assert deg.sum() == n * dev
    assert np.allclose(events["dose_rad"][deg], 2000.0, rtol=1e-12)
    u = events["kind"] == UECC
    before = (events["dose_rad"][u] < 2000.0).sum()
    after = u.sum() - before
    exp_before, exp_after = 0.02 * 2000.0 * n * dev, 2.0 * 0.02 * 2000.0 * n * dev
    assert abs(before - exp_before) < 4.0 * math.sqrt(exp_before)
    assert abs(after - exp_after) < 4.0 * math.sqrt(exp_after)
    # without the flux the model is refused
    state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=3, step_s=step)
    with pytest.raises(FaultModelError, match="proton_flux_cm2_s"):
        advance_faults(state, dose)


def test_weibull_and_exponential_baseline_failures():
    """Failed fraction at each month of a zero-dose year vs 1 - exp(-(t/eta)^k) (4 binomial sigma)."""
    n, dev, step, n_t = 1000, 20, YEAR_S / 12, 12
    for perm in ({"per_device_hour": 9.33e-6}, {"weibull_scale_hour": 12000.0, "weibull_shape": 2.0}):
        model = resolve_faults("h100-sxm", {"permanent": perm})
        state = FaultState.initial(np.arange(n), np.full(n, dev), np.zeros(n, dtype=int), model, seed=5, step_s=step)
        events, avail = advance_faults(state, np.zeros((n, n_t)))
        t_fail = np.sort(events["t_s"][events["kind"] == PERMANENT])
        size = n * dev
        eta_h = perm.get("weibull_scale_hour", 1.0 / perm.get("per_device_hour", 1.0))
        k = perm.get("weibull_shape", 1.0)
        for month in range(1, 13):
            t = month * step
            p = 1.0 - math.exp(-((t / 3600.0 / eta_h) ** k))
            got = np.searchsorted(t_fail, t) / size
            assert abs(got - p) < 4.0 * math.sqrt(p * (1 - p) / size) + 1e-12, (perm, month, got, p)
        # no spares: every failed device is lost, and the last month's capacity loss is their downtime in it
        assert int(state.devices_lost.sum()) == t_fail.size
        lost_last = np.clip((n_t * step - t_fail) / step, 0.0, 1.0).sum()
        assert ((1.0 - avail[:, -1]) * dev).sum() == pytest.approx(lost_last, rel=1e-9)


# --------------------------------------------------------------------------------------------------
# spares
# --------------------------------------------------------------------------------------------------


def _tid_cliff(spare_dose_factor: float) -> FaultModel:
    return resolve_faults("tpu-v6e", {
        **NO_BASELINE, "uecc": {"per_rad": 0.0}, "sdc": {"per_rad": 0.0}, "sefi": {"per_rad": 0.0},
        "tid": {"degrade_rad": None, "fail_rad": 100.0, "spread_ln": 0.0, "spare_dose_factor": spare_dose_factor},
    })


def test_spares_restore_capacity_after_the_delay():
    """Two devices lost at 100 rad (end of step 9, t = 1000 s); spares working 250 s later."""
    step, delay = 100.0, 250.0
    dose = np.zeros((3, 30))
    dose[:, :10] = 10.0  # 100 rad in 10 steps, then nothing
    state = FaultState.initial(np.arange(3), [2, 2, 2], [2, 1, 0], _tid_cliff(0.0), seed=1, step_s=step, spare_delay_s=delay)
    events, avail = _run(state, dose, cuts=[10, 12])
    expected = np.ones((3, 30))
    expected[0, 10:12], expected[0, 12] = 0.0, 0.5  # installed at 1250 s: half of step 12 working
    expected[1, 10:12], expected[1, 12], expected[1, 13:] = 0.0, 0.25, 0.5  # one spare for two losses
    expected[2, 10:] = 0.0  # no spares: capacity gone for good
    assert np.allclose(avail, expected, rtol=0, atol=1e-12)
    fails = events["kind"] == TID_FAIL
    assert fails.sum() == 6 and np.all(events["t_s"][fails] == 1000.0)
    ins = events["kind"] == SPARE_IN
    assert np.all(events["t_s"][ins] == 1250.0)
    assert list(np.bincount(events["sat"][ins], minlength=3)) == [2, 1, 0]
    assert list(state.spares_used) == [2, 1, 0] and list(state.devices_lost) == [0, 1, 2]
    # the spare received no dose in storage (factor 0): its own 100 rad come at 200 rad satellite dose
    assert np.all(state.tid_fail_rad[state.generation == 1] == 200.0)


def test_irradiated_spares_fail_on_installation():
    """A spare that received the full satellite dose is past its failure dose when installed."""
    dose = np.zeros((1, 30))
    dose[:, :10] = 10.0
    state = FaultState.initial(np.arange(1), [1], [3], _tid_cliff(1.0), seed=1, step_s=100.0, spare_delay_s=250.0)
    events, avail = advance_faults(state, dose)
    assert list(events["kind"]) == [TID_FAIL] + [SPARE_IN, TID_FAIL] * 3
    assert np.allclose(events["t_s"], [1000.0, 1250.0, 1250.0, 1500.0, 1500.0, 1750.0, 1750.0])
    assert list(events["generation"]) == [0, 1, 1, 2, 2, 3, 3]
    assert np.all(avail[0, 10:] == 0.0) and int(state.spares_left[0]) == 0


# --------------------------------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------------------------------


def _busy_models():
    """Two models with every kind of event in a week of 600-s steps, plus a cross-section model."""
    common = {
        "permanent": {"per_device_hour": 1e-3},
        "tid": {"degrade_rad": 300.0, "fail_rad": 1500.0, "spread_ln": 0.3, "spare_dose_factor": 0.5},
        "sefi": {"recovery_s": 2500.0},  # > 4 steps: reboots cross chunk boundaries
    }
    a = resolve_faults("tpu-v6e", common)
    b = resolve_faults("h100-sxm", {**common, "uecc": {"per_rad": 0.01, "recovery_s": 900.0}})
    c = resolve_faults("b200", {**common, "sefi": {"per_rad": 0.0, "cross_section_cm2": 1e-6, "recovery_s": 700.0}})
    return a, b, c


def _busy_run(sats: np.ndarray, cuts):
    n_all, n_t = 60, 1000
    a, b, c = _busy_models()
    models = [(a, b, c)[i % 3] for i in sats]
    rng = np.random.default_rng(42)  # the inputs only; the generator has its own hash
    dose = rng.uniform(0.0, 4.0, (n_all, n_t))
    dose[:, 500:520] = 0.0  # a quiet stretch
    flux = rng.uniform(0.0, 10.0, (n_all, n_t))
    state = FaultState.initial(sats, 1 + sats % 5, sats % 3, models, seed=99, step_s=600.0,
                               spare_delay_s=np.where(sats % 2 == 0, 1800.0, 0.0))
    return _run(state, dose[sats], flux[sats], cuts)


def _identical(x: np.ndarray, y: np.ndarray) -> bool:
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def test_events_and_availability_do_not_depend_on_chunking_or_blocks():
    sats = np.arange(60)
    ref_ev, ref_av = _busy_run(sats, None)
    counts = np.bincount(ref_ev["kind"], minlength=len(KINDS))
    assert np.all(counts > 0), dict(zip(KINDS, counts))  # the run exercises every kind of event
    for cuts in ([100 * i for i in range(1, 10)], [1, 7, 64, 300, 628, 999], list(range(1, 1000))[::37]):
        ev, av = _busy_run(sats, cuts)
        assert all(_identical(ev[k], ref_ev[k]) for k in ref_ev), cuts
        assert _identical(av, ref_av), cuts
    # satellite blocks (any split, any order of processing) with global indices as the hash key
    parts, avs = [], {}
    for block in (np.arange(37, 60), np.arange(0, 13), np.arange(13, 37)):
        ev, av = _busy_run(block, [250, 251, 777])
        parts.append(ev)
        avs.update({int(s): av[i] for i, s in enumerate(block)})
    ev = concat_events(parts)
    assert all(_identical(ev[k], ref_ev[k]) for k in ref_ev)
    assert _identical(np.stack([avs[i] for i in range(60)]), ref_av)
    # the availability is the downtime the events describe (independent bookkeeping below)
    assert np.all((ref_av >= 0.0) & (ref_av <= 1.0))


def test_availability_equals_downtime_reconstructed_from_events():
    """Replay the events of the busy run device by device and integrate the downtime per step."""
    sats = np.arange(60)
    events, avail = _busy_run(sats, [123, 456])
    a, b, c = _busy_models()
    models = [(a, b, c)[i % 3] for i in sats]
    n_dev = 1 + sats % 5
    step, n_t = 600.0, 1000
    edges = np.arange(n_t + 1) * step
    down = np.zeros((60, n_t))

    def add(sat, t0, t1):
        t1 = min(t1, edges[-1])
        if t1 > t0:
            lo = np.clip(edges[:-1], t0, t1)
            hi = np.clip(edges[1:], t0, t1)
            down[sat] += (hi - lo) / step

    recovery = {UECC: lambda m: m.uecc.recovery_s, SDC: lambda m: m.sdc.recovery_s, SEFI: lambda m: m.sefi.recovery_s}
    keys = events["sat"] * 10 + events["device"]
    for key in np.unique(keys):
        sel = np.flatnonzero(keys == key)
        sat = int(key // 10)
        m = models[sat]
        down_since = None  # start of the present outage
        reboot_end = None
        for i in sel:
            kind, t = int(events["kind"][i]), float(events["t_s"][i])
            if reboot_end is not None and t >= reboot_end:
                add(sat, down_since, reboot_end)
                down_since = reboot_end = None
            if kind in recovery and recovery[kind](m) > 0:
                down_since, reboot_end = t, t + recovery[kind](m)
            elif kind in (TID_FAIL, PERMANENT):
                if down_since is None:
                    down_since = t
                reboot_end = None
            elif kind == SPARE_IN:
                add(sat, down_since, t)
                down_since = None
        if down_since is not None:
            add(sat, down_since, reboot_end if reboot_end is not None else math.inf)
    expected = 1.0 - down / n_dev[:, None]
    assert np.allclose(avail, expected, rtol=0, atol=1e-9)


def test_uniform_hash_is_a_pure_function_of_its_key():
    sat = np.arange(100_000) % 977
    dev = np.arange(100_000) // 977
    u = uniform_hash(5, sat, dev, 3, 7)
    assert np.all((u > 0.0) & (u < 1.0))
    assert np.array_equal(u[1234:5678], uniform_hash(5, sat[1234:5678], dev[1234:5678], 3, 7))
    assert not np.array_equal(u, uniform_hash(6, sat, dev, 3, 7))
    assert not np.array_equal(u, uniform_hash(5, sat, dev, 4, 7))
    # uniformity: chi-square over 100 bins (1e-4 quantile) and no lag-1 correlation
    hist = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(hist).pvalue > 1e-4
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4.0 / math.sqrt(u.size)


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, message",
    [
        ({"uecc": {"per_rad": -0.02}}, r"uecc\.per_rad: Input should be greater than or equal to 0"),
        ({"sefi": {"per_rad": 0.0, "cross_section_cm2": -1e-9}}, r"sefi\.cross_section_cm2"),
        ({"sefi": {"per_rad": 0.0025, "cross_section_cm2": 1e-9}}, r"per_rad .* or cross_section_cm2 .*not both"),
        ({"permanent": {"per_device_hour": 1e-6, "weibull_scale_hour": 1e5}}, r"per_device_hour or weibull_scale_hour"),
        ({"sefi": {"recovery_s": -1.0}}, r"sefi\.recovery_s"),
        ({"tid": {"fail_rad": -5.0}}, r"tid\.fail_rad: Input should be greater than 0"),
        ({"tid": {"degrade_rad": 0.0}}, r"tid\.degrade_rad"),
        ({"tid": {"degrade_rad": 20000.0}}, r"degrade_rad 20000 must be below fail_rad 15000"),
        ({"sdc": {"per_rad": 0.5}}, r"outside per_rad_low\.\.per_rad_high"),
        ({"permanent": {"per_device_hour": -1e-6}}, r"permanent\.per_device_hour"),
        ({"permanent": {"weibull_shape": 2.0}}, r"needs weibull_scale_hour"),
        ({"uecc": {"per_rads": 0.02}}, r"uecc\.per_rads: Extra inputs are not permitted"),
    ],
)
def test_bad_fault_models_are_refused(override, message):
    with pytest.raises(FaultModelError, match=message) as info:
        resolve_faults("tpu-v6e", override)
    assert info.value.args[0].startswith("fault model for tpu-v6e:")
    assert isinstance(info.value, ValueError)


def test_unknown_accelerator_lists_the_known_ones():
    with pytest.raises(FaultModelError, match=r"no fault model for accelerator 'h100'; known: b200, h100-sxm, h200-sxm"):
        resolve_faults("h100")


def test_bad_generator_input():
    model = resolve_faults("tpu-v6e")
    state = FaultState.initial(np.arange(3), [1, 2, 3], [0, 0, 0], model, seed=0, step_s=60.0)
    with pytest.raises(FaultModelError, match=r"dose_rad must have shape \(n_satellites=3, n_steps\)"):
        advance_faults(state, np.zeros((2, 5)))
    with pytest.raises(FaultModelError, match="dose_rad must be >= 0"):
        advance_faults(state, -np.ones((3, 5)))
    with pytest.raises(FaultModelError, match="dose_rad must be finite"):
        advance_faults(state, np.full((3, 5), np.nan))
    with pytest.raises(FaultModelError, match="chunk starts at step 4"):
        advance_faults(state, np.zeros((3, 5)), k0=4)
    with pytest.raises(FaultModelError, match="models must be one FaultModel or 3"):
        FaultState.initial(np.arange(3), [1, 2, 3], [0, 0, 0], [model], seed=0, step_s=60.0)
    with pytest.raises(FaultModelError, match="spares must be non-negative integers"):
        FaultState.initial(np.arange(3), [1, 2, 3], [0, -1, 0], model, seed=0, step_s=60.0)
    with pytest.raises(FaultModelError, match=r"n_devices must be one integer or one per satellite \(3\)"):
        FaultState.initial(np.arange(3), [1, 2], [0, 0, 0], model, seed=0, step_s=60.0)
    with pytest.raises(FaultModelError, match="step_s must be a positive"):
        FaultState.initial(np.arange(3), [1, 2, 3], [0, 0, 0], model, seed=0, step_s=0.0)
    with pytest.raises(FaultModelError, match="sat_index must not repeat"):
        FaultState.initial(np.array([0, 1, 1]), [1, 2, 3], [0, 0, 0], model, seed=0, step_s=60.0)
    with pytest.raises(FaultModelError, match="spare_delay_s must be finite"):
        FaultState.initial(np.arange(3), [1, 2, 3], [0, 0, 0], model, seed=0, step_s=60.0, spare_delay_s=-1.0)


def test_satellites_without_devices_empty_blocks_and_empty_chunks():
    model = resolve_faults("tpu-v6e")
    state = FaultState.initial(np.array([4, 9]), [0, 3], [1, 0], model, seed=0, step_s=60.0)
    events, avail = advance_faults(state, np.full((2, 0), 1.0))
    assert avail.shape == (2, 0) and events["kind"].size == 0 and state.next_step == 0
    events, avail = advance_faults(state, np.full((2, 50), 100.0))
    assert np.all(avail[0] == 1.0)  # nothing to lose
    assert np.all(events["sat"] == 9) and events["kind"].size > 0
    empty = FaultState.initial(np.zeros(0, dtype=int), [], [], model, seed=0, step_s=60.0)
    events, avail = advance_faults(empty, np.zeros((0, 10)))
    assert avail.shape == (0, 10) and events["kind"].size == 0
