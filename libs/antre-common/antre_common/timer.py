"""nameko's timer with its interval from the service's settings, so operators and tests can change it.

    from myservice.settings import Settings

    @every(Settings, "sweep_seconds")
    def sweep(self): ...

The default lives in ``Settings`` (settings.py), as every default does.
"""

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, settings_class, name, **kwargs):
        super().__init__(interval=getattr(settings_class, name), **kwargs)
        self.settings_class = settings_class
        self.name = name

    def setup(self):
        self.interval = float(getattr(self.settings_class.from_config(self.container.config), self.name))
        super().setup()


every = ConfiguredTimer.decorator
