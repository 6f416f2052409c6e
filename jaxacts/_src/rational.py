"""rational family (declarations are added here)."""
