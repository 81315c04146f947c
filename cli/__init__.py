"""The ``demarche`` command: ``main.py`` builds the parser from the command
modules beside it, each one thin (its arguments, one call into the library,
its printing)."""
