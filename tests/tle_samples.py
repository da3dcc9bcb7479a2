"""Element sets written for the tests (no copy of ../shared data).

ISS from the python-sgp4 documentation; DELTA 1 DEB from sgp4's Vallado verification set (line 2
without its start/stop/step columns); SYN, a synthetic near-polar companion of the ISS set (catalogue
25545, inclination 97.5 deg), whose checksums are computed here independently of the code under test.
"""


def tle_line(body68: str) -> str:
    """Append the modulo-10 checksum (digits count their value, '-' counts 1) to 68 columns."""
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in body68)
    return body68 + str(total % 10)


ISS_L1 = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991"
ISS_L2 = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482"
DEB_L1 = "1 06251U 62025E   06176.82412014  .00008885  00000-0  12808-3 0  3985"
DEB_L2 = "2 06251  58.0579  54.0425 0030035 139.1568 221.1854 15.56387291  6774"
SYN_L1 = tle_line("1 25545U 98067B   19343.69339541  .00001764  00000-0  38792-4 0  999")
SYN_L2 = tle_line("2 25545  97.5000 211.2001 0007417  17.6667  85.6398 15.5010347220248")
