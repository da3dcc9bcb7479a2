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

import numba

from orbitcloud.bus.thermal import FIRST_ITERS, NEWTON_ITERS, T_SPACE4


@numba.njit(cache=True, nogil=True)
def _implicit(t0, q, k, c):
    # orbitcloud.bus.thermal.implicit_step, one element
    q_s = q + k * T_SPACE4
    ct0 = c * t0
    t0sq = t0 * t0
    start = t0 + max(q_s - k * (t0sq * t0sq), 0.0) / c
    t = min(start, math.sqrt(math.sqrt(((ct0 + max(q, 0.0)) + k * T_SPACE4) / k)))
    b = ct0 + q_s
    k3 = 3.0 * k
    k4 = 4.0 * k
    prev = t
    for _ in range(FIRST_ITERS):
        prev = t
        t2 = t * t
        t = (k3 * (t2 * t2) + b) / (k4 * (t2 * t) + c)
    if abs(t - prev) > 1e-9 * t:
        for _ in range(NEWTON_ITERS - FIRST_ITERS):
            t2 = t * t
            t = (k3 * (t2 * t2) + b) / (k4 * (t2 * t) + c)
    return t


@numba.njit(cache=True, nogil=True)
def step_chunk(
    p_gen_t, q_env_t, c, k, heat_max, heat_hot, heat_min, thot, target, bus_w, heater_max,
    e_min, e_max, deliver, take, store, draw, loss_c, loss_d,
    t_k, e_j, hot, s_bus, s_heater, s_comp, s_charge, s_fb, s_req, e_lo, t_lo, t_hi,
    rec_rows, rec, avail_t, e_trace,
):
    """Advance every satellite through the chunk's steps (arrays (T, n) and (n,); state in place).

    ``rec_rows[j]`` >= 0 asks for the values of step j in row ``rec_rows[j]`` of ``rec`` (10, R, n):
    load, compute, heater, curtailed, battery (delivered - charged), energy, temperature,
    throttle code. ``avail_t`` (T, n) scales the compute target per step (faults); an empty array
    means all devices are available. ``e_trace`` (2, T, n), when not empty, receives the battery energy
    [J] and the node temperature [K] after every step (battery ageing counts cycles from them).
    """
    n_t, n = p_gen_t.shape
    scaled = avail_t.shape[0] > 0
    trace = e_trace.shape[1] > 0
    # time outer, satellites inner: the satellites are independent, so the CPU overlaps their
    # divisions and square roots (the time recursion of one satellite is a serial chain)
    for j in range(n_t):
        r = rec_rows[j]
        for i in range(n):
            ci, ki = c[i], k[i]
            hmax = heat_max[i]
            tgt = target[i] * avail_t[j, i] if scaled else target[i]
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
            heat = (((qe + bus) + heater) + comp) + loss
            t = _implicit(t, heat, ki, ci)
            h = (h and t >= thot[i]) or ((not h) and req < tgt)
            t_k[i] = t
            e_j[i] = e
            hot[i] = h
            s_bus[i] += bus
            s_heater[i] += heater
            s_comp[i] += comp
            s_charge[i] += charge
            s_fb[i] += from_batt
            s_req[i] += req
            e_lo[i] = min(e_lo[i], e)
            if trace:
                e_trace[0, j, i] = e
                e_trace[1, j, i] = t
            t_lo[i] = min(t_lo[i], t)
            t_hi[i] = max(t_hi[i], t)
            if r >= 0:
                rec[0, r, i] = load
                rec[1, r, i] = comp
                rec[2, r, i] = heater
                rec[3, r, i] = curt
                rec[4, r, i] = from_batt - charge
                rec[5, r, i] = e
                rec[6, r, i] = t
                rec[7, r, i] = 2.0 if req < tgt else (1.0 if comp < req else 0.0)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def inputs_chunk(
    illum, cosz, cos_inc, irr, eta_aged, computed, fixed_t, gamma, t_ref, arr_abs, arr_eps, arr_vf, area_pack,
    rad_area, alpha, ir_abs, sides_vf, sun_view, olr, albedo, sb, j0, p_gen_t, q_env_t, t_arr_t,
):
    """:func:`orbitcloud.bus.step.chunk_inputs` for columns of a chunk, one element at a time.

    ``illum``, ``cosz``, ``cos_inc`` (empty: every satellite tracks the Sun), ``eta_aged``: (n, T);
    ``irr`` (T,); per satellite (n,) parameters; writes columns ``j0 ..`` of ``p_gen_t``, ``q_env_t``
    and, when not empty, ``t_arr_t`` (time-major). The same IEEE operations in the same order as the
    NumPy function (products of per-satellite factors taken first, as NumPy's broadcasting does), so
    the bits agree (``tests/bus/test_kernel.py``).
    """
    n, n_t = illum.shape
    has_inc = cos_inc.shape[0] > 0
    want_t = t_arr_t.shape[0] > 0
    # satellites outer: the (n, T) inputs are read along their rows; the few time-major output rows
    # of a column group stay in cache
    for i in range(n):
        comp = computed[i]
        for j in range(n_t):
            g = irr[j]
            il = illum[i, j]
            cz = max(cosz[i, j], 0.0)
            g_n = g * il
            if has_inc:
                g_n = g_n * max(cos_inc[i, j], 0.0)
            ea = eta_aged[i, j]
            if comp:
                earth = arr_vf[i] * (arr_eps[i] * olr + ((arr_abs[i] * albedo) * g) * cz)
                eps_sb = (2.0 * arr_eps[i]) * sb
                eta_q = ea * (1.0 + gamma[i] * (_t_quasi(g_n, ea, arr_abs[i], eps_sb, earth) - t_ref[i]))
                eta_q = max(eta_q, 0.0)
                ta = _t_quasi(g_n, eta_q, arr_abs[i], eps_sb, earth)
            else:
                ta = fixed_t[i]
            eta = max(ea * (1.0 + gamma[i] * (ta - t_ref[i])), 0.0)
            p_gen_t[j0 + j, i] = (g_n * area_pack[i]) * eta
            sun = ((alpha[i] * g) * il) * sun_view[i]
            earth_r = sides_vf[i] * (ir_abs[i] * olr + ((alpha[i] * albedo) * g) * cz)
            q_env_t[j0 + j, i] = rad_area[i] * (sun + earth_r)
            if want_t:
                t_arr_t[j0 + j, i] = ta


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _t_quasi(g_n, eta, absorptance, eps_sb, earth):
    # orbitcloud.bus.power.array_temperature_k, one element
    q = max((absorptance - eta) * g_n + earth, 0.0)
    return math.sqrt(math.sqrt(q / eps_sb))
