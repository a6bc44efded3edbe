"""Reads of the AML app."""
