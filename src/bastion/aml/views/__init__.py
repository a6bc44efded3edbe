"""Console pages of the AML app, one module per area."""
