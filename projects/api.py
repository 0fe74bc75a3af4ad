"""JSON API of the projects app (filled by its change)."""
