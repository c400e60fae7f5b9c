from tests.api.conftest import api_settings, auth, client, engine  # noqa: F401  (the API fixtures, shared)
