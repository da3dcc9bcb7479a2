"""Ephemeris: propagation (SGP4 and fast analytic), frames, Sun."""
