"""The result of a run: its summary and its tables, from memory or from a results directory alike.

``orbitcloud.run(...)`` and ``Simulation.finish()`` return a :class:`Result`; ``Result.load(path)``
reads a results directory written by either (or by ``orbitcloud run --out``). Tables are pyarrow
Tables built on first use; ``.to_pandas()`` gives a pandas DataFrame where pandas is installed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Callable, Iterator

from orbitcloud.errors import OrbitcloudError

__all__ = ["Result", "EVENT_KINDS"]

#: What :meth:`Result.events` merges, by source table.
EVENT_KINDS = ("eclipse", "fault", "contact", "action")


class Result:
    """A finished run (see the module docstring).

    Attributes:
        summary: the run summary, the object ``orbitcloud run --json`` prints (``docs/results.md``).
        out: the results directory, or None when the run wrote none.
    """

    def __init__(self, summary: dict[str, Any], out: Path | None = None,
                 tables: dict[str, Callable[[], Any]] | None = None) -> None:
        self.summary = summary
        self.out = None if out is None else Path(out)
        self._builders = dict(tables or {})
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: str | Path) -> "Result":
        """Read a results directory (``summary.json`` and whichever tables it holds)."""
        from orbitcloud.results.writer import FILES

        root = Path(path)
        summary_path = root / "summary.json"
        if not summary_path.is_file():
            raise OrbitcloudError(f"{root}: not a results directory (no summary.json; write one with `orbitcloud run ... --out {root}`)")
        try:
            summary = json.loads(summary_path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise OrbitcloudError(f"{summary_path}: cannot be read as JSON: {exc}") from None
        builders = {}
        for name, (file_name, _) in FILES.items():
            p = root / file_name
            if p.is_file():
                builders[name] = (lambda p=p: _read_table(p))
        return cls(summary, root, builders)

    # ------------------------------------------------------------------ tables

    @property
    def tables(self) -> list[str]:
        """Names of the tables this run has (``satellites``, ``timeseries``, ``eclipses``, ...)."""
        return list(self._builders)

    def table(self, name: str):
        """One table of the run as a pyarrow Table (see :attr:`tables`)."""
        if name not in self._builders:
            hint = {
                "timeseries": "record it with record='10min' (CLI: --record 10min)",
                "eclipses": "it is written with eclipses=True (CLI: --out without --no-eclipses)",
                "actions": "the run took no actions",
            }.get(name, "")
            have = ", ".join(self._builders) or "none"
            raise OrbitcloudError(f"the run has no {name} table{'; ' + hint if hint else ''} (tables: {have})")
        if name not in self._cache:
            self._cache[name] = self._builders[name]()
        return self._cache[name]

    def satellites(self):
        """Per-satellite figures (``satellites.parquet``)."""
        return self.table("satellites")

    def timeseries(self):
        """The bus time series (``timeseries.parquet``: one row per satellite and recorded step)."""
        return self.table("timeseries")

    def events(self, kinds: str | list[str] | None = None):
        """Discrete events of the run, in time order, as one table: ``time``, ``end`` (null for
        instants), ``satellite`` (-1 for the fleet), ``kind`` (``eclipse``, a fault kind such as
        ``uecc``, ``contact``, ``action:power_cap`` ...), ``detail`` (text).

        ``kinds``: ``"eclipse"``, ``"fault"``, ``"contact"``, ``"action"`` or a list of them (default: all
        the run has)."""
        import pyarrow as pa

        want = EVENT_KINDS if kinds is None else ([kinds] if isinstance(kinds, str) else list(kinds))
        bad = [k for k in want if k not in EVENT_KINDS]
        if bad:
            raise OrbitcloudError(f"events: unknown kind {bad[0]!r}; expected one of {', '.join(EVENT_KINDS)}")
        parts = [part for kind in want for part in self._event_parts(kind)]
        ts = pa.timestamp("ms", tz="UTC")
        schema = pa.schema([("time", ts), ("end", ts), ("satellite", pa.int64()), ("kind", pa.string()), ("detail", pa.string())])
        if not parts:
            return schema.empty_table()
        table = pa.concat_tables([p.cast(schema) for p in parts])
        return table.sort_by([("time", "ascending"), ("satellite", "ascending")])

    def _event_parts(self, kind: str) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        if kind == "eclipse" and "eclipses" in self._builders:
            e = self.table("eclipses")
            umbra = pc.cast(pc.divide(pc.subtract(e["umbra_end"].cast(pa.int64()), e["umbra_start"].cast(pa.int64())), 1000), pa.int64())
            cut = pc.or_(pc.is_valid(e["umbra_start"]), pc.is_valid(e["umbra_end"]))  # umbra cut by the window
            no_umbra = pc.if_else(cut, "umbra cut by the run's window", "no umbra")
            if "kind" in e.column_names:
                no_umbra = pc.if_else(pc.equal(e["kind"], "graze"), "penumbral only (not an eclipse)",
                                      pc.if_else(pc.equal(e["kind"], "partial"), "partial: no umbra", no_umbra))
            detail = pc.if_else(pc.is_null(umbra), no_umbra, pc.binary_join_element_wise("umbra ", pc.cast(umbra, pa.string()), " s", ""))
            yield pa.table({"time": e["penumbra_start"], "end": e["penumbra_end"], "satellite": e["satellite"],
                            "kind": pa.array(["eclipse"] * e.num_rows, pa.string()), "detail": detail})
        elif kind == "fault" and "faults" in self._builders:
            f = self.table("faults")
            detail = pc.binary_join_element_wise(
                "device ", pc.cast(f["device"], pa.string()), ", dose ", pc.cast(pc.round(f["dose_rad"], 3), pa.string()), " rad", "")
            yield pa.table({"time": f["time"].cast(pa.timestamp("ms", tz="UTC")), "end": pa.nulls(f.num_rows, pa.timestamp("ms", tz="UTC")),
                            "satellite": f["satellite"].cast(pa.int64()), "kind": f["kind"].cast(pa.string()), "detail": detail})
        elif kind == "contact" and "contacts" in self._builders:
            c = self.table("contacts")
            detail = pc.binary_join_element_wise(
                "station ", c["station"], ", max elevation ", pc.cast(c["max_elevation_deg"], pa.string()), " deg", "")
            yield pa.table({"time": c["start"], "end": c["end"], "satellite": c["satellite"],
                            "kind": pa.array(["contact"] * c.num_rows, pa.string()), "detail": detail})
        elif kind == "action" and "actions" in self._builders:
            a = self.table("actions")
            kinds = pc.binary_join_element_wise("action:", a["action"], "")
            detail = pc.binary_join_element_wise(a["target"], " ", a["detail"], "")
            yield pa.table({"time": a["time"].cast(pa.timestamp("ms", tz="UTC")), "end": pa.nulls(a.num_rows, pa.timestamp("ms", tz="UTC")),
                            "satellite": pa.array([-1] * a.num_rows, pa.int64()), "kind": kinds, "detail": detail})

    # ------------------------------------------------------------------ convenience

    def __getitem__(self, key: str) -> Any:
        return self.summary[key]

    def __repr__(self) -> str:
        s = self.summary
        where = f", out={str(self.out)!r}" if self.out is not None else ""
        return f"<Result {s.get('scenario')!r}: {s.get('satellites', 0):,} satellites, {s.get('steps', 0):,} steps{where}>"

    def _repr_html_(self) -> str:
        """A readable summary for notebooks: the key figures and, per shell, the bus figures."""
        s = self.summary
        rows = [
            ("scenario", s.get("scenario")), ("start", s.get("start")),
            ("duration", f"{s.get('duration_s', 0):,.0f} s in {s.get('steps', 0):,} steps of {s.get('step_s', 0):g} s"),
            ("satellites", f"{s.get('satellites', 0):,}"), ("sunlit fraction", s.get("sunlit_fraction")),
            ("longest eclipse", f"{s.get('longest_eclipse_s')} s"),
        ]
        bus = s.get("bus")
        if bus:
            rows += [("compute delivered", _pct(bus.get("compute_delivered_fraction")) + " of nameplate"),
                     ("lowest state of charge", _pct(bus.get("soc_min")))]
        if self.out is not None:
            rows.append(("results", str(self.out)))
        rows.append(("tables", ", ".join(self.tables) or "none"))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption style='text-align:left'><b>orbitcloud run</b></caption>{body}</table>"


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


def _read_table(path: Path):
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return pq.read_table(path)
    ts = pa.timestamp("ms", tz="UTC")
    types = {"eclipses.csv": {c: ts for c in ("penumbra_start", "umbra_start", "umbra_end", "penumbra_end")},
             "contacts.csv": {"start": ts, "end": ts, "station": pa.string()}}.get(path.name, {})
    opts = pcsv.ConvertOptions(column_types=types, timestamp_parsers=["%Y-%m-%dT%H:%M:%S%z", pcsv.ISO8601])
    return pcsv.read_csv(path, convert_options=opts)
