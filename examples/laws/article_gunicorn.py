from pathlib import Path
from hammurabi import Pillar, Law, LineReplaced, IsLineNotExists

gunicorn_config_path = Path("./gunicorn.conf.py")

gunicorn_workers_set = Law(
    name='Gunicorn worker settings',
    description="Make sure gunicorn workers are configured",
    rules=(
        LineReplaced(
            name='Worker class is set to gevent',
            path=gunicorn_config_path,
            target=r'^(\s+)?worker_class\ =\ .*',
            text='worker_class = "gevent"',
            preconditions=[
              IsLineNotExists(
                path=gunicorn_config_path,
                criteria=r'^(\s+)?worker_class\ =\ "gevent"'
              )
            ]
        ),
    )
)

pillar = Pillar()
pillar.register(gunicorn_workers_set)
