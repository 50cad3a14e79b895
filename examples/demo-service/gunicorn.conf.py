# Gunicorn configuration for the demo service.
bind = "0.0.0.0:8000"
workers = 2
worker_class = "sync"
accesslog = "-"
