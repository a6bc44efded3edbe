"""Shared base: request context, branch scoping, business calendars, errors, pagination, probes."""
