"""Telemetry, tracking and command (TT&C): commands and telemetry that travel only through ground
contacts and laser relays, CCSDS/PUS packets, limits, alarms and onboard autonomy (``docs/ttc.md``).

Kept light: the submodules are imported where they are used.
"""
