"""The "Orbit life" section, from ``altitude.parquet`` and the summary's ``orbit_life``: mean altitude
over time per shell, station-keeping (Δv, propellant, thruster duty, compute lost to it) and the
disposal plan against the rule (``docs/orbit_life.md``)."""

from __future__ import annotations

import numpy as np

from orbitcloud.report.common import fmt
from orbitcloud.report.data.gather import ReportData
from orbitcloud.report.sections.base import Section, html_table, plot_layout

ROWS = (
    ("ballistic coefficient [m²/kg]", "ballistic_coefficient_m2_kg", 4),
    ("drag decay [m/day]", "decay_rate_m_per_day", 4),
    ("natural lifetime [years]", "natural_lifetime_years", 3),
    ("thruster", "thruster", None),
    ("thruster duty", "thruster_duty", 4),
    ("Δv [m/s per year]", "dv_m_s_per_year", 4),
    ("propellant [kg per satellite-year]", "propellant_kg_per_year", 4),
    ("station-keeping energy [J]", "energy_station_keeping_j", 4),
    ("compute lost to station-keeping [J]", "compute_lost_j", 4),
    ("disposal altitude [km]", "disposal_altitude_km", 5),
    ("disposal Δv [m/s]", "disposal_dv_m_s", 4),
    ("disposal propellant [kg]", "disposal_propellant_kg", 4),
    ("end of mission to re-entry [years]", "time_to_reentry_years", 3),
    ("meets the disposal rule", "meets_disposal_rule", None),
)


def section(rd: ReportData) -> tuple[Section | None, str | None]:
    run = rd.run
    life = run.summary.get("orbit_life")
    if not life:
        return None, None
    import plotly.graph_objects as go

    act = life.get("activity") or {}
    sec = Section("orbit-life", "Orbit life",
                  f"<p>Drag from NRLMSIS 2.1 at F10.7 {fmt(act.get('f107'))}, Ap {fmt(act.get('ap'))} "
                  f"({act.get('label', '')}); disposal rule {fmt(life.get('disposal_rule_years'))} years "
                  "(FCC 22-74). From <code>altitude.parquet</code> and <code>summary.json</code>.</p>")
    path = run.file("altitude.parquet")
    if path is not None:
        import pyarrow.parquet as pq

        tab = pq.read_table(path)
        t = tab.column("time_utc").to_numpy()
        shell = np.array(tab.column("shell").to_pylist(), dtype=object)
        alt = tab.column("mean_altitude_km").to_numpy()
        fig = go.Figure()
        for name in dict.fromkeys(shell.tolist()):
            sel = shell == name
            fig.add_trace(go.Scatter(x=t[sel], y=alt[sel], mode="lines", name=str(name)))
        fig.update_layout(plot_layout("Mean altitude per shell", yaxis=dict(title="mean altitude [km]")))
        sec.fig(fig)
    shells = [s for s in life.get("shells") or [] if s]
    if shells:
        head = ["figure"] + [str(s.get("name")) for s in shells]
        rows = []
        for label, key, digits in ROWS:
            if not any(key in s for s in shells):
                continue
            cells = []
            for s in shells:
                v = s.get(key)
                cells.append(fmt(v) if digits is None or not isinstance(v, (int, float)) or isinstance(v, bool) else fmt(v, digits))
            rows.append([label] + cells)
        sec.html("<h3>Drag, station-keeping and disposal</h3>" + html_table(head, rows))
    conj = life.get("conjunctions")
    cpath = run.file("conjunctions.parquet")
    if conj is not None:
        sec.html(f"<h3>Conjunctions</h3><p>{conj['events']:,} close approaches within {fmt(conj['threshold_km'])} km "
                 f"({'against ' + str(conj['catalog']) if conj.get('catalog') else 'the fleet against itself'}); smallest miss "
                 f"{fmt(conj.get('miss_km_min'))} km, highest Pc {fmt(conj.get('pc_max'))} (Foster, hard-body radius "
                 f"{fmt(conj.get('hbr_m'))} m). Every event in <code>conjunctions.parquet</code>.</p>")
        if cpath is not None:
            import pyarrow.parquet as pq

            ct = pq.read_table(cpath, columns=["object_a", "object_b", "tca_utc", "miss_km", "pc"])
            if ct.num_rows:
                pc = np.asarray(ct.column("pc").to_numpy(), float)
                fig = go.Figure(go.Scatter(
                    x=ct.column("tca_utc").to_pandas(), y=ct.column("miss_km").to_numpy(), mode="markers",
                    marker=dict(size=6, color=np.log10(np.maximum(pc, 1e-30)), colorscale="Viridis", showscale=True,
                                colorbar=dict(title="log10 Pc")),
                    text=[f"{x} – {y}" for x, y in zip(ct.column("object_a").to_pylist(), ct.column("object_b").to_pylist())],
                    hovertemplate="%{text}<br>TCA %{x}<br>miss %{y:.3f} km<extra></extra>"))
                fig.update_layout(plot_layout("Conjunctions: miss distance at the time of closest approach",
                                              hovermode="closest", yaxis=dict(title="miss distance [km]", rangemode="tozero")))
                sec.fig(fig)
        worst = conj.get("worst") or []
        if worst:
            sec.html(html_table(["object a", "object b", "TCA after start [s]", "miss [km]", "Pc"],
                                [[w["object_a"], w["object_b"], fmt(w["tca_s"]), fmt(w["miss_km"], 5), fmt(w["pc"], 3)] for w in worst]))
    return sec, None
