"""Retention: what is deleted, by rule, once it has been kept as long as the organisation's
settings say (services), and `flask retention plan|run` (cli)."""
