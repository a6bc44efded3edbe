"""Console pages of the risk app, one module per area (decisions, rules, lists, holds...)."""
