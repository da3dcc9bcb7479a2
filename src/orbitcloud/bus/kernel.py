"""Compiled inner loop of the bus (numba): the same operations as the NumPy step loop, per satellite.

:func:`orbitcloud.bus.step.advance` has two interchangeable loops over the time steps of a chunk:
the NumPy one (vectorised over satellites, the readable reference, written with
:func:`orbitcloud.bus.power.serve_loads` and :func:`orbitcloud.bus.thermal.implicit_step`) and this one,
which performs the identical IEEE operations in the identical order for one satellite at a time, so
both give bit-identical results (``tests/bus/test_kernel.py``). No fast-math: numba then neither
reassociates nor fuses multiply-adds. The kernel is about 10x faster; it is used when numba imports.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
import numba
import numpy as np

from orbitcloud.bus.thermal import FIRST_ITERS, NEWTON_ITERS, T_SPACE4

# The step's first pass reads ~20 per-satellite arrays and writes ~15: LLVM's loop vectorizer then
# needs a few hundred run-time overlap checks (a few hundred nanoseconds per time step of a block),
# more than its default limits of 8 and 128 allow, and would leave the loop scalar. Raise both
# limits before the kernels compile (they are cached compiled with them).
llvm.set_option("", "-runtime-memory-check-threshold=1024")
llvm.set_option("", "-vectorize-memory-check-threshold=1024")


#: satellites per tile of :func:`step_chunk`: each tile goes through all the chunk's steps before the
#: next, so its ~35 per-satellite rows (280 KB at 1,024 satellites) stay in the L2 cache from step to
#: step; a whole 4,096-satellite block's (1.1 MB) does not, and the kernel is ~12 % slower
#: (``benchmarks/bus_kernel.py``). The order of the operations on each satellite is the same either way.
STEP_TILE = 1024


@numba.njit(cache=True, nogil=True, error_model="numpy")
def step_chunk(
    p_gen_t, q_env_t, c, k, heat_max, heat_hot, heat_min, thot, target, bus_w, heater_max,
    e_min, e_max, deliver, take, store, draw, loss_c, loss_d,
    t_k, e_j, hot, s_bus, s_heater, s_comp, s_charge, s_fb, s_req, e_lo, t_lo, t_hi,
    rec_rows, rec, avail_t, e_trace, s_gen, s_env, t1, t_prev, q_sat, short,
):
    """Advance every satellite through the chunk's steps (arrays (T, n) and (n,); state in place).

    ``rec_rows[j]`` >= 0 asks for the values of step j in row ``rec_rows[j]`` of ``rec`` (8, R, n):
    load, compute, heater, curtailed, battery (delivered - charged), energy, temperature,
    throttle code. ``avail_t`` (T, n) scales the compute target per step (faults); a (1, n) array of
    ones means all devices are available. ``e_trace`` (2, T, n), when not empty, receives the battery
    energy [J] and the node temperature [K] after every step (battery ageing counts cycles from them).
    ``s_gen`` and ``s_env`` (n,) accumulate the generation and the absorbed environmental heat.
    ``t1``, ``t_prev``, ``q_sat``, ``short`` (n,): scratch (the caller lays every per-satellite
    row out in one block, :func:`orbitcloud.bus.step._arena`).

    The satellites are taken in tiles of ``STEP_TILE``, each through every step of the chunk. Each
    step of a tile is three passes over its satellites, so that the compiler turns the first and the last
    into SIMD code (the satellites are independent; one satellite's time recursion is a serial
    chain): (1) loads, heat and the first Newton iterations of the thermal step from the present
    temperature, (2) the bracketed restart for the few satellites not yet converged (skipped when
    none is), (3) the latch, extremes and records.
    """
    n_t, n = p_gen_t.shape
    per_step = avail_t.shape[0] > 1
    trace = e_trace.shape[1] > 0
    for it in range((n + STEP_TILE - 1) // STEP_TILE):
        # written as i0 = it * STEP_TILE and i = i0 + ii: in this form the compiler turns the loops
        # into SIMD code; with range(0, n, STEP_TILE) and range(i0, i1) it left them scalar (3x slower)
        i0 = it * STEP_TILE
        i1 = min(n, i0 + STEP_TILE)
        for j in range(n_t):
            r = rec_rows[j]
            ja = j if per_step else 0
            n_more = 0
            for ii in range(i1 - i0):
                i = i0 + ii
                ci, ki = c[i], k[i]
                hmax = heat_max[i]
                tgt = target[i] * avail_t[ja, i]
                bw = bus_w[i]
                t, e, h = t_k[i], e_j[i], hot[i]
                pg = p_gen_t[j, i]
                qe = q_env_t[j, i]
                ct0 = ci * t
                base = (ct0 + qe) + bw
                cap = hmax - (1.0 if h else 0.0) * (hmax - heat_hot[i])
                cap = max(cap - base, 0.0)
                req = min(tgt, cap)
                heat_req = min(max((heat_min[i] - base) - req, 0.0), heater_max[i])
                # orbitcloud.bus.power.serve_loads
                supply = max(e - e_min[i], 0.0) * deliver[i] + pg
                bus = min(bw, supply)
                rest = supply - bus
                heater = min(heat_req, rest)
                rest = rest - heater
                comp = min(req, rest)
                load = (bus + heater) + comp
                from_gen = min(load, pg)
                from_batt = load - from_gen
                surplus = pg - from_gen
                charge = min(surplus, max(e_max[i] - e, 0.0) * take[i])
                curt = surplus - charge
                e = e + (charge * store[i] - from_batt * draw[i])
                loss = charge * loss_c[i] + from_batt * loss_d[i]
                q = (((qe + bus) + heater) + comp) + loss
                # orbitcloud.bus.thermal.implicit_step: FIRST_ITERS iterations from the present temperature
                q_s = q + ki * T_SPACE4
                b = ct0 + q_s
                k3 = 3.0 * ki
                k4 = 4.0 * ki
                tn = t
                prev = tn
                for _ in range(FIRST_ITERS):
                    prev = tn
                    t2 = tn * tn
                    tn = (k3 * (t2 * t2) + b) / (k4 * (t2 * tn) + ci)
                t1[i] = tn
                t_prev[i] = prev
                n_more += 0 if abs(tn - prev) <= 1e-9 * tn else 1
                q_sat[i] = q
                short[i] = 1.0 if req < tgt else 0.0
                e_j[i] = e
                s_gen[i] += pg
                s_env[i] += qe
                s_bus[i] += bus
                s_heater[i] += heater
                s_comp[i] += comp
                s_charge[i] += charge
                s_fb[i] += from_batt
                s_req[i] += req
                e_lo[i] = min(e_lo[i], e)
                if r >= 0:
                    rec[0, r, i] = load
                    rec[1, r, i] = comp
                    rec[2, r, i] = heater
                    rec[3, r, i] = curt
                    rec[4, r, i] = from_batt - charge
                    rec[5, r, i] = e
                    rec[7, r, i] = 2.0 if req < tgt else (1.0 if comp < req else 0.0)
            for ii in range((i1 - i0) if n_more else 0):
                i = i0 + ii
                tn = t1[i]
                if not abs(tn - t_prev[i]) <= 1e-9 * tn:
                    # orbitcloud.bus.thermal.bracketing_start, then NEWTON_ITERS iterations
                    ci, ki = c[i], k[i]
                    t, q = t_k[i], q_sat[i]
                    ct0 = ci * t
                    q_s = q + ki * T_SPACE4
                    b = ct0 + q_s
                    t0sq = t * t
                    start = t + max(q_s - ki * (t0sq * t0sq), 0.0) / ci
                    tn = min(start, math.sqrt(math.sqrt(((ct0 + max(q, 0.0)) + ki * T_SPACE4) / ki)))
                    k3 = 3.0 * ki
                    k4 = 4.0 * ki
                    for _ in range(NEWTON_ITERS):
                        t2 = tn * tn
                        tn = (k3 * (t2 * t2) + b) / (k4 * (t2 * tn) + ci)
                    t1[i] = tn
            for ii in range(i1 - i0):
                i = i0 + ii
                tn = t1[i]
                h = hot[i]
                hot[i] = (h and tn >= thot[i]) or ((not h) and short[i] > 0.0)
                t_k[i] = tn
                t_lo[i] = min(t_lo[i], tn)
                t_hi[i] = max(t_hi[i], tn)
                if trace:
                    e_trace[0, j, i] = e_j[i]
                    e_trace[1, j, i] = tn
                if r >= 0:
                    rec[6, r, i] = tn


#: satellites per tile of :func:`inputs_chunk` (its time-major scratch stays in the L1/L2 cache)
_TILE = 64


@numba.njit(cache=True, nogil=True, error_model="numpy")
def inputs_chunk(
    illum, cosz, cos_inc, irr, keep, group, eta_ref, computed, fixed_t, gamma, t_ref, arr_abs, arr_eps, arr_vf, area_pack,
    rad_area, alpha, ir_abs, sides_vf, sun_view, olr, albedo, sb, j0, p_gen_t, q_env_t, t_arr_t,
):
    """:func:`orbitcloud.bus.step.chunk_inputs` for columns of a chunk, one element at a time.

    ``illum``, ``cosz``, ``cos_inc`` (one row of ones: every satellite tracks the Sun): (n, T);
    ``irr`` (T,); ``keep`` (G, T): the ageing factor (1 - d)^age of each of G (age, d) groups, the
    satellite's group in ``group`` (the aged efficiency is ``eta_ref`` times it); per satellite (n,) parameters; writes columns ``j0 ..`` of
    ``p_gen_t``, ``q_env_t`` and, when not empty, ``t_arr_t`` (time-major). The same IEEE operations
    in the same order as the NumPy function (products of per-satellite factors taken first, as
    NumPy's broadcasting does; a factor cos = 1 is exact), so the bits agree
    (``tests/bus/test_kernel.py``). Satellites are taken in tiles: each satellite's steps are computed
    along its (contiguous) rows into a small scratch, which the compiler turns into SIMD code, then
    the tile is written out time-major.
    """
    n, n_t = illum.shape
    per_sat_inc = cos_inc.shape[0] > 1
    want_t = t_arr_t.shape[0] > 0
    buf_g = np.empty((_TILE, n_t))
    buf_q = np.empty((_TILE, n_t))
    buf_t = np.empty((_TILE, n_t))
    for i0 in range(0, n, _TILE):
        m = min(_TILE, n - i0)
        for ii in range(m):
            i = i0 + ii
            ri = i if per_sat_inc else 0
            ab, gm, tr = arr_abs[i], gamma[i], t_ref[i]
            ap = area_pack[i]
            ra, al, sv = rad_area[i], alpha[i], sun_view[i]
            al_alb = alpha[i] * albedo
            svf = sides_vf[i]
            er = eta_ref[i]
            gi = group[i]
            if computed[i]:
                vf = arr_vf[i]
                eps_olr = arr_eps[i] * olr
                ab_alb = arr_abs[i] * albedo
                eps_sb = (2.0 * arr_eps[i]) * sb
                for j in range(n_t):
                    g = irr[j]
                    il = illum[i, j]
                    cz = max(cosz[i, j], 0.0)
                    g_n = (g * il) * max(cos_inc[ri, j], 0.0)
                    ea = er * keep[gi, j]
                    earth = vf * (eps_olr + (ab_alb * g) * cz)
                    q1 = max((ab - ea) * g_n + earth, 0.0)
                    eta_q = ea * (1.0 + gm * (math.sqrt(math.sqrt(q1 / eps_sb)) - tr))
                    eta_q = max(eta_q, 0.0)
                    q2 = max((ab - eta_q) * g_n + earth, 0.0)
                    ta = math.sqrt(math.sqrt(q2 / eps_sb))
                    eta = max(ea * (1.0 + gm * (ta - tr)), 0.0)
                    buf_g[ii, j] = (g_n * ap) * eta
                    buf_q[ii, j] = ra * (((al * g) * il) * sv + svf * (ir_abs[i] * olr + (al_alb * g) * cz))
                    buf_t[ii, j] = ta
            else:
                ta = fixed_t[i]
                for j in range(n_t):
                    g = irr[j]
                    il = illum[i, j]
                    cz = max(cosz[i, j], 0.0)
                    g_n = (g * il) * max(cos_inc[ri, j], 0.0)
                    eta = max((er * keep[gi, j]) * (1.0 + gm * (ta - tr)), 0.0)
                    buf_g[ii, j] = (g_n * ap) * eta
                    buf_q[ii, j] = ra * (((al * g) * il) * sv + svf * (ir_abs[i] * olr + (al_alb * g) * cz))
                    buf_t[ii, j] = ta
        for j in range(n_t):
            for ii in range(m):
                p_gen_t[j0 + j, i0 + ii] = buf_g[ii, j]
                q_env_t[j0 + j, i0 + ii] = buf_q[ii, j]
            if want_t:
                for ii in range(m):
                    t_arr_t[j0 + j, i0 + ii] = buf_t[ii, j]
