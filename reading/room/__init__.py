"""The reading room: pages for researchers inside ``demarche browse``.

A Datasette plugin (:mod:`reading.room.plugin`) adds a home page, a page
per statement (``/statement/<id>``, with its archived copy and citation),
per speaker, source and country, and a faceted search; the templates are in
``reading/templates/room``. Each page's data is gathered by a module of its
own, from a read-only SQLAlchemy session, and rendered by Datasette's Jinja
environment; charts are SVG drawn on the server (:mod:`reading.room.charts`).
Datasette's tables and SQL stay at ``/archive``.
"""
