"""orbitcloud: digital twin and operating layer of an AI data center in orbit.

Importing the package is cheap: the numerical layers (numpy, sgp4, scipy) load only when a
sub-package that needs them is imported.
"""

from orbitcloud.errors import OrbitcloudError, ScenarioError

__all__ = ["OrbitcloudError", "ScenarioError", "__version__"]
__version__ = "0.1.0"
