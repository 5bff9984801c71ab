"""Every service keeps the one skeleton of docs/layout.md, the services still to come included."""

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from nameko.extensions import DependencyProvider

from antre_common import consumers
from antre_common.errors import ServiceError

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
SERVICES = sorted(p.name for p in SERVICES_DIR.iterdir() if (p / p.name / "service.py").exists())
ROLES = ("service.py", "dependencies.py", "settings.py", "events.py", "models.py", "schemas.py", "exceptions.py")
SERVICE_PY_MAX_LINES = 200


def modules(service):
    package = importlib.import_module(service)
    for info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{service}.{info.name}")


def test_the_services_are_found():
    assert {"identity", "scheduling", "documents", "notification"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_every_role_has_its_file(service):
    missing = [role for role in ROLES if not (SERVICES_DIR / service / service / role).exists()]
    assert not missing, f"{service} lacks {missing}"
    for extra in ("config.yaml", "Dockerfile", "README.md", "migrations", "tests"):
        assert (SERVICES_DIR / service / extra).exists(), f"{service} lacks {extra}"


@pytest.mark.parametrize("service", SERVICES)
def test_dependency_providers_live_only_in_dependencies_py(service):
    for module in modules(service):
        providers = [
            name
            for name, obj in vars(module).items()
            if isinstance(obj, type) and issubclass(obj, DependencyProvider) and obj.__module__ == module.__name__
        ]
        if module.__name__ != f"{service}.dependencies":
            assert not providers, f"{module.__name__} defines {providers}: they belong in dependencies.py"


ENTRYPOINT_DECORATORS = {"rpc", "event_handler", "every", "http", "timer", "api"}


def entrypoint_files(service):
    """``service.py`` and its parts ``service_<part>.py`` (mixins of entrypoints, docs/layout.md)."""
    package = SERVICES_DIR / service / service
    return [package / "service.py", *sorted(package.glob("service_*.py"))]


@pytest.mark.parametrize("service", SERVICES)
def test_service_py_is_thin_and_opens_no_transaction(service):
    for path in entrypoint_files(service):
        source = path.read_text()
        assert len(source.splitlines()) <= SERVICE_PY_MAX_LINES, f"{path.name}: split it into service_<part>.py"
        tree = ast.parse(source)
        calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        assert "transaction" not in calls, f"{path.name}: transactions open in the domain modules (docs/layout.md)"


def decorator_name(node):
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoints_live_only_in_service_py_and_its_parts(service):
    allowed = set(entrypoint_files(service))
    for path in (SERVICES_DIR / service / service).glob("*.py"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                names = {decorator_name(d) for d in node.decorator_list} & ENTRYPOINT_DECORATORS
                assert not names, f"{path.name}: {node.name} is an entrypoint; entrypoints live in service*.py"


@pytest.mark.parametrize("service", SERVICES)
def test_settings_hold_every_default_and_config_yaml_none(service):
    settings = importlib.import_module(f"{service}.settings")
    assert settings.Settings.from_config({}) == settings.Settings()  # absent keys: the defaults
    config = (SERVICES_DIR / service / "config.yaml").read_text()
    for key in settings.KEYS.values():
        assert re.search(rf"\$\{{{key}:\}}", config), f"config.yaml gives {key} a default: it belongs in settings.py"


def camel(code):
    return "".join(word.capitalize() for word in code.split("_"))


@pytest.mark.parametrize("service", SERVICES)
def test_exception_class_names_match_their_codes(service):
    exceptions = importlib.import_module(f"{service}.exceptions")
    own = [
        cls
        for cls in vars(exceptions).values()
        if isinstance(cls, type) and issubclass(cls, ServiceError) and cls.__module__ == exceptions.__name__
    ]
    assert [cls.__name__ for cls in own] == [camel(cls.code) for cls in own]


def service_class(package):
    module = importlib.import_module(f"{package}.service")
    return next(obj for obj in vars(module).values() if isinstance(obj, type) and getattr(obj, "name", None) == package)


def queue_consumers(service_cls):
    """Each extension of the service that takes messages from RabbitMQ, with the queue consumer it shares."""
    for name in dir(service_cls):
        attr = getattr(service_cls, name)
        for entrypoint in getattr(attr, "nameko_entrypoints", ()):
            inner = getattr(entrypoint, "rpc_consumer", entrypoint)
            if hasattr(inner, "queue_consumer"):
                yield f"{name} ({type(entrypoint).__name__})", inner.queue_consumer
        listener = getattr(attr, "rpc_reply_listener", None)
        if isinstance(attr, DependencyProvider) and listener is not None:
            yield f"{name} ({type(attr).__name__})", listener.queue_consumer


@pytest.mark.parametrize("package", [*SERVICES, "gateway"])
def test_every_consumer_survives_an_ack_the_broker_cannot_take(package):
    """nameko stops a container whose ack fails on a dead connection; antre_common.consumers logs it. One
    class for all, so the process keeps one consumer connection (nameko shares an extension per class)."""
    found = dict(queue_consumers(service_class(package)))
    assert found, f"{package}: no consuming extension found"
    wrong = [name for name, consumer in found.items() if type(consumer) is not consumers.QueueConsumer]
    assert not wrong, (
        f"{package}: {wrong} use nameko's own consumer; take rpc, ServiceRpc, event_handler from antre_common"
    )
