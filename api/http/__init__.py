"""The HTTP service: the app factory and lifespan (app.py), authentication (auth.py), request
limits (middleware.py), and request ids, logs and metrics (observability.py)."""
