"""Closed-form design and economics (``orbitcloud size``); see ``docs/sizing.md``."""
