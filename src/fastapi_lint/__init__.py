"""fastapi-lint: static analysis and fixes for FastAPI + SQLAlchemy applications."""

__version__ = "0.1.0"
