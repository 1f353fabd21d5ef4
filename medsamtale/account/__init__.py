"""Each person's own page."""
