"""The work-independent inputs of one time chunk of a satellite block: the dose of each step behind
the shielding (with sub-samples through the South Atlantic Anomaly, ``docs/radiation.md``) and the
bus's geometry (illumination, irradiance, panel cosines; ``docs/power.md``).

Pointwise in satellites and steps, so any chunking gives the same bits (:mod:`orbitcloud.sim.engine`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orbitcloud.accel import lazy_njit
from orbitcloud.bus.step import Geometry
from orbitcloud.ephemeris.frames import gmst_for_times
from orbitcloud.ephemeris.propagate import fast_ecef_m, fast_inertial_normal
from orbitcloud.timescale import jd_split_offset

if TYPE_CHECKING:
    from orbitcloud.sim.engine import RadiationBlock, RunSpec


def _dose(rad: RadiationBlock, x, y, z, ok, t_s, spec: RunSpec, sub_orbits):
    """Dose [rad(Si)] of each satellite in each step of the chunk, (n, T), and the mean proton flux
    [cm^-2 s^-1] over each step when a fault model needs it (else None).

    With one sub-sample the rates at the step's sample are held for the step. With K > 1 they are the
    means of the rates at the K sub-step midpoints t + (m + 1/2) step / K (positions from the fast
    propagator), so coarse steps still integrate the passes through the South Atlantic Anomaly
    (``docs/radiation.md``). The K rates are added in a fixed order: chunk-invariant.
    """
    grid = rad.grid
    if rad.subsamples <= 1:
        rate = np.asarray(grid.dose_rate_rad_s(x, y, z), dtype=np.float64)
        flux = np.asarray(grid.proton_flux_cm2_s(x, y, z), dtype=np.float64) if rad.need_flux else None
    else:
        rate = np.zeros(x.shape)
        flux = np.zeros(x.shape) if rad.need_flux else None
        for m in range(rad.subsamples):
            t_m = t_s + (m + 0.5) / rad.subsamples * spec.step_s
            jd, fr = jd_split_offset(spec.jd0, spec.fr0, t_m)
            xm, ym, zm, _ = fast_ecef_m(sub_orbits, t_m, gmst_for_times(jd, fr))
            rate += grid.dose_rate_rad_s(xm, ym, zm)
            if flux is not None:
                flux += grid.proton_flux_cm2_s(xm, ym, zm)
        rate /= rad.subsamples
        if flux is not None:
            flux /= rad.subsamples
    if getattr(grid, "spec", None) is not None and grid.spec.spe:
        from orbitcloud.environment.radiation import spe_dose_rate_rad_s, spe_exposure

        # solar particle events: fleet-wide, seeded; exposure at the step's sample
        rate = rate + spe_dose_rate_rad_s(grid.spec, t_s, rad.seed, spe_exposure(x, y, z))
    dose = np.nan_to_num(rate * spec.step_s, nan=0.0)
    if ok is not None:
        dose[~ok] = 0.0
    if flux is not None:
        flux = np.nan_to_num(flux, nan=0.0)
        if ok is not None:
            flux[~ok] = 0.0
    return dose, flux


def cos_zenith(x, y, z, r, s_x, compiled: bool | None = None) -> np.ndarray:
    """``(r . s_hat) / |r|`` (float64, (n, T)) of positions (n, T) and the Sun's direction ``s_x``
    (T, 3), computed in the positions' dtype. ``compiled``: one compiled pass (numba; default when
    :func:`orbitcloud.accel.use_numba` says so) or NumPy; the same IEEE operations, the same bits."""
    from orbitcloud.accel import use_numba

    kernel = _cosz_kernel() if (use_numba() if compiled is None else compiled) and x.ndim == 2 else None
    if kernel is not None:
        out = np.empty(x.shape)
        kernel(x, y, z, r, np.ascontiguousarray(s_x), out)
        return out
    return ((x * s_x[:, 0] + y * s_x[:, 1] + z * s_x[:, 2]) / r).astype(np.float64)


def _cosz_py(x, y, z, r, s_x, out):
    n, n_t = x.shape
    for i in range(n):
        for j in range(n_t):
            out[i, j] = np.float64(((x[i, j] * s_x[j, 0] + y[i, j] * s_x[j, 1]) + z[i, j] * s_x[j, 2]) / r[i, j])


_cosz_kernel = lazy_njit(_cosz_py, cache=True, nogil=True, error_model="numpy")


def _bus_geometry(bus, x, y, z, r, sun_ecef, sun_teme, c, s, lit, idx, pen_values, ok, t_s, sgp4_rv, orbits) -> Geometry:
    """Illumination, irradiance and cosines for the bus (all in the Earth-fixed frame)."""
    from orbitcloud.bus.power import irradiance_w_m2

    d_sun = np.sqrt(np.einsum("ij,ij->i", sun_ecef, sun_ecef))
    s_hat = sun_ecef / d_sun[:, None]
    illum = lit.astype(np.float64)  # 0 where SGP4 failed (lit excludes those samples)
    if pen_values is not None:
        illum[idx] = pen_values
    if r is None:
        r = np.sqrt(x * x + y * y + z * z)
    s_x = s_hat.astype(x.dtype)  # float32 positions (fast mode): cos z to ~1e-7, computed in float32
    cosz = cos_zenith(x, y, z, r, s_x)
    if ok is not None:
        cosz[~ok] = 0.0  # no position: no sunlight, no albedo
    cos_inc = None
    codes = bus.pointing
    if np.any(codes != 0):
        cos_inc = np.ones_like(cosz)
        h_dot_s = t_dot_s = None
        if bus.needs_orbit_normal:
            if sgp4_rv is not None:
                h = np.cross(sgp4_rv[0], sgp4_rv[1])
                h /= np.linalg.norm(h, axis=-1, keepdims=True)
            else:
                h = fast_inertial_normal(orbits, t_s)
            hx = c * h[..., 0] + s * h[..., 1]  # TEME -> Earth-fixed (rotation about z by GMST)
            hy = c * h[..., 1] - s * h[..., 0]
            hz = h[..., 2]
            inv_r = 1.0 / r
            h_dot_s = hx * s_hat[:, 0] + hy * s_hat[:, 1] + hz * s_hat[:, 2]
            # t_hat . s_hat = (h_hat x r_hat) . s_hat
            tx = (hy * z - hz * y) * inv_r
            ty = (hz * x - hx * z) * inv_r
            tz = (hx * y - hy * x) * inv_r
            t_dot_s = tx * s_hat[:, 0] + ty * s_hat[:, 1] + tz * s_hat[:, 2]
        single = codes == 1
        if single.any():
            cos_inc[single] = np.sqrt(np.maximum(1.0 - h_dot_s[single] ** 2, 0.0))
        nadir = codes == 2
        if nadir.any():
            nrm = bus.normal[nadir]
            val = nrm[:, 0:1] * cosz[nadir]
            if h_dot_s is not None:
                val = val + nrm[:, 1:2] * t_dot_s[nadir] + nrm[:, 2:3] * h_dot_s[nadir]
            cos_inc[nadir] = val
        fixed = codes == 3
        if fixed.any():
            s_teme_hat = sun_teme / np.linalg.norm(sun_teme, axis=1, keepdims=True)
            cos_inc[fixed] = bus.normal[fixed] @ s_teme_hat.T
    return Geometry(
        illumination=illum, irradiance_w_m2=irradiance_w_m2(d_sun), cos_zenith=cosz, cos_incidence=cos_inc, t_s=t_s,
    )
