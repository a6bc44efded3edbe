"""Hash-chained, append-only audit trail of every change and every sensitive read."""
