"""Payment risk: the Django side of the engine (stored payments, decisions, rule-set versions)."""
