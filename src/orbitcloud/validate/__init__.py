"""``orbitcloud validate``: the golden cases, each model against an outside reference (docs/validation.md).

``cases_*.py`` hold the cases (one idea per module), ``runner.py`` selects and times them, ``report.py``
writes ``validation.html`` (offline) and ``validation.json``, ``sources.py`` lists the catalogs' sources
(``orbitcloud sources``), ``cli.py`` the two commands. Nothing here is imported by ``import orbitcloud``.
"""
