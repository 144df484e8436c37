"""Forecasts: buy-till-you-die models (BG/NBD, MBG/NBD, Gamma-Gamma, CLV) reproducing lifetimes 0.11.3
in plain numpy/scipy/pandas (btyd)."""
