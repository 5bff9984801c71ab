"""The images, linted by test: no container engine runs here, so ``make images`` cannot be exercised.
Each Dockerfile must be multi-stage on a pinned base, install with the repository's constraints, run as a
non-root user without build tools or pip, and start the same process the manifests expect."""

import re

import pytest
from k8s_manifests import K8S, PROCESS_DIRS, PROCESSES, REPO, named, pod_spec

# python:3.11.<patch>-slim-bookworm, optionally with a digest: an exact, reproducible base.
# Python for every process; Node.js only in the gateway's stage that builds the web app. Both pinned.
PINNED_BASE = re.compile(r"^(python:3\.11\.\d+-slim-bookworm|node:20\.\d+\.\d+-bookworm-slim)(@sha256:[0-9a-f]{64})?$")
BUILD_TOOLS = ("build-essential", "gcc", "g++", "make ", "libpq-dev", "python3-dev", "git", "curl", "wget")


def instructions(path):
    """``[(INSTRUCTION, argument)]`` with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages(path):
    result = []
    for word, arg in instructions(path):
        if word == "FROM":
            result.append([])
        result[-1].append((word, arg))
    return result


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_dockerfile_is_multistage_on_a_pinned_base(process):
    dockerfile = PROCESS_DIRS[process] / "Dockerfile"
    all_stages = stages(dockerfile)
    assert len(all_stages) >= 2, "build and runtime stages"
    for stage in all_stages:
        image = stage[0][1].split()[0]
        assert PINNED_BASE.match(image), f"{process}: unpinned base {image}"
        assert "latest" not in image


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_runtime_stage_is_non_root_without_build_tools(process):
    dockerfile = PROCESS_DIRS[process] / "Dockerfile"
    runtime = stages(dockerfile)[-1]
    users = [arg for word, arg in runtime if word == "USER"]
    assert users, f"{process}: the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{process}: USER must be a numeric non-root id (runAsNonRoot checks it)"
    # ... and the same id as the pods' securityContext.
    assert int(uid) == 10001
    for word, arg in runtime:
        if word == "RUN":
            assert "apt-get install" not in arg or not any(tool in arg for tool in BUILD_TOOLS), arg
            assert "pip install" not in arg, "installing belongs to the build stage"
        if word == "COPY":
            assert not re.match(r"^(--\S+\s+)*\.\s", arg), "the runtime stage copies what it needs, not the repository"
    runs = " ".join(arg for word, arg in runtime if word == "RUN")
    assert "pip uninstall -y pip" in runs, "no pip at run time"
    build_runs = " ".join(arg for stage in stages(dockerfile)[:-1] for word, arg in stage if word == "RUN")
    assert "pip uninstall -y pip" in build_runs, "the virtualenv copied into the runtime has no pip either"


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_build_installs_pinned_packages_non_editable(process):
    directory = PROCESS_DIRS[process].relative_to(REPO)
    build = " ".join(arg for stage in stages(PROCESS_DIRS[process] / "Dockerfile")[:-1] for word, arg in stage)
    assert "pip install -c constraints.txt ./libs/antre-common" in build
    assert f"./{directory}" in build
    assert " -e " not in build, "editable installs would need the source tree at run time"


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_image_starts_the_process_the_manifests_expect(process, rendered):
    dockerfile = PROCESS_DIRS[process] / "Dockerfile"
    runtime = stages(dockerfile)[-1]
    (cmd,) = [arg for word, arg in runtime if word == "CMD"]
    module, cls = re.fullmatch(r'\["nameko", "run", "--config", "config.yaml", "(\w+)\.service:(\w+)"\]', cmd).groups()
    assert module == process
    assert f"class {cls}(" in (PROCESS_DIRS[process] / process / "service.py").read_text()
    assert "backdoor" not in dockerfile.read_text().lower()
    (expose,) = [int(arg) for word, arg in runtime if word == "EXPOSE"]
    assert expose == PROCESSES[process]
    # The same port is the default in the process's config.yaml, so the image runs correctly unconfigured.
    config = (PROCESS_DIRS[process] / "config.yaml").read_text()
    assert f"WEB_SERVER_ADDRESS:0.0.0.0:{expose}" in config.replace("${", "").replace(" ", "")
    assert ["WORKDIR", "/app"] in [[w, a] for w, a in runtime]
    for overlay, objects in rendered.items():
        container = pod_spec(named(objects, "Deployment", process))["containers"][0]
        assert "command" not in container and "args" not in container, f"{overlay}: the image's CMD is the process"


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_image_carries_what_migrations_and_config_need(process):
    copied = " ".join(arg for word, arg in stages(PROCESS_DIRS[process] / "Dockerfile")[-1] if word == "COPY")
    directory = PROCESS_DIRS[process].relative_to(REPO)
    assert f"{directory}/config.yaml" in copied
    if (PROCESS_DIRS[process] / "alembic.ini").exists():
        assert f"{directory}/alembic.ini" in copied and f"{directory}/migrations" in copied


def test_dockerignore_keeps_the_context_small_and_free_of_local_state():
    lines = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()]
    ignore = [line for line in lines if line and not line.startswith("#")]
    assert ignore[0] == "**", "ignore everything, then allow what images need"
    for keep in ("!constraints.txt", "!libs/antre-common/", "!gateway/"):
        assert keep in ignore
    assert "**/tests/" in ignore


def test_makefile_builds_every_image():
    makefile = (REPO / "Makefile").read_text()
    assert "services/$$s/Dockerfile" in makefile and "gateway/Dockerfile" in makefile
    assert "k8s-check" in makefile and "deploy/k8s/tests" in makefile
    assert (K8S / "tests").is_dir()


PACKAGE_ROOTS = {**{name: PROCESS_DIRS[name] for name in PROCESSES}, "antre_common": REPO / "libs/antre-common"}


@pytest.mark.parametrize("package", sorted(PACKAGE_ROOTS))
def test_non_editable_install_carries_every_file_of_the_package(package):
    """Images install packages as wheels, not editable: a sub-package missing from ``packages`` or a
    template/data file missing from ``package-data`` works in development and is absent from the image."""
    import tomllib
    from pathlib import PurePosixPath

    root = PACKAGE_ROOTS[package]
    settings = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(settings["packages"])
    data_globs = settings.get("package-data", {})
    (top,) = [p for p in packages if "." not in p]
    missing = []
    for path in sorted((root / top).rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        relative = path.relative_to(root)
        if path.suffix == ".py":
            if ".".join(relative.parent.parts) not in packages:
                missing.append(f"{relative}: its directory is not in [tool.setuptools] packages")
            continue
        owner = ".".join(relative.parent.parts)
        while owner not in packages:
            owner = owner.rpartition(".")[0]
        inside = PurePosixPath(*path.relative_to(root / owner.replace(".", "/")).parts)
        globs = data_globs.get(owner, [])
        if not any(inside.match(g) and len(inside.parts) == len(PurePosixPath(g).parts) for g in globs):
            missing.append(f"{relative}: not in [tool.setuptools.package-data] {owner}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_every_runtime_file_beside_the_package_is_copied(process):
    """What sits beside the package (config, Alembic) is read from WORKDIR at run time, so the image must
    copy each such entry; a new one (say a data folder) would otherwise work in development only."""
    root = PROCESS_DIRS[process]
    build_only = {process, "tests", "pyproject.toml", "README.md", "Dockerfile", "build"}
    needed = {p.name for p in root.iterdir() if p.name not in build_only and p.name[0] != "."}
    needed = {name for name in needed if not name.endswith(".egg-info")}
    copied = " ".join(arg for word, arg in stages(root / "Dockerfile")[-1] if word == "COPY")
    directory = root.relative_to(REPO)
    assert needed, process
    for name in sorted(needed):
        assert f"{directory}/{name}" in copied, f"{process}: {name} is not copied into the image"
