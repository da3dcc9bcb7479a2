"""Closed-form design and economics (``orbitcloud size``); see ``docs/sizing.md``.

The sizing lives in :mod:`orbitcloud.design.sizing` (numpy, pydantic); the command in
:mod:`orbitcloud.design.cli`. This package imports nothing heavy, so that ``orbitcloud.cli`` can
register the command cheaply.
"""
