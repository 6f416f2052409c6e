"""gated family (declarations are added here)."""
