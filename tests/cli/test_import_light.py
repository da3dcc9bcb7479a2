"""``import orbitcloud`` must stay light: no numpy, scipy, sgp4 or pyarrow until a sub-package needs them."""

import subprocess
import sys


def test_import_orbitcloud_loads_no_numerical_stack():
    code = (
        "import sys, orbitcloud; "
        "heavy = [m for m in ('numpy', 'scipy', 'sgp4', 'pyarrow', 'pydantic', 'yaml', 'rich') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import orbitcloud pulled in: {out.stdout.strip()}"
    assert hasattr(__import__("orbitcloud"), "OrbitcloudError")
