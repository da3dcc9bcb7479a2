"""Proton mass stopping powers in aluminium and silicon (NIST PSTAR), embedded as a table.

Source: M. J. Berger, J. S. Coursey, M. A. Zucker and J. Chang, *ESTAR, PSTAR, and ASTAR: Computer
Programs for Calculating Stopping-Power and Range Tables for Electrons, Protons, and Helium Ions*,
NIST Standard Reference Database 124 (version 1.2.3, 2005), https://doi.org/10.18434/T4NC7P;
materials "ALUMINUM" (I = 166 eV, density 2.699 g/cm^3) and "SILICON" (I = 173 eV, 2.33 g/cm^3).
The columns are PSTAR's *total* (electronic + nuclear) mass stopping power [MeV cm^2/g] on PSTAR's
default grid of 132 kinetic energies from 1 keV to 10 GeV (note that PSTAR's grid has no 22.5 MeV
point). NIST data are a work of the US Government. Above 0.5 MeV PSTAR is Bethe's formula with shell,
Barkas, Bloch and density-effect corrections (ICRU Report 49, 1993), so the table is checked in
``tests/environment/test_radiation.py`` against an independent evaluation of the plain Bethe
formula (20 MeV - 1 GeV), which catches transcription errors.

:mod:`orbitcloud.environment.radiation` integrates ``1 / S_Al`` for the CSDA range in aluminium
(the quantity PSTAR tabulates as "CSDA range" is the same integral) and interpolates ``S_Si``
log-log at the residual energy behind the shield.
"""

from __future__ import annotations

import numpy as np

#: Kinetic energy [MeV] (PSTAR default grid).
ENERGY_MEV = np.array([
    0.001, 0.0015, 0.002, 0.0025, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009,
    0.01, 0.0125, 0.015, 0.0175, 0.02, 0.0225, 0.025, 0.0275, 0.03, 0.035, 0.04, 0.045,
    0.05, 0.055, 0.06, 0.065, 0.07, 0.075, 0.08, 0.085, 0.09, 0.095,
    0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4, 0.45,
    0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95,
    1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 4.5,
    5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5,
    10.0, 12.5, 15.0, 17.5, 20.0, 25.0, 27.5, 30.0, 35.0, 40.0, 45.0,
    50.0, 55.0, 60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0,
    100.0, 125.0, 150.0, 175.0, 200.0, 225.0, 250.0, 275.0, 300.0, 350.0, 400.0, 450.0,
    500.0, 550.0, 600.0, 650.0, 700.0, 750.0, 800.0, 850.0, 900.0, 950.0,
    1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 4000.0, 5000.0, 6000.0, 7000.0, 8000.0, 9000.0, 10000.0,
])

#: Total mass stopping power of aluminium [MeV cm^2/g] (PSTAR "ALUMINUM").
S_AL_MEV_CM2_G = np.array([
    104.3, 123.9, 140.4, 155.0, 168.3, 192.1, 213.1, 232.3, 249.9, 266.4, 281.9,
    296.6, 324.5, 348.3, 368.9, 386.7, 402.2, 415.7, 427.3, 437.3, 452.9, 463.8, 470.9,
    474.9, 476.6, 476.4, 474.9, 472.4, 469.1, 465.3, 461.1, 456.7, 452.2,
    447.7, 425.3, 405.1, 387.3, 371.5, 357.3, 344.4, 332.7, 321.8, 302.0, 284.4, 268.9,
    255.0, 242.7, 231.6, 221.6, 212.6, 204.3, 196.8, 189.9, 183.5, 177.5,
    172.0, 149.5, 132.8, 119.9, 109.5, 101.0, 93.83, 87.75, 82.50, 73.88, 67.07, 61.54,
    56.95, 53.06, 49.73, 46.84, 44.30, 42.05, 40.04, 38.24, 36.60, 35.12,
    33.76, 28.42, 24.66, 21.86, 19.69, 16.52, 15.32, 14.31, 12.68, 11.42, 10.41,
    9.594, 8.911, 8.334, 7.838, 7.408, 7.031, 6.698, 6.401, 6.135, 5.895,
    5.678, 4.837, 4.262, 3.844, 3.526, 3.277, 3.076, 2.911, 2.773, 2.555, 2.393, 2.267,
    2.167, 2.086, 2.020, 1.965, 1.918, 1.879, 1.845, 1.816, 1.791, 1.769,
    1.750, 1.647, 1.618, 1.613, 1.619, 1.642, 1.668, 1.692, 1.714, 1.734, 1.752, 1.768,
])

#: Total mass stopping power of silicon [MeV cm^2/g] (PSTAR "SILICON").
S_SI_MEV_CM2_G = np.array([
    116.9, 139.3, 158.3, 175.0, 190.3, 217.4, 241.4, 263.3, 283.4, 302.2, 319.9,
    336.6, 368.6, 396.1, 419.9, 440.8, 459.1, 475.1, 489.0, 501.1, 520.4, 534.2, 543.3,
    548.5, 550.7, 550.4, 548.0, 544.2, 539.2, 533.3, 526.7, 519.8, 512.6,
    505.3, 469.5, 437.9, 411.3, 388.9, 369.9, 353.5, 339.1, 326.3, 304.5, 286.2, 270.6,
    256.9, 245.4, 235.3, 226.1, 217.4, 209.1, 201.2, 193.8, 187.2, 181.1,
    175.4, 152.4, 135.5, 122.3, 111.8, 103.1, 95.86, 89.68, 84.33, 75.54, 68.60, 62.96,
    58.28, 54.31, 50.91, 47.95, 45.36, 43.06, 41.01, 39.16, 37.50, 35.98,
    34.59, 29.13, 25.29, 22.43, 20.20, 16.95, 15.73, 14.69, 13.02, 11.73, 10.70,
    9.856, 9.157, 8.564, 8.056, 7.614, 7.227, 6.885, 6.581, 6.308, 6.061,
    5.838, 4.974, 4.383, 3.954, 3.628, 3.371, 3.165, 2.995, 2.853, 2.630, 2.462, 2.333,
    2.230, 2.147, 2.079, 2.022, 1.975, 1.934, 1.899, 1.870, 1.844, 1.821,
    1.801, 1.696, 1.666, 1.661, 1.668, 1.692, 1.720, 1.746, 1.770, 1.792, 1.812, 1.830,
])

#: Densities [g/cm^3] used by PSTAR/ESTAR for the two materials.
AL_DENSITY_G_CM3 = 2.699
SI_DENSITY_G_CM3 = 2.33
