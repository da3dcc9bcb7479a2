"""Build a :class:`Fleet` (struct of arrays over satellites) from a loaded scenario."""

from __future__ import annotations

import dataclasses

import numpy as np

from orbitcloud.errors import ScenarioError
from orbitcloud.scenario import LoadedScenario
from orbitcloud.scenario.schema import MAX_SATELLITES, ClusterShell, SSOShell, TLEShell, WalkerShell
from orbitcloud.fleet import shells as _shells
from orbitcloud.fleet.elements import RADIUS_KM, unkozai
from orbitcloud.fleet.tle import read_tle_file
from orbitcloud.timescale import jd_split


@dataclasses.dataclass(frozen=True)
class ShellInfo:
    """One shell of the fleet: satellites ``start .. start + count - 1``."""

    index: int
    name: str
    kind: str
    start: int
    count: int

    @property
    def stop(self) -> int:
        return self.start + self.count


@dataclasses.dataclass
class Fleet:
    """Satellites as a struct of arrays, each of shape (n_sat,), in scenario order.

    Elements are SGP4 mean elements at each satellite's element epoch ``(epoch_jd, epoch_fr)``:
    ``no_kozai_rad_min`` (Kozai mean motion [rad/min]), ``ecco``, ``inclo_rad``, ``nodeo_rad``,
    ``argpo_rad``, ``mo_rad``, ``bstar`` [1/earth radii], ``ndot``, ``nddot``. ``tle_line1`` and
    ``tle_line2`` hold the element lines of satellites read from TLE files ("" for designed ones) so
    that SGP4 is initialised from the original text. ``names`` are built on demand.
    """

    shells: list[ShellInfo]
    shell_index: np.ndarray
    satnum: np.ndarray
    epoch_jd: np.ndarray
    epoch_fr: np.ndarray
    no_kozai_rad_min: np.ndarray
    ecco: np.ndarray
    inclo_rad: np.ndarray
    nodeo_rad: np.ndarray
    argpo_rad: np.ndarray
    mo_rad: np.ndarray
    bstar: np.ndarray
    ndot: np.ndarray
    nddot: np.ndarray
    tle_line1: np.ndarray | None = None
    tle_line2: np.ndarray | None = None
    tle_names: dict[int, list[str]] = dataclasses.field(default_factory=dict)

    ARRAYS = (
        "shell_index", "satnum", "epoch_jd", "epoch_fr", "no_kozai_rad_min", "ecco", "inclo_rad",
        "nodeo_rad", "argpo_rad", "mo_rad", "bstar", "ndot", "nddot",
    )

    def __len__(self) -> int:
        return int(self.shell_index.shape[0])

    def slice(self, start: int, stop: int) -> "FleetSlice":
        """The elements of satellites ``start .. stop - 1`` (cheap to send to a worker process)."""
        arrays = {name: getattr(self, name)[start:stop] for name in self.ARRAYS}
        l1 = None if self.tle_line1 is None else self.tle_line1[start:stop]
        l2 = None if self.tle_line2 is None else self.tle_line2[start:stop]
        return FleetSlice(start=start, stop=stop, tle_line1=l1, tle_line2=l2, **arrays)

    def name(self, i: int) -> str:
        """Name of satellite ``i``: the TLE name, or ``SHELL-NNNN`` for designed shells."""
        shell = self.shells[int(self.shell_index[i])]
        local = i - shell.start
        names = self.tle_names.get(shell.index)
        if names is not None and names[local]:
            return names[local]
        width = max(4, len(str(shell.count - 1)))
        return f"{shell.name}-{local:0{width}d}"

    def names(self, indices: np.ndarray | None = None) -> list[str]:
        idx = range(len(self)) if indices is None else indices
        return [self.name(int(i)) for i in idx]


@dataclasses.dataclass
class FleetSlice:
    """A contiguous run of satellites' elements; same fields as :class:`Fleet` arrays."""

    start: int
    stop: int
    shell_index: np.ndarray
    satnum: np.ndarray
    epoch_jd: np.ndarray
    epoch_fr: np.ndarray
    no_kozai_rad_min: np.ndarray
    ecco: np.ndarray
    inclo_rad: np.ndarray
    nodeo_rad: np.ndarray
    argpo_rad: np.ndarray
    mo_rad: np.ndarray
    bstar: np.ndarray
    ndot: np.ndarray
    nddot: np.ndarray
    tle_line1: np.ndarray | None = None
    tle_line2: np.ndarray | None = None

    def __len__(self) -> int:
        return self.stop - self.start


def _designed(shell, epoch_jd: float, epoch_fr: float) -> dict[str, np.ndarray]:
    if isinstance(shell, WalkerShell):
        ang = _shells.walker(
            shell.planes, shell.sats_per_plane, shell.phasing, shell.inclination_deg, shell.pattern, shell.raan0_deg
        )
        ecco = np.zeros_like(ang["raan"])
        no = _shells.mean_motion_kozai(shell.altitude_km, shell.mean_motion_rev_per_day, ecco, ang["incl"])
        return dict(no=no, ecco=ecco, incl=ang["incl"], raan=ang["raan"], argp=np.zeros_like(ecco), mo=ang["arg_lat"])
    if isinstance(shell, SSOShell):
        altitude_km = shell.altitude_km
        if altitude_km is None:
            altitude_km = _sso_altitude_from_kozai(shell.mean_motion_rev_per_day)
        ang = _shells.sso_planes(
            altitude_km, shell.planes, shell.sats_per_plane, shell.phasing, shell.ltan,
            shell.ltan_spacing_h, shell.altitude_spacing_km, epoch_jd, epoch_fr,
        )
        ecco = np.zeros_like(ang["raan"])
        if shell.mean_motion_rev_per_day is not None:
            no = np.full(ecco.shape, shell.mean_motion_rev_per_day * 2 * np.pi / 1440.0)
        else:
            no = _shells.mean_motion_kozai(ang["alt_km"], None, ecco, ang["incl"])
        return dict(no=no, ecco=ecco, incl=ang["incl"], raan=ang["raan"], argp=np.zeros_like(ecco), mo=ang["arg_lat"])
    raise TypeError(shell)


def _sso_altitude_from_kozai(mean_motion_rev_per_day: float) -> float:
    """Mean altitude [km] (above WGS-84 a) of an SSO orbit with a TLE (Kozai) mean motion.

    The Brouwer mean motion depends on inclination, which depends on altitude: iterate.
    """
    from orbitcloud.fleet.elements import XKE, sso_inclination_rad

    no_kozai = np.array([mean_motion_rev_per_day * 2 * np.pi / 1440.0])
    a_km = (XKE / no_kozai) ** (2.0 / 3.0) * RADIUS_KM
    for _ in range(6):
        inc = sso_inclination_rad(a_km)
        a_km = (XKE / unkozai(no_kozai, np.zeros(1), inc)) ** (2.0 / 3.0) * RADIUS_KM
    return float(a_km[0] - _shells.altitude_to_a_km(0.0))


def _cluster(shell: ClusterShell, key: str, epoch_jd: float, epoch_fr: float) -> dict[str, np.ndarray]:
    ref = shell.reference
    try:
        offsets = _shells.cluster_lattice_m(shell.count, shell.radius_m, shell.spacing_m)
    except ValueError as exc:
        raise ScenarioError(f"{key}.count: {exc}") from None
    a_km = float(_shells.altitude_to_a_km(ref.altitude_km))
    if ref.kind == "sso":
        incl = float(_shells.sso_inclination_rad(np.array([a_km]))[0])
        raan = float(_shells.ltan_to_raan_rad(ref.ltan, epoch_jd, epoch_fr))
    else:
        incl = np.radians(ref.inclination_deg)
        raan = np.radians(ref.raan_deg) % (2 * np.pi)
    members = _shells.cluster_members(a_km, incl, np.radians(ref.arg_lat_deg), offsets)
    incl_a = incl + members["dincl"]
    no = _shells.mean_motion_kozai(ref.altitude_km, None, members["ecco"], incl_a)
    raan_a = np.mod(raan + members["draan"], 2 * np.pi)
    return dict(no=no, ecco=members["ecco"], incl=incl_a, raan=raan_a, argp=members["argpo"], mo=members["mo"])


def build_fleet(loaded: LoadedScenario) -> Fleet:
    """Expand every shell of the scenario into mean elements (vectorised per shell)."""
    scenario = loaded.scenario
    ep_jd, ep_fr = jd_split(np.datetime64(scenario.epoch, "ns"))
    ep_jd, ep_fr = float(ep_jd), float(ep_fr)
    parts: list[dict[str, np.ndarray]] = []
    infos: list[ShellInfo] = []
    tle_names: dict[int, list[str]] = {}
    tle_lines: dict[int, tuple[list[str], list[str]]] = {}
    start = 0
    for idx, shell in enumerate(scenario.constellation):
        key = f"{loaded.label}: constellation[{idx}]"
        name = shell.name or f"{shell.kind}{idx}"
        if isinstance(shell, TLEShell):
            sets = read_tle_file(loaded.resolve(shell.path), label=shell.path if loaded.base_dir is None else str(loaded.resolve(shell.path)))
            if shell.limit is not None:
                sets = sets[: shell.limit]
            if shell.planes is not None and shell.planes * shell.sats_per_plane != len(sets):
                raise ScenarioError(
                    f"{key}: planes x sats_per_plane = {shell.planes} x {shell.sats_per_plane} = "
                    f"{shell.planes * shell.sats_per_plane} but the file gives {len(sets)} satellites"
                )
            part = _tle_elements(sets)
            tle_names[idx] = [s.name for s in sets]
            tle_lines[idx] = ([s.line1 for s in sets], [s.line2 for s in sets])
        elif isinstance(shell, ClusterShell):
            part = _cluster(shell, key, ep_jd, ep_fr)
            part.update(epoch_jd=np.full(shell.count, ep_jd), epoch_fr=np.full(shell.count, ep_fr))
        else:
            part = _designed(shell, ep_jd, ep_fr)
            part.update(epoch_jd=np.full(part["no"].shape, ep_jd), epoch_fr=np.full(part["no"].shape, ep_fr))
        count = int(part["no"].shape[0])
        if start + count > MAX_SATELLITES:
            raise ScenarioError(
                f"{key}: the fleet reaches {start + count:,} satellites; at most {MAX_SATELLITES:,} are supported"
            )
        part.setdefault("bstar", np.zeros(count))
        part.setdefault("ndot", np.zeros(count))
        part.setdefault("nddot", np.zeros(count))
        part.setdefault("satnum", np.arange(start, start + count, dtype=np.int64) % 100000)
        part["shell_index"] = np.full(count, idx, dtype=np.int32)
        parts.append(part)
        infos.append(ShellInfo(index=idx, name=name, kind=shell.kind, start=start, count=count))
        start += count

    def cat(key: str, dtype=np.float64) -> np.ndarray:
        return np.concatenate([p[key] for p in parts]).astype(dtype, copy=False)

    fleet = Fleet(
        shells=infos,
        shell_index=cat("shell_index", np.int32),
        satnum=cat("satnum", np.int64),
        epoch_jd=cat("epoch_jd"),
        epoch_fr=cat("epoch_fr"),
        no_kozai_rad_min=cat("no"),
        ecco=cat("ecco"),
        inclo_rad=cat("incl"),
        nodeo_rad=cat("raan"),
        argpo_rad=cat("argp"),
        mo_rad=cat("mo"),
        bstar=cat("bstar"),
        ndot=cat("ndot"),
        nddot=cat("nddot"),
        tle_names=tle_names,
    )
    if tle_lines:
        l1 = np.full(len(fleet), "", dtype=object)
        l2 = np.full(len(fleet), "", dtype=object)
        for idx, (a, b) in tle_lines.items():
            info = infos[idx]
            l1[info.start : info.stop] = a
            l2[info.start : info.stop] = b
        fleet.tle_line1, fleet.tle_line2 = l1, l2
    return fleet


def _tle_elements(sets) -> dict[str, np.ndarray]:
    """Elements of TLE satellites, read through sgp4's own parser (``Satrec.twoline2rv``)."""
    from sgp4.api import WGS72, Satrec

    fields = {k: [] for k in ("no", "ecco", "incl", "raan", "argp", "mo", "bstar", "ndot", "nddot", "epoch_jd", "epoch_fr", "satnum")}
    for s in sets:
        sat = Satrec.twoline2rv(s.line1, s.line2, WGS72)
        fields["no"].append(sat.no_kozai)
        fields["ecco"].append(sat.ecco)
        fields["incl"].append(sat.inclo)
        fields["raan"].append(sat.nodeo)
        fields["argp"].append(sat.argpo)
        fields["mo"].append(sat.mo)
        fields["bstar"].append(sat.bstar)
        fields["ndot"].append(sat.ndot)
        fields["nddot"].append(sat.nddot)
        fields["epoch_jd"].append(sat.jdsatepoch)
        fields["epoch_fr"].append(sat.jdsatepochF)
        fields["satnum"].append(sat.satnum)
    out = {k: np.asarray(v, dtype=np.float64) for k, v in fields.items()}
    out["satnum"] = out["satnum"].astype(np.int64)
    return out


def mean_altitude_km(fleet: Fleet) -> np.ndarray:
    """SGP4 mean altitude [km] per satellite: Brouwer mean semi-major axis minus the WGS-84 radius.

    This is the quantity ``altitude_km`` sets for designed shells.
    """
    from orbitcloud.fleet.elements import XKE

    n = unkozai(fleet.no_kozai_rad_min, fleet.ecco, fleet.inclo_rad)
    return (XKE / n) ** (2.0 / 3.0) * RADIUS_KM - _shells.altitude_to_a_km(0.0)
