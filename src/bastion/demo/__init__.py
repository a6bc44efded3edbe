"""Realistic demo data (Chinese institution, branches, staff) for `make demo`; never used in production."""
