"""The operations service (``orbitcloud serve``): accounts, metered compute orders executed on the
live twin, a double-entry ledger, a REST API and a web console (``docs/service.md``).

Nothing here is imported by ``import orbitcloud``; the service's dependencies (FastAPI, uvicorn,
SQLAlchemy, Alembic, psycopg) load when it starts.
"""
