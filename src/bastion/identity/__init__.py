"""Users, roles and permissions, MFA, API tokens, the organisation tree and dual-control requests."""
