"""A tiny Flask application served by gunicorn."""

from flask import Flask

DEBUG = True

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
