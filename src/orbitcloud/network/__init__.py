"""Network layer: inter-satellite links, the ground segment, contacts and routing.

Modules are imported on demand (``from orbitcloud.network import links``); this package imports
nothing itself so that ``import orbitcloud.network`` stays cheap.

* :mod:`orbitcloud.network.links` -- ISL topologies (Walker +Grid, k-nearest, cluster mesh), line of
  sight above an atmosphere grazing height, the optical link budget and link acquisition time
  (``docs/links.md``).
"""
