"""Docker-free asset bundling for Lambda and Glue code.

CDK's Python bundling normally runs in a Docker image; this module implements CDK's
``ILocalBundling`` hook so bundling happens on the synth machine instead: sources are copied
from the repository's runtime folders and dependencies are installed with
``pip install --platform manylinux2014_x86_64 --only-binary=:all:`` for the target Python,
so the wheels match the Lambda/Glue runtime whatever the host is. The asset hash is computed
from the bundled output, so a change to any copied folder (e.g. the shared PII engine) produces
a new asset.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct


def _runtime_root() -> Path:
    """Where ``glue_jobs/``, ``lambda_src/`` and ``training/`` live.

    In a source checkout that is the repository root; in a pip-installed wheel they ship as
    ``pipeline_stacks/_runtime/`` (see pyproject.toml), so imported constructs still bundle.
    """
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "glue_jobs").is_dir() and (checkout / "lambda_src").is_dir():
        return checkout
    return Path(__file__).resolve().parent / "_runtime"


#: Root of the runtime source folders (repository checkout or installed package).
RUNTIME_ROOT = _runtime_root()

#: Top-level runtime modules shared by the infrastructure and every runtime asset: the contract (names both sides
#: agree on) and the PII engine. Each Lambda bundle and Glue library ships them next to its own code.
SHARED_RUNTIME_MODULES = ("pipeline_contract.py", "pii_engine")


def runtime_source(relative: str) -> Path:
    """Absolute path of a runtime source (repo-relative in a checkout).

    The runtime folders ship under ``pipeline_stacks/_runtime/``; the shared top-level modules
    (:data:`SHARED_RUNTIME_MODULES`) are importable packages of the wheel, so they are found by import.
    """
    path = RUNTIME_ROOT / relative
    if path.exists():
        return path
    top = Path(relative).parts[0].removesuffix(".py")
    spec = importlib.util.find_spec(top)
    if spec is None or spec.origin is None:
        return path
    origin = Path(spec.origin).parent
    root = origin.parent if spec.submodule_search_locations is not None else origin
    return root / relative


_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", ".pytest_cache", "*.egg-info")


@dataclass(frozen=True)
class Copy:
    """Copy ``source`` (repo-relative file or folder) to ``target`` inside the bundle."""

    source: str
    target: str


#: Copies of :data:`SHARED_RUNTIME_MODULES` into the root of a bundle.
SHARED_RUNTIME_COPIES: tuple[Copy, ...] = tuple(Copy(m, m) for m in SHARED_RUNTIME_MODULES)

#: What the chat app needs of ``retrieval/`` (a top-level package of the wheel, like the shared modules): the
#: interface and the Bedrock Knowledge Base retriever. Not ``retrieval/local.py`` (bm25s/numpy; local mode only).
RETRIEVAL_RUNTIME_FILES = ("retrieval/__init__.py", "retrieval/bedrock.py")

#: The front-door (chat) Lambda's copies beyond its own folder: the shared modules and the retrieval runtime.
FRONT_DOOR_RUNTIME_COPIES: tuple[Copy, ...] = (
    *SHARED_RUNTIME_COPIES,
    *(Copy(f, f) for f in RETRIEVAL_RUNTIME_FILES),
)


@jsii.implements(cdk.ILocalBundling)
class LocalPythonBundling:
    """Bundle Python sources and manylinux wheels on the host, without Docker.

    ``zip_name``: put everything in one zip file (e.g. a Glue ``--extra-py-files`` library)
    instead of a folder; ``tar_name``: one reproducible gzipped tarball instead (e.g. a SageMaker
    framework container's ``sourcedir.tar.gz``); ``compile_bytecode``: add ``__pycache__`` built by an
    interpreter of ``python_version`` (Lambda cold starts), skipped with a warning when none is found.
    """

    def __init__(
        self,
        copies: Sequence[Copy],
        *,
        requirements: str | None = None,
        python_version: str = "3.12",
        platform: str = "manylinux2014_x86_64",
        zip_name: str | None = None,
        tar_name: str | None = None,
        compile_bytecode: bool = False,
    ) -> None:
        if zip_name and tar_name:
            raise ValueError("LocalPythonBundling: give zip_name or tar_name, not both")
        self.copies = tuple(copies)
        self.compile_bytecode = compile_bytecode
        self.tar_name = tar_name
        self.requirements = requirements
        self.python_version = python_version
        self.platform = platform
        self.zip_name = zip_name

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_: Any) -> bool:
        """Called by CDK before any Docker bundling; returning True means no Docker is used."""
        out = Path(output_dir)
        with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
            stage = Path(tmp) if (self.zip_name or self.tar_name) else out
            self._stage(stage)
            if self.zip_name:
                _zip_dir(stage, out / self.zip_name)
            if self.tar_name:
                _tar_dir(stage, out / self.tar_name)
        return True

    def _stage(self, stage: Path) -> None:
        for copy in self.copies:
            source = runtime_source(copy.source)
            target = stage / copy.target
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=_IGNORE, dirs_exist_ok=True)
            else:
                shutil.copy2(source, target)
        if self.requirements:
            subprocess.run(
                [
                    sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-compile", "--only-binary=:all:", "--platform", self.platform,
                    "--python-version", self.python_version, "--implementation", "cp",
                    "--target", str(stage), "-r", str(RUNTIME_ROOT / self.requirements),
                ],
                check=True,
            )  # fmt: skip
        for script in stage.glob("*.sh"):  # e.g. the Lambda Web Adapter's handler script (run.sh) is executed
            script.chmod(0o755)
        if self.compile_bytecode:
            _compile_bytecode(stage, self.python_version)


def _target_interpreter(python_version: str) -> str | None:
    """An interpreter of exactly ``python_version``: ``$BUNDLING_PYTHON_<MAJOR>_<MINOR>``, ``python<ver>`` on
    PATH, or this one; verified by running it (pyenv shims of versions not selected only print an error)."""
    candidates = [
        os.environ.get(f"BUNDLING_PYTHON_{python_version.replace('.', '_')}"),
        shutil.which(f"python{python_version}"),
        sys.executable,
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == python_version:
            return candidate
    return None


def _compile_bytecode(stage: Path, python_version: str) -> None:
    """Ship ``__pycache__`` for the target runtime. Lambda's file system is read-only, so without it every
    cold start compiles every module it imports (front door: ~350 ms import without bytecode, ~140 ms with)."""
    interpreter = _target_interpreter(python_version)
    if interpreter is None:
        print(
            f"bundling: no Python {python_version} found (set BUNDLING_PYTHON_{python_version.replace('.', '_')}); "
            "the bundle ships without bytecode and compiles at cold start",
            file=sys.stderr,
        )
        return
    # unchecked-hash: valid whatever mtimes the zip gives the sources; failures (e.g. files for other
    # Python versions inside vendored packages) only mean those modules compile at import.
    subprocess.run(
        [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(stage)],
        check=False,
        stdout=subprocess.DEVNULL,
    )


def _zip_dir(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                # Fixed timestamps keep the archive (and so the asset hash) reproducible.
                info = zipfile.ZipInfo(str(path.relative_to(folder)), date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)


def _tar_dir(folder: Path, archive: Path) -> None:
    """A gzipped tarball of ``folder`` with fixed owners, modes and timestamps (reproducible hash)."""

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        info.mode = 0o755 if info.isdir() else 0o644
        return info

    with (
        open(archive, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False, filter=normalise)


def _bundling(
    bundler: LocalPythonBundling,
    python_version: str,
    output_type: cdk.BundlingOutput = cdk.BundlingOutput.AUTO_DISCOVER,
) -> cdk.BundlingOptions:
    # The image is only a fallback CDK requires in the options; local bundling always succeeds first.
    return cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry(f"public.ecr.aws/sam/build-python{python_version}"),
        local=bundler,
        output_type=output_type,
    )


def lambda_code(
    source_dir: str,
    *,
    extra: Sequence[Copy] = (),
    requirements: str | None = None,
    python_version: str = "3.12",
    compile_bytecode: bool = True,
) -> lambda_.Code:
    """Lambda code from ``lambda_src/<function>`` plus ``extra`` folders and pip requirements.

    ``compile_bytecode=False``: ship sources only (a runtime whose Python the synth machine may not have)."""
    bundler = LocalPythonBundling(
        [Copy(source_dir, "."), *extra],
        requirements=requirements,
        python_version=python_version,
        compile_bytecode=compile_bytecode,
    )
    return lambda_.Code.from_asset(
        str(RUNTIME_ROOT / source_dir),
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        bundling=_bundling(bundler, python_version),
    )


def python_library_asset(
    scope: Construct,
    construct_id: str,
    *,
    copies: Sequence[Copy],
    zip_name: str,
    requirements: str | None = None,
    python_version: str = "3.11",
) -> s3_assets.Asset:
    """A zip of Python packages as an S3 asset (e.g. Glue ``--extra-py-files``)."""
    bundler = LocalPythonBundling(copies, requirements=requirements, python_version=python_version, zip_name=zip_name)
    return _s3_asset(scope, construct_id, copies, _bundling(bundler, python_version))


def source_archive_asset(
    scope: Construct,
    construct_id: str,
    *,
    copies: Sequence[Copy],
    archive_name: str = "sourcedir.tar.gz",
) -> s3_assets.Asset:
    """Sources packed into one ``.tar.gz`` S3 asset, uploaded as is (no pip install).

    The shape SageMaker framework containers expect for ``sagemaker_submit_directory``: the
    container extracts it and installs its ``requirements.txt`` itself.
    """
    bundler = LocalPythonBundling(copies, tar_name=archive_name)
    return _s3_asset(scope, construct_id, copies, _bundling(bundler, "3.12", cdk.BundlingOutput.SINGLE_FILE))


def _s3_asset(
    scope: Construct, construct_id: str, copies: Sequence[Copy], bundling: cdk.BundlingOptions
) -> s3_assets.Asset:
    """An S3 asset bundled from ``copies`` (rooted at the first copy's source), hashed on the bundled output."""
    return s3_assets.Asset(
        scope,
        construct_id,
        path=str(RUNTIME_ROOT / copies[0].source),
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        bundling=bundling,
    )


# ---------------------------------------------------------------------------------------- web UI (npm)

#: What decides the web build's output: sources, static files, build configuration and the lockfile.
WEB_BUILD_INPUTS = (
    "index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "src", "public",
)  # fmt: skip
_WEB_STAMP = ".build-hash"


def web_source_hash(web_dir: Path) -> str:
    """SHA-256 over the web build's inputs (:data:`WEB_BUILD_INPUTS`): names and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name in WEB_BUILD_INPUTS:
        root = web_dir / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root] if root.is_file() else []
        for path in files:
            digest.update(str(path.relative_to(web_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class LocalNpmBuild:
    """Build a Vite single-page app on the host (no Docker): ``npm ci`` when the lockfile changed, then
    ``npm run build``, and copy ``dist/`` into the asset. A build whose input hash (:func:`web_source_hash`)
    matches the stamp in ``dist/`` is reused, so repeated synths do not rebuild."""

    def __init__(self, web_dir: Path) -> None:
        self.web_dir = web_dir

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_: Any) -> bool:
        """Called by CDK before any Docker bundling; returning True means no Docker is used."""
        dist = ensure_web_build(self.web_dir)
        shutil.copytree(dist, output_dir, ignore=shutil.ignore_patterns(_WEB_STAMP), dirs_exist_ok=True)
        return True


def ensure_web_build(web_dir: Path) -> Path:
    """``web_dir/dist``, built first when missing or stale: ``npm ci`` when the lockfile is newer than the install,
    then ``npm run build``; the input hash (:func:`web_source_hash`) is stamped into ``dist/`` so an up-to-date
    build is reused (by ``make web-build``, the browser tests and :class:`LocalNpmBuild`)."""
    dist = web_dir / "dist"
    wanted = web_source_hash(web_dir)
    stamp = dist / _WEB_STAMP
    if not (stamp.is_file() and stamp.read_text().strip() == wanted and (dist / "index.html").is_file()):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building the web UI needs Node.js 20.19+ and npm on PATH")
        installed = web_dir / "node_modules" / ".package-lock.json"
        lockfile = web_dir / "package-lock.json"
        if not installed.is_file() or installed.stat().st_mtime < lockfile.stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=web_dir, check=True)
        subprocess.run([npm, "run", "build", "--silent"], cwd=web_dir, check=True)
        stamp.write_text(wanted)
    return dist


def web_dist_asset_options(web_dir: Path) -> dict[str, Any]:
    """Keyword arguments for ``s3deploy.Source.asset(str(web_dir), **...)``: the built ``dist/`` of ``web_dir``,
    keyed by the hash of the build inputs. When CDK skips bundling (``aws:cdk:bundling-stacks``), nothing is built
    and the asset stays a placeholder (node_modules, dist and tests excluded from any staging copy)."""
    return {
        "asset_hash": web_source_hash(web_dir),
        "asset_hash_type": cdk.AssetHashType.CUSTOM,
        "exclude": ["node_modules", "dist", "e2e", "test", ".*"],
        "bundling": cdk.BundlingOptions(
            image=cdk.DockerImage.from_registry("public.ecr.aws/docker/library/node:20"),
            local=LocalNpmBuild(web_dir),
            output_type=cdk.BundlingOutput.NOT_ARCHIVED,
        ),
    }
