#!/usr/bin/env python3
"""Build the Linux release: the PyInstaller onedir bundle, packed as a tar.gz with a Desktop Entry and icons.

    .venv/bin/python -m pip install -e '.[build]'         # PyInstaller, from pyproject.toml's build extra
    .venv/bin/python installers/build_linux.py [--smoke-test]

Output:
    dist/copilot-insight/                                  the onedir bundle (runs in place)
    dist/copilot-insight-<version>-linux-<arch>.tar.gz     what is shipped: the bundle plus
        copilot-insight-<version>/share/applications/copilot-insight.desktop,
        share/icons/hicolor/<N>x<N>/apps/copilot-insight.png, install.sh and uninstall.sh

`--smoke-test` unpacks the archive into a temporary folder and runs the shipped executable's
`--smoke-test --no-error-dialogs` there, so what is tested is what is shipped. The script prints the
build time and the sizes, and exits non-zero if a step fails. An AppImage is not built: appimagetool
and its runtime are downloads from GitHub, not packages, so they cannot be had offline here.
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bundle_config.py is beside this script
import bundle_config as cfg

DIST = cfg.ROOT / "dist"
WORK = cfg.ROOT / "build"
LINUX = cfg.INSTALLERS / "linux"
DESKTOP_FILE = LINUX / f"{cfg.APP_ID}.desktop"
SCRIPTS = (LINUX / "install.sh", LINUX / "uninstall.sh")
SMOKE_TIMEOUT = 120  # seconds: a cold start of a bundle on a slow disk, with generous room


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def run_pyinstaller() -> Path:
    """Run the shared spec; return the onedir bundle."""
    if importlib.util.find_spec("PyInstaller") is None:
        sys.exit("PyInstaller is not installed in this environment. Install the build tools with:\n"
                 f"  {sys.executable} -m pip install -e '{cfg.ROOT}[build]'")
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        sys.exit(f"{sys.executable} was built without a shared libpython, which PyInstaller needs. Use a Python "
                 "built with --enable-shared (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.13; "
                 "Debian: the libpython3.x package) and recreate .venv with it.")
    _step(f"PyInstaller {cfg.SPEC.relative_to(cfg.ROOT)}")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(WORK / "pyinstaller"), str(cfg.SPEC)],
                   cwd=cfg.ROOT, check=True)
    bundle = cfg.onedir(DIST)
    if not (bundle / cfg.EXECUTABLE).is_file():
        sys.exit(f"PyInstaller did not produce {bundle / cfg.EXECUTABLE}")
    return bundle


def _is_elf(path: Path) -> bool:
    if not path.is_file() or path.is_symlink():
        return False
    with path.open("rb") as stream:
        return stream.read(4) == b"\x7fELF"


def strip_debug_info(bundle: Path) -> int:
    """Remove debugging sections from the bundle's shared libraries; return how many bytes that saved.

    Python built from source (pyenv) and some wheels ship their libraries with DWARF debug
    information, a quarter of the bundle. `strip --strip-debug` keeps every symbol, so nothing that
    loads or links them changes. Without binutils' `strip` this is skipped.
    """
    strip = shutil.which("strip")
    if strip is None:
        print("strip (binutils) not found: the bundle keeps its libraries' debug information.")
        return 0
    libraries = [path for path in bundle.rglob("*.so*") if _is_elf(path)]
    before = sum(path.stat().st_size for path in libraries)
    for chunk in range(0, len(libraries), 200):
        subprocess.run([strip, "--strip-debug", *map(str, libraries[chunk:chunk + 200])], check=True)
    return before - sum(path.stat().st_size for path in libraries)


def stage(bundle: Path, version: str, into: Path = WORK / "linux") -> Path:
    """Lay out the archive's folder in `into`: the bundle at its root, then share/ and the install scripts."""
    root = into / f"{cfg.APP_ID}-{version}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root, symlinks=True)
    applications = root / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy2(DESKTOP_FILE, applications / DESKTOP_FILE.name)
    for size, png in cfg.icon_pngs().items():
        target = root / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{cfg.APP_ID}.png"
        target.parent.mkdir(parents=True)
        shutil.copy2(png, target)
    for script in SCRIPTS:
        shutil.copy2(script, root / script.name)
        (root / script.name).chmod(0o755)
    return root


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Owned by root, no build-machine user names: the same archive from any build account."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def pack(root: Path, archive: Path) -> Path:
    """Write `root` into a gzip'd tar with `root`'s name as its single top-level folder."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:  # 9 takes twice as long for 1 % less
        tar.add(root, arcname=root.name, filter=_normalised)
    return archive


def folder_size(folder: Path) -> int:
    """Bytes of every regular file under `folder` (what `du --apparent-size` counts)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def mib(size: int) -> str:
    """`size` bytes in MiB, one decimal."""
    return f"{size / 2**20:.1f} MiB"


def smoke_test(archive: Path) -> int:
    """Unpack `archive` into a temporary folder and run its executable's smoke test; return its exit code."""
    with tempfile.TemporaryDirectory(prefix="copilot-insight-bundle-") as folder:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        (top,) = Path(folder).iterdir()
        executable = top / cfg.EXECUTABLE
        _step(f"{executable.relative_to(folder)} --smoke-test --no-error-dialogs (unpacked from {archive.name})")
        env = {key: value for key, value in os.environ.items() if not key.startswith("COPILOT_INSIGHT_")}
        started = time.perf_counter()
        result = subprocess.run([str(executable), "--smoke-test", "--no-error-dialogs"], env=env,
                                timeout=SMOKE_TIMEOUT, check=False)
        print(f"Smoke test exit code {result.returncode} after {time.perf_counter() - started:.1f} s "
              "(including the bundle's start).", flush=True)
        return result.returncode


def main(argv: list[str] | None = None) -> int:
    """Build, pack and report; optionally smoke-test the packed bundle."""
    parser = argparse.ArgumentParser(description="Build the Linux bundle and its tar.gz.")
    parser.add_argument("--smoke-test", action="store_true", help="run the packed bundle's --smoke-test")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        sys.exit("build_linux.py builds on Linux; see installers/windows/build.ps1 and installers/macos/build.sh.")
    version = cfg.project_version()
    started = time.perf_counter()
    bundle = run_pyinstaller()
    saved = strip_debug_info(bundle)
    built = time.perf_counter()
    archive = pack(stage(bundle, version), cfg.linux_archive(DIST, version))
    finished = time.perf_counter()
    print(f"Built {cfg.APP_NAME} {version} in {finished - started:.0f} s "
          f"(PyInstaller {built - started:.0f} s, packing {finished - built:.0f} s); "
          f"{mib(saved)} of debug information stripped.")
    print(f"Bundle  {bundle.relative_to(cfg.ROOT)}/: {mib(folder_size(bundle))}")
    print(f"Archive {archive.relative_to(cfg.ROOT)}: {mib(archive.stat().st_size)}", flush=True)
    return smoke_test(archive) if args.smoke_test else 0


if __name__ == "__main__":
    sys.exit(main())
