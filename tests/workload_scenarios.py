"""Small workload scenarios shared by tests in several folders (tests/ is on the import path)."""

from __future__ import annotations

#: A 53 deg shell of 48 one-H100 satellites at 1,000 km whose batteries cannot carry the accelerator
#: through an eclipse (0.4 kWh, ~0.3 kWh usable; 35 min of eclipse at 1 kW needs ~0.6 kWh), serving
#: Llama-3-8B to five cities.
SHELL_53 = """
name: shell-53
epoch: 2026-03-20T00:00:00Z
duration: {duration}
step: 60s
seed: 7
constellation:
  - kind: walker
    name: shell53
    altitude_km: 1000
    inclination_deg: 53
    planes: 6
    sats_per_plane: 8
    phasing: 1
    hardware:
      base: v2mini-h100x8
      compute: {{count: 1, precision: fp8}}
      bus_power_w: 300
      battery: {{capacity_wh: 400}}
      solar_array: {{area_m2: 6}}
      radiator: {{area_m2: 2.5}}
network:
  isl: {{topology: plus_grid, capacity_gbps: 100}}
ground:
  stations:
    - {{name: Madrid, lat_deg: 40.4, lon_deg: -3.7}}
    - {{name: Canberra, lat_deg: -35.3, lon_deg: 149.1}}
    - {{name: Goldstone, lat_deg: 35.4, lon_deg: -116.9}}
    - {{name: Singapore, lat_deg: 1.35, lon_deg: 103.8}}
  min_elevation_deg: 10
workloads:
  inference:
    model: llama-3-8b
    precision: fp8
    max_batch: 64
    arrivals: {{generator: azure-conv, rate_per_s: {rate}}}
    sources:
      - {{name: London, lat_deg: 51.5, lon_deg: -0.1}}
      - {{name: New York, lat_deg: 40.7, lon_deg: -74.0}}
      - {{name: Tokyo, lat_deg: 35.7, lon_deg: 139.7}}
      - {{name: Sao Paulo, lat_deg: -23.5, lon_deg: -46.6}}
      - {{name: Sydney, lat_deg: -33.9, lon_deg: 151.2}}
policies:
  replan: 5min
  telemetry_delay: 60s
{extra}
"""


def _scenario(tmp_path, name="s.yaml", duration="2h", rate=30, extra=""):
    path = tmp_path / name
    path.write_text(SHELL_53.format(duration=duration, rate=rate, extra=extra), "utf-8")
    return str(path)
