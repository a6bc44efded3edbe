"""Writes of the AML app: each ``do_*`` is atomic and writes its audit event in the same transaction."""
