"""shrink family (declarations are added here)."""
