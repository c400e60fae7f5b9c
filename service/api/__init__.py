"""HTTP edge: pydantic models, routers, errors, auth. The core below knows nothing of HTTP."""
