"""Space safety: conjunction screening of the fleet against a catalogue (or itself), probability of
collision, CCSDS Conjunction Data Messages and Orbit Ephemeris Messages (``docs/conjunctions.md``).

Light on purpose: the modules import numpy/scipy/sgp4/pyarrow when used, not here.
"""

__all__ = ["catalog_tle", "ccsds", "collision", "conjunctions"]
