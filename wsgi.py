"""What gunicorn serves: `gunicorn wsgi:app`."""

from medsamtale import create_app

app = create_app()
