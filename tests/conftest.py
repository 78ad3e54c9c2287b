from tests.postgres import postgres_url  # noqa: F401  (session fixture for every test package)
