"""adaptive family (declarations are added here)."""
