"""The distributed training job (``orbitcloud.ops.training``) and its scenario section.

References used here (independent of the code under test):

* closed forms of the fault-free timeline: ``tokens = B x t_compute / t_step`` with the compute time
  of ``n`` whole cycles of ``tau`` compute + ``delta`` checkpoint write, written out in each test;
* the step time itself is typed in from first principles where it matters: ``6 N + 12 L T d`` FLOPs per
  token over ``n peak MFU``, ring all-reduce ``2 (p - 1)/p x 8 S / B`` (Patarasuk & Yuan 2009);
* Daly (2006, FGCS 22:303): expected wall time ``T_w = M e^{R/M} (e^{(tau + delta)/M} - 1) T_s / tau``
  of a job with exponential failures, typed in here, and its optimum interval;
* llm.c's published run: GPT-2 124M on 10 B tokens in about 45 min on 8 x H100 (karpathy/llm.c, as
  collected in design/REFERENCES.md).

Statistical checks use fixed seeds (deterministic); tolerances are stated next to each assertion.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from orbitcloud.errors import OrbitcloudError, ScenarioError
from orbitcloud.ops.faults import KIND_CODES
from orbitcloud.ops.training import DONE, PAUSED, RUN, STALLED, TrainingJob, job_satellites, training_params
from orbitcloud.scenario.training_schema import parse_training

UECC, SDC, SEFI, PERMANENT, SPARE_IN = (KIND_CODES[k] for k in ("uecc", "sdc", "sefi", "permanent", "spare_in"))
MINUTE_S = 60.0
GBPS = 1e9


def _spec(**kw):
    base = {"model": "gpt2-124m", "tokens": 1e15, "global_batch_tokens": 524288, "seq_len": 1024}
    base.update(kw)
    return parse_training(base)


def _params(accelerator="h100-sxm", devices=8, **kw):
    return training_params(_spec(**kw), accelerator, devices)


def _events(sat, kind, t_s, dt_s, device=0):
    sat, t = np.broadcast_arrays(np.atleast_1d(np.asarray(sat, dtype=np.int64)),
                                 np.atleast_1d(np.asarray(t_s, dtype=np.float64)))
    n = t.size
    return {
        "sat": sat.copy(), "device": np.full(n, device, dtype=np.int64),
        "kind": np.full(n, kind, dtype=np.int8), "step": np.floor(t / dt_s).astype(np.int64), "t_s": t.copy(),
        "seq": np.arange(n, dtype=np.int64),
    }


def _run(job, n_steps, dt_s, link_bps=100 * GBPS, known=None, speed=None, faults=None, k0=0):
    """Drive ``job`` for ``n_steps``; ``known``/``speed``/``faults``/``link_bps`` may be callables of k."""
    n = job.sats.size
    for k in range(k0, k0 + n_steps):
        kn = known(k) if callable(known) else (known or {})
        job.demand(kn)
        sp = speed(k) if callable(speed) else (np.ones(n) if speed is None else speed)
        fl = faults(k) if callable(faults) else None
        lb = link_bps(k) if callable(link_bps) else link_bps
        job.advance(k, k * dt_s, dt_s, sp, lb, fl)
    return job.summary()


def _cycle_compute_s(span_s, tau_s, delta_s):
    """Compute time in ``span_s`` of back-to-back cycles of tau compute + delta checkpoint."""
    n = math.floor(span_s / (tau_s + delta_s))
    return n * tau_s + min(span_s - n * (tau_s + delta_s), tau_s)


# --------------------------------------------------------------------------------------------------
# fault-free closed forms
# --------------------------------------------------------------------------------------------------


def test_step_time_from_first_principles():
    """4 satellites x 8 H100, ring over 32 devices at 100 Gbit/s: arithmetic + all-reduce, typed in."""
    p = _params()
    n_params, layers, d, seq = 124.44e6, 12, 768, 1024
    flops = (6 * n_params + 12 * layers * seq * d) * 524288
    compute = flops / (32 * 989e12 * 0.40)  # H100 bf16 dense peak, Llama 3 MFU 0.40
    comm = 2 * 31 / 32 * 8 * (2 * n_params) / 100e9
    assert p.perf.step_s(4, 8, 100e9) == pytest.approx(compute + comm, rel=1e-9)


@pytest.mark.parametrize("dt_s", [60.0, 7.0])
def test_no_faults_tokens_equal_duration_over_step(dt_s):
    """No faults, no constraints, no checkpoints: tokens = B x duration / t_step exactly."""
    p = _params(checkpoint={"interval": "none"})
    job = TrainingJob(p, np.arange(4), np.array([], dtype=int), seed=1, step_s=dt_s)
    n = int(round(3600.0 / dt_s))
    s = _run(job, n, dt_s)
    step = p.perf.step_s(4, 8, 100 * GBPS)
    assert s["tokens_trained"] == pytest.approx(524288 * n * dt_s / step, rel=1e-12)
    assert s["checkpoints"] == 0 and s["restarts"] == 0
    assert s["goodput"] == pytest.approx(1.0, abs=1e-12)
    tl = job.timeline()
    assert tl["tokens"].shape == (n,) and np.all(tl["state"] == RUN) and np.all(tl["active"] == 4)
    assert np.all(np.diff(tl["tokens"]) > 0)


def test_no_faults_fixed_interval_closed_form():
    """Fixed interval: tokens = B x (compute time of whole tau + delta cycles) / t_step."""
    p = _params(checkpoint={"interval": "10min", "write_gbps": 1.0})
    delta = 8 * 124.44e6 * 14 / (4 * 1e9)  # 14 B/parameter written by 4 satellites at 1 Gbit/s each
    job = TrainingJob(p, np.arange(4), np.array([], dtype=int), seed=1, step_s=60.0)
    duration = 6 * 3600.0
    s = _run(job, int(duration / 60), 60.0)
    step = p.perf.step_s(4, 8, 100 * GBPS)
    assert s["checkpoint_write_s"] == pytest.approx(delta, rel=1e-12)
    assert s["tokens_trained"] == pytest.approx(524288 * _cycle_compute_s(duration, 600.0, delta) / step, rel=1e-9)
    assert s["checkpoints"] == math.floor(duration / (600 + delta))
    assert s["checkpoint_overhead_fraction"] == pytest.approx(s["checkpoints"] * delta / duration, rel=1e-9)


def test_gpt2_124m_on_8_h100_takes_about_45_min():
    """llm.c: GPT-2 124M, 10 B tokens, ~45 min on 8 x H100 (within 25 %), through the job."""
    p = _params(tokens=10e9)
    job = TrainingJob(p, np.array([0]), np.array([], dtype=int), seed=3, step_s=60.0)
    s = _run(job, 200, 60.0, link_bps=0.0)  # one satellite: no ISL traffic, a broken ring does not matter
    assert s["done"] and not s["time_to_train_projected"]
    assert s["time_to_train_s"] == pytest.approx(45 * MINUTE_S, rel=0.25)
    assert s["tokens_trained"] == pytest.approx(10e9, rel=1e-12)
    assert 0.3 < s["mfu_achieved"] <= 0.40  # the catalog MFU minus checkpoint time
    tl = job.timeline()
    assert tl["state"][-1] == DONE and tl["tokens"][-1] == pytest.approx(10e9)


def test_slowest_member_sets_the_pace():
    p = _params(checkpoint={"interval": "none"})
    job = TrainingJob(p, np.arange(4), np.array([], dtype=int), seed=1, step_s=60.0)
    s = _run(job, 30, 60.0, speed=np.array([1.0, 0.5, 0.9, 1.0]))
    step = p.perf.step_s(4, 8, 100 * GBPS)
    assert s["tokens_trained"] == pytest.approx(524288 * 0.5 * 1800 / step, rel=1e-12)


# --------------------------------------------------------------------------------------------------
# crashes, restarts, checkpoint intervals
# --------------------------------------------------------------------------------------------------


def test_crash_loses_work_since_checkpoint_plus_restart():
    """A uecc at t = 1000 s with tau = 600 s: lost = 1000 - (600 + delta) of compute, plus restart_s."""
    p = _params(checkpoint={"interval": "10min", "write_gbps": 1.0}, restart_s=300.0)
    delta = 8 * 124.44e6 * 14 / (4 * 1e9)
    job = TrainingJob(p, np.arange(4), np.array([], dtype=int), seed=1, step_s=60.0)
    t_crash, duration = 1000.0, 3 * 3600.0

    def faults(k):
        return _events(2, UECC, t_crash, 60.0, device=5) if k == int(t_crash // 60) else None

    s = _run(job, int(duration / 60), 60.0, faults=faults)
    step = p.perf.step_s(4, 8, 100 * GBPS)
    assert s["restarts"] == 1 and s["interruptions"] == 1
    assert s["lost_work_s"] == pytest.approx(t_crash - 600.0 - delta, rel=1e-12)
    assert s["overhead_s"] == pytest.approx(300.0, rel=1e-12)
    kept = 600.0 + _cycle_compute_s(duration - t_crash - 300.0, 600.0, delta)
    assert s["tokens_trained"] == pytest.approx(524288 * kept / step, rel=1e-9)
    # the same run without the crash trains more, by about (lost + restart) / t_step steps
    ref = _run(TrainingJob(p, np.arange(4), np.array([], dtype=int), seed=1, step_s=60.0), int(duration / 60), 60.0)
    assert ref["tokens_trained"] > s["tokens_trained"]


def test_diloco_crash_restarts_one_worker_only():
    """DiLoCo: a crashed worker loses its inner steps since the last outer sync (its 1/n share) and is out
    for restart_s while the others go on; sync mode rolls the whole job back instead."""
    t_crash, restart, duration = 1000.0, 300.0, 3600.0
    faults = lambda k: _events(2, SEFI, t_crash, 60.0) if k == int(t_crash // 60) else None  # noqa: E731
    p = _params(mode="diloco", checkpoint={"interval": "none"}, restart_s=restart)
    job = TrainingJob(p, np.arange(4), np.array([], dtype=int), 1, 60.0)
    s = _run(job, int(duration / 60), 60.0, faults=faults)
    step4, step3 = (p.perf.step_s(n, 8, 100 * GBPS, mode="diloco") for n in (4, 3))
    before = t_crash / step4
    lost = math.fmod(before, 500) / 4  # inner steps of the current outer round, the crashed worker's share
    expected = before - lost + restart / step3 + (duration - t_crash - restart) / step4
    assert s["restarts"] == 1 and s["worker_restarts"] == 1
    assert s["tokens_trained"] == pytest.approx(524288 * expected, rel=1e-9)
    assert s["lost_work_s"] == pytest.approx(lost * step4, rel=1e-9)
    tl = job.timeline()
    assert tl["active"][16] == 3 and tl["active"][20] == 3 and tl["active"][21] == 4  # back at 1300 s
    ps = _params(mode="sync", checkpoint={"interval": "none"}, restart_s=restart)
    sync = _run(TrainingJob(ps, np.arange(4), np.array([], dtype=int), 1, 60.0), int(duration / 60), 60.0,
                faults=faults)
    assert sync["lost_work_s"] == pytest.approx(t_crash) and sync["goodput"] < s["goodput"]


def test_faults_on_spares_or_other_satellites_do_not_crash():
    p = _params(checkpoint={"interval": "10min"})
    job = TrainingJob(p, np.arange(4), np.array([4]), seed=1, step_s=60.0)
    s = _run(job, 20, 60.0, faults=lambda k: _events([4, 99], SEFI, k * 60.0 + 30.0, 60.0))
    assert s["restarts"] == 0 and s["lost_work_s"] == 0.0


def _poisson_times(mtbf_s, horizon_s, seed):
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(mtbf_s, size=int(2 * horizon_s / mtbf_s) + 100)
    t = np.cumsum(gaps)
    return t[t < horizon_s]


def _poisson_job(interval, mtbf_s, delta_s, restart_s, crash_t, dt_s, horizon_s):
    spec = _spec(checkpoint={"interval": interval, "write_gbps": 1.0, "mtbf_prior": mtbf_s}, restart_s=restart_s)
    p = training_params(spec, "h100-sxm", 8)
    # a checkpoint of exactly delta_s seconds at 1 Gbit/s from one satellite
    p = dataclasses.replace(p, checkpoint_b=delta_s * 1e9 / 8)
    job = TrainingJob(p, np.array([0]), np.array([], dtype=int), seed=5, step_s=dt_s)
    step_of = np.floor(crash_t / dt_s).astype(np.int64)
    bounds = np.searchsorted(step_of, np.arange(int(horizon_s / dt_s) + 1))

    def faults(k):
        a, b = bounds[k], bounds[k + 1]
        return _events(0, UECC, crash_t[a:b], dt_s) if b > a else None

    s = _run(job, int(horizon_s / dt_s), dt_s, link_bps=0.0, faults=faults)
    return s


def _daly_waste(tau, delta, mtbf, restart):
    """1 - T_s / T_w of Daly (2006), typed in."""
    ratio = mtbf * math.exp(restart / mtbf) * math.expm1((tau + delta) / mtbf) / tau
    return 1.0 - 1.0 / ratio


def test_young_daly_interval_minimises_waste():
    """Poisson crashes (MTBF 6 h), delta 120 s, R 60 s: the wasted fraction over a sweep of intervals is
    smallest within a factor 1.5 of Daly's interval and matches Daly's expected waste."""
    mtbf, delta, restart, dt = 6 * 3600.0, 120.0, 60.0, 3600.0
    horizon = 500 * mtbf  # ~500 crashes
    crash_t = _poisson_times(mtbf, horizon, seed=11)
    x = delta / (2 * mtbf)
    daly = math.sqrt(2 * delta * mtbf) * (1 + math.sqrt(x) / 3 + x / 9) - delta  # Daly 2006 eq. 37
    factors = [0.3, 0.5, 0.7, 1.0, 1.4, 2.0, 3.3]
    waste = []
    for f in factors:
        s = _poisson_job(f * daly, mtbf, delta, restart, crash_t, dt, horizon)
        assert s["restarts"] == pytest.approx(crash_t.size, rel=0.02)  # minus the few crashes during restarts
        waste.append(1.0 - s["useful_s"] / s["elapsed_s"])
        # each run agrees with Daly's expected waste: the lost-work term averages ~500 uniform draws
        # (relative sd ~ 1/sqrt(3 x 500) = 2.6 %); 10 % of the waste is ~4 sd of that term
        assert waste[-1] == pytest.approx(_daly_waste(f * daly, delta, mtbf, restart), rel=0.10)
    best = factors[int(np.argmin(waste))]
    assert 1 / 1.5 <= best <= 1.5, dict(zip(factors, np.round(waste, 4)))


def test_auto_interval_follows_observed_fault_rate():
    """interval auto with a wrong prior (10x the true MTBF): the estimate converges to the observed MTBF
    and the waste is close to Daly's optimum."""
    mtbf, delta, restart, dt = 6 * 3600.0, 120.0, 60.0, 3600.0
    horizon = 400 * mtbf
    crash_t = _poisson_times(mtbf, horizon, seed=12)
    spec = _spec(checkpoint={"interval": "auto", "write_gbps": 1.0, "mtbf_prior": 10 * mtbf}, restart_s=restart)
    p = dataclasses.replace(training_params(spec, "h100-sxm", 8), checkpoint_b=delta * 1e9 / 8)
    job = TrainingJob(p, np.array([0]), np.array([], dtype=int), seed=5, step_s=dt)
    step_of = np.floor(crash_t / dt).astype(np.int64)
    bounds = np.searchsorted(step_of, np.arange(int(horizon / dt) + 1))
    def faults(k):
        a, b = bounds[k], bounds[k + 1]
        return _events(0, UECC, crash_t[a:b], dt) if b > a else None

    s = _run(job, int(horizon / dt), dt, link_bps=0.0, faults=faults)
    observed = horizon / crash_t.size
    # (elapsed + prior) / (n + 1) with n ~ 400: the prior shifts the estimate by ~10/400 = 2.5 %
    assert s["mtbf_estimate_s"] == pytest.approx(observed, rel=0.05)
    x = delta / (2 * mtbf)
    daly = math.sqrt(2 * delta * mtbf) * (1 + math.sqrt(x) / 3 + x / 9) - delta
    assert s["interval_s"] == pytest.approx(daly, rel=0.10)  # 4 sd of the MTBF estimate (5 %), halved by sqrt
    waste = 1.0 - s["useful_s"] / s["elapsed_s"]
    assert waste == pytest.approx(_daly_waste(daly, delta, mtbf, restart), rel=0.12)


def test_sdc_detection_rolls_back_or_is_counted():
    def run(p_detect):
        p = _params(checkpoint={"interval": "10min"}, sdc_detection=p_detect, restart_s=120.0)
        job = TrainingJob(p, np.arange(2), np.array([], dtype=int), seed=9, step_s=60.0)
        return _run(job, 120, 60.0, faults=lambda k: _events(1, SDC, k * 60.0 + 45.0, 60.0) if k % 20 == 7 else None)

    caught, missed, half = run(1.0), run(0.0), run(0.5)
    assert caught["rollbacks_sdc"] == 6 and caught["sdc_undetected"] == 0 and caught["restarts"] == 0
    assert caught["lost_work_s"] > 0 and caught["overhead_s"] == pytest.approx(6 * 120.0)
    assert missed["rollbacks_sdc"] == 0 and missed["sdc_undetected"] == 6 and missed["lost_work_s"] == 0
    assert missed["tokens_trained"] > caught["tokens_trained"]
    assert half["rollbacks_sdc"] + half["sdc_undetected"] == 6
    assert run(0.5) == half  # detection draws are a function of (seed, satellite, device, event number)


# --------------------------------------------------------------------------------------------------
# links, DiLoCo, constraints, spares
# --------------------------------------------------------------------------------------------------


#: Sums and products of a few dozen floats: equal up to rounding.
FLOAT_REL = 1e-9
#: NVLink 4 on the H100 SXM: 900 GB/s per GPU, i.e. 450 GB/s each way (NVIDIA H100 datasheet) [bit/s].
NVLINK4_EACH_WAY_BPS = 450e9 * 8


def test_broken_ring_stops_sync_but_not_diloco():
    """Ring capacity 0 between 4 satellites x 8 H100: a synchronous job stalls for the whole 30 min; a
    DiLoCo job goes on with its inner steps at the closed-form rate, the outer all-reduce deferred.

    DiLoCo inner step, typed in from first principles (docs/training.md, "Step time"):
    ``(6 N + 12 L T d) B / (32 x 989e12 x 0.40)`` arithmetic (H100 bf16 dense peak, catalog MFU 0.40 from
    Llama 3) plus the all-reduce inside one satellite, a ring over its 8 devices on NVLink:
    ``2 x 7/8 x 8 x 2N / 3.6e12`` [s]; no outer all-reduce while the ring is broken.
    """
    n_steps, dt_s = 30, 60.0
    sync = TrainingJob(_params(checkpoint={"interval": "none"}), np.arange(4), np.array([], dtype=int), 1, dt_s)
    s = _run(sync, n_steps, dt_s, link_bps=0.0)
    assert s["tokens_trained"] == 0.0 and s["stalled_s"] == pytest.approx(n_steps * dt_s, rel=FLOAT_REL)
    assert np.all(sync.timeline()["state"] == STALLED)
    dl = TrainingJob(_params(mode="diloco", checkpoint={"interval": "none"}), np.arange(4), np.array([], dtype=int),
                     1, dt_s)
    d = _run(dl, n_steps, dt_s, link_bps=0.0)
    n_params, layers, d_model, seq, batch = 124.44e6, 12, 768, 1024, 524288
    compute_s = (6 * n_params + 12 * layers * seq * d_model) * batch / (32 * 989e12 * 0.40)
    inner_s = 2 * 7 / 8 * 8 * (2 * n_params) / NVLINK4_EACH_WAY_BPS
    step_s = compute_s + inner_s  # 36.6 ms
    tokens_per_s = batch / step_s
    assert d["tokens_trained"] == pytest.approx(tokens_per_s * n_steps * dt_s, rel=FLOAT_REL)
    tl = dl.timeline()
    assert np.all(tl["state"] == RUN) and np.all(tl["active"] == 4) and d["stalled_s"] == 0.0
    # progress is linear in time at that rate, step by step
    np.testing.assert_allclose(tl["tokens"], tokens_per_s * dt_s * np.arange(1, n_steps + 1), rtol=FLOAT_REL)


def test_diloco_trains_more_than_sync_on_slow_links():
    """1 Gbit/s ISLs: the sync all-reduce of 249 MB dominates; DiLoCo pays it once per 500 steps."""
    link = 1 * GBPS
    n_params, batch = 124.44e6, 524288
    # typed in: arithmetic over 64 H100 at 989 TFLOP/s x MFU 0.40; ring all-reduces of 2N bytes
    compute = (6 * n_params + 12 * 12 * 1024 * 768) * batch / (64 * 989e12 * 0.40)
    comm = 2 * 63 / 64 * 8 * 2 * n_params / link  # ring over 64 devices, bottleneck 1 Gbit/s
    inner = 2 * 7 / 8 * 8 * 2 * n_params / NVLINK4_EACH_WAY_BPS  # inside one satellite, every step
    expected_step = {"sync": compute + comm, "diloco": compute + inner + comm / 500}  # H = 500
    assert comm > 3.0
    out = {}
    for mode in ("sync", "diloco"):
        p = _params(mode=mode, checkpoint={"interval": "none"})
        job = TrainingJob(p, np.arange(8), np.array([], dtype=int), 1, 60.0)
        out[mode] = _run(job, 60, 60.0, link_bps=link)["tokens_trained"]
        assert out[mode] == pytest.approx(batch * 3600 / expected_step[mode], rel=FLOAT_REL), mode
    assert out["diloco"] > 10 * out["sync"]


def _one_member_low(lo, hi, member=2, n=4):
    def known(k):
        soc = np.full(n, 0.9)
        if lo <= k < hi:
            soc[member] = 0.1
        return {"soc": soc}
    return known


def test_shrink_trains_more_than_pause_when_one_member_is_constrained():
    n_steps, lo, hi = 90, 10, 70
    res = {}
    for policy in ("pause", "shrink"):
        p = _params(on_constraint=policy, checkpoint={"interval": "none"}, restart_s=300.0, reconfigure_s=60.0)
        job = TrainingJob(p, np.arange(4), np.array([], dtype=int), 1, 60.0)
        res[policy] = (_run(job, n_steps, 60.0, known=_one_member_low(lo, hi)), job.timeline())
    (sp, tp), (ss, ts) = res["pause"], res["shrink"]
    assert ss["tokens_trained"] > sp["tokens_trained"]
    # pause: the whole job stops for the constrained steps (after a checkpoint), then reloads (restart_s)
    assert np.all(tp["state"][lo:hi] == PAUSED) and sp["pauses"] == 1 and sp["checkpoints"] == 1
    delta = 8 * 124.44e6 * 14 / (4 * 16e9)  # the checkpoint at the pause, written in the first paused step
    assert sp["checkpoint_s"] == pytest.approx(delta) and sp["paused_s"] == pytest.approx((hi - lo) * 60.0 - delta)
    step4 = p.perf.step_s(4, 8, 100 * GBPS)
    step3 = p.perf.step_s(3, 8, 100 * GBPS)
    expected_pause = 524288 * (lo * 60.0 + (n_steps - hi) * 60.0 - 300.0) / step4
    assert sp["tokens_trained"] == pytest.approx(expected_pause, rel=1e-9)
    # shrink: three members keep training (longer step: same global batch on fewer devices)
    assert np.all(ts["active"][lo:hi] == 3) and ss["shrink_events"] == 1
    # reconfigure_s (60 s) at the drop and at the rejoin; at the rejoin the member also receives its share
    # of the state (14 B/param / 4 members) over the ISL at 100 Gbit/s
    rejoin = 8 * 124.44e6 * 14 / 4 / 100e9
    expected_shrink = (524288 * ((lo + n_steps - hi) * 60.0 - 60.0 - rejoin) / step4
                       + 524288 * ((hi - lo) * 60.0 - 60.0) / step3)
    assert ss["tokens_trained"] == pytest.approx(expected_shrink, rel=1e-9)


def test_constraint_needs_a_reachable_satellite():
    """A constrained member that cannot be reached keeps training (its demand stays 1)."""
    p = _params(on_constraint="shrink")
    job = TrainingJob(p, np.arange(3), np.array([], dtype=int), 1, 60.0)
    d0 = job.demand({})
    job.advance(0, 0.0, 60.0, np.ones(3), 100 * GBPS, None)
    soc = np.array([0.9, 0.1, 0.9])
    d1 = job.demand({"soc": soc, "reachable": np.array([True, False, True])})
    assert np.array_equal(d0, [1, 1, 1]) and np.array_equal(d1, [1, 1, 1])
    d2 = job.demand({"soc": soc, "reachable": np.ones(3, bool)})
    assert np.array_equal(d2, [1, 0, 1]) and np.array_equal(job.ring, [0, 2])
    # hysteresis: back above soc_pause but below soc_resume (0.4) stays out
    d3 = job.demand({"soc": np.array([0.9, 0.35, 0.9])})
    assert np.array_equal(d3, [1, 0, 1])
    d4 = job.demand({"soc": np.array([0.9, 0.45, 0.9])})
    assert np.array_equal(d4, [1, 1, 1])


def test_temperature_and_eclipse_constraints():
    """A member hotter than its margin threshold is constrained until 5 K below it; eclipse only with
    pause_in_eclipse."""
    p = _params(on_constraint="shrink", temp_margin_pause_k=2.0)
    job = TrainingJob(p, np.arange(3), np.array([], int), 1, 60.0)
    margin = np.array([10.0, 1.0, 10.0])
    assert np.array_equal(job.demand({"temp_margin_k": margin}), [1, 0, 1])
    margin[1] = 5.0  # above 2 K, below 2 + 5 K: still out
    assert np.array_equal(job.demand({"temp_margin_k": margin}), [1, 0, 1])
    margin[1] = 7.5
    assert np.array_equal(job.demand({"temp_margin_k": margin}), [1, 1, 1])
    lit = np.array([True, False, True])
    job = TrainingJob(_params(), np.arange(3), np.array([], int), 1, 60.0)
    assert np.array_equal(job.demand({"lit": lit}), [1, 1, 1])
    job = TrainingJob(_params(pause_in_eclipse=True), np.arange(3), np.array([], int), 1, 60.0)
    assert np.array_equal(job.demand({"lit": lit}), [0, 0, 0])


def test_lost_member_replaced_by_spare():
    p = _params(checkpoint={"interval": "10min"}, restart_s=120.0)
    job = TrainingJob(p, np.array([10, 11, 12, 13]), np.array([20, 21]), 1, 60.0)

    def faults(k):
        if k == 5:
            return _events(11, PERMANENT, 5 * 60.0 + 10.0, 60.0, device=3)
        if k == 40:
            return _events(11, SPARE_IN, 40 * 60.0 + 5.0, 60.0, device=3)
        return None

    def known(k):
        avail = np.ones(6)
        if 5 < k <= 40:
            avail[1] = 7 / 8
        return {"avail": avail}

    s = _run(job, 60, 60.0, faults=faults, known=known)
    assert s["members_lost"] == 1 and s["spares_used"] == 1 and s["restarts"] == 1
    assert np.array_equal(job.members, [10, 20, 12, 13]) and np.array_equal(job.ring, [10, 20, 12, 13])
    # restart, then the spare receives the lost member's share of the state over the ISL
    assert s["overhead_s"] == pytest.approx(120.0 + 8 * 124.44e6 * 14 / 4 / 100e9, rel=1e-12)
    # the repaired satellite (spare device installed) went back to the reserve: the next loss uses it
    job.advance(60, 3600.0, 60.0, np.ones(6), 100 * GBPS, _events(12, PERMANENT, 3610.0, 60.0))
    job.demand({})
    assert np.array_equal(job.members, [10, 20, 11, 13]) and job.summary()["spares_used"] == 2


def test_lost_member_without_spare_is_dropped_only_if_slow():
    """Straggler rule: keep a member at speed >= (m - 1)/m, else drop it (shrink)."""
    for avail, kept in ((7 / 8, True), (0.5, False)):
        job = TrainingJob(_params(), np.arange(4), np.array([], dtype=int), 1, 60.0)
        job.demand({})
        job.advance(0, 0.0, 60.0, np.ones(4), 100 * GBPS, _events(1, PERMANENT, 30.0, 60.0))
        a = np.ones(4)
        a[1] = avail
        job.demand({"avail": a})
        assert (1 in job.ring) == kept
        assert job.summary()["shrink_events"] == (0 if kept else 1)


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, where", [
    ({"tokens": 0}, "workloads.training.tokens"),
    ({"tokens": -1e9}, "workloads.training.tokens"),
    ({"global_batch_tokens": 100}, "workloads.training"),
    ({"checkpoint": {"interval": "sometimes"}}, "workloads.training.checkpoint.interval"),
    ({"mode": "async"}, "workloads.training.mode"),
    ({"sdc_detection": 1.5}, "workloads.training.sdc_detection"),
    ({"batch": 3}, "workloads.training.batch"),
])
def test_bad_training_section(bad, where):
    with pytest.raises(ScenarioError) as err:
        _spec(**bad)
    msg = str(err.value)
    assert msg.startswith(where) and "\n" not in msg


def test_count_larger_than_the_shell():
    shell = np.arange(100, 181)  # 81 satellites
    members, spares = job_satellites(_spec(count=64, spares=4), shell, "suncatcher")
    assert np.array_equal(members, np.arange(100, 164)) and np.array_equal(spares, np.arange(164, 168))
    members, spares = job_satellites(_spec(spares=1), shell, "suncatcher")
    assert members.size == 80 and spares.size == 1
    msg = r"workloads\.training\.count: 90 member\(s\) \+ 2 spare\(s\) = 92 .* has 81"
    with pytest.raises(OrbitcloudError, match=msg):
        job_satellites(_spec(count=90, spares=2), shell, "suncatcher")


def test_unknown_model_precision_and_too_large():
    with pytest.raises(OrbitcloudError, match=r"workloads\.training\.model: .*gpt2-124m"):
        training_params(_spec(model="gpt-7"), "h100-sxm", 8)
    with pytest.raises(OrbitcloudError, match=r"workloads\.training\.precision: 'fp4'"):
        training_params(_spec(precision="fp4"), "h100-sxm", 8)
    # Llama 3 8B: 16 B/parameter = 128 GB of training state; DiLoCo needs it on each satellite
    big = {"model": "llama-3-8b", "seq_len": 2048, "global_batch_tokens": 2**20}
    p = training_params(_spec(mode="diloco", **big), "h100-sxm", 1)
    with pytest.raises(OrbitcloudError, match=r"workloads\.training\.model: llama-3-8b needs 128\.5 GB"):
        TrainingJob(p, np.arange(4), np.array([], dtype=int), 1, 60.0)
    p = training_params(_spec(**big), "h100-sxm", 1)
    TrainingJob(p, np.arange(4), np.array([], dtype=int), 1, 60.0)  # sync: sharded over 4 x 72 GB
