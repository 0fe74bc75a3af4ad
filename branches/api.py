"""JSON API of the branches app (filled by its change)."""
