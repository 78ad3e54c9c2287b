"""The web dashboard (`ui` workload): serves the built single-page app and its /config.json."""
