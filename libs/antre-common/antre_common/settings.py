"""Reading a service's ``Settings`` dataclass from its nameko config.

Each service's ``settings.py`` declares its tunables as dataclass fields with their defaults (the only place
a default lives: config.yaml leaves tunables empty, ``${VAR:}``) and which config key sets each one. A key
that is absent or empty keeps the default; a value is cast to the default's type (``str`` for a default of
None, e.g. a secret), or by a parser the service names.
"""

import dataclasses


def read_settings(cls, config, keys, parsers=None):
    """``cls(**values)`` from ``config``: ``keys`` maps field names to config keys."""
    parsers = parsers or {}
    values = {}
    for field in dataclasses.fields(cls):
        key = keys.get(field.name)
        raw = config.get(key) if key else None
        if raw is None or raw == "":
            continue
        parse = parsers.get(field.name) or (str if field.default is None else type(field.default))
        values[field.name] = parse(raw)
    return cls(**values)
