"""Tests of orbitcloud.compute (a package, so that its module names cannot clash with tests/ops)."""
