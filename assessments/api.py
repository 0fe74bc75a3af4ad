"""JSON API of the assessments app (filled by its change)."""
