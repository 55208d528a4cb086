#!/usr/bin/env python3
"""Static checks of the installer files that cannot be built or run on this machine (and of those that can).

Windows' Inno Setup compiler and PowerShell, and macOS' codesign and hdiutil, are not available on
Linux, so their scripts are checked here as far as reading them allows:

- the PyInstaller spec parses, and every `cfg.NAME` it uses exists in `bundle_config`, whose paths exist;
- no module the spec excludes is imported by the application;
- the Inno Setup script has its sections, valid entry parameters and flags, every `Source:` is a
  repository file or a known output of the spec's build, the Run value is the app's own, and its
  Pascal `[Code]` has balanced blocks;
- the PowerShell build script has balanced brackets, reads the version from pyproject.toml and names
  files that exist; the macOS plists parse with plistlib (LSUIElement set); the shell scripts pass
  `bash -n` (and `shellcheck` where installed); the Desktop Entry has what desktops need;
- one version everywhere: pyproject.toml's, which the scripts read instead of repeating it.

    .venv/bin/python installers/check_scripts.py      # prints each problem; exit 1 if there is one
    .venv/bin/python installers/check_scripts.py --iscc PATH/ISCC.exe   # also compile the .iss (wine off Windows)

`tests/test_installers.py` runs the same checks in the default test run.
"""

import argparse
import ast
import configparser
import importlib
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.parsers.expat import ExpatError

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bundle_config.py is beside this script
import bundle_config as cfg

WINDOWS = cfg.INSTALLERS / "windows"
MACOS = cfg.INSTALLERS / "macos"
LINUX = cfg.INSTALLERS / "linux"
ISS = WINDOWS / "copilot-insight.iss"
BUILD_PS1 = WINDOWS / "build.ps1"
INFO_PLIST = MACOS / "Info.plist"
ENTITLEMENTS = MACOS / "entitlements.plist"
DESKTOP_FILE = LINUX / f"{cfg.APP_ID}.desktop"
SHELL_SCRIPTS = (LINUX / "install.sh", LINUX / "uninstall.sh", MACOS / "build.sh", MACOS / "make_dmg.sh")

Problems = list[str]


def _shown(path: Path) -> str:
    """`path` relative to the repository when it is inside it."""
    try:
        return str(path.relative_to(cfg.ROOT))
    except ValueError:
        return str(path)

# --- the PyInstaller spec -------------------------------------------------------------------------


def check_spec(spec: Path = cfg.SPEC) -> Problems:
    """The spec parses, uses only names `bundle_config` has, and every path it names exists."""
    problems: Problems = []
    try:
        tree = ast.parse(spec.read_text(encoding="utf-8"), filename=str(spec))
    except (OSError, SyntaxError) as exc:
        return [f"{spec.name}: does not parse: {exc}"]
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "cfg"}
    problems += [f"{spec.name}: uses cfg.{name}, which bundle_config.py does not define"
                 for name in sorted(used) if not hasattr(cfg, name)]
    for name in sorted(used):
        value = getattr(cfg, name, None)
        if isinstance(value, Path) and name != "TRANSLATIONS" and not value.exists():
            problems.append(f"{spec.name}: cfg.{name} = {value} does not exist")
    for size, png in cfg.icon_pngs().items():
        if not png.is_file():
            problems.append(f"the {size} px icon {png} is missing (run installers/make_icons.py)")
    for required in (INFO_PLIST, ENTITLEMENTS):
        if not required.is_file():
            problems.append(f"{spec.name}: needs {_shown(required)}, which is missing")
    text = spec.read_text(encoding="utf-8")
    for needle, why in (('collect_submodules("desktop_app")', "app.py imports the commands by name"),
                        ('copy_metadata("copilot-insight")', "desktop_app.__version__ reads the metadata"),
                        ('-cli"', "Windows needs a console executable for the commands")):
        if needle not in text:
            problems.append(f"{spec.name}: {needle} is missing ({why})")
    return problems


def _imported_modules(package: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module
                yield from ((path, f"{node.module}.{alias.name}") for alias in node.names)


def check_exclusions(package: Path = cfg.ROOT / "desktop_app") -> Problems:
    """No module (or package) that the bundle leaves out is imported by the application."""
    excluded = set(cfg.EXCLUDED_MODULES)
    problems: Problems = []
    for path, module in _imported_modules(package):
        parts = module.split(".")
        hit = next((".".join(parts[:n]) for n in range(1, len(parts) + 1) if ".".join(parts[:n]) in excluded), None)
        if hit is not None:
            problems.append(f"{_shown(path)} imports {module}, which the bundle excludes ({hit})")
    return problems


# --- Inno Setup -------------------------------------------------------------------------------------

ISS_SECTIONS = ("Setup", "Languages", "Tasks", "Files", "Icons", "Registry", "Run", "Code")
ISS_SETUP_KEYS = ("AppId", "AppName", "AppVersion", "DefaultDirName", "OutputDir", "OutputBaseFilename",
                  "SetupIconFile", "UninstallDisplayIcon", "PrivilegesRequired")
# The parameters and flags Inno Setup 6 documents for the entries this script uses.
ISS_PARAMETERS = {
    "Languages": {"Name", "MessagesFile", "LicenseFile", "InfoBeforeFile", "InfoAfterFile"},
    "Tasks": {"Name", "Description", "GroupDescription", "Components", "Flags", "Languages", "Check"},
    "Files": {"Source", "DestDir", "DestName", "Excludes", "ExternalSize", "CopyMode", "Attribs", "Permissions",
              "FontInstall", "StrongAssemblyName", "Components", "Tasks", "Languages", "Check", "Flags",
              "BeforeInstall", "AfterInstall", "MinVersion", "OnlyBelowVersion"},
    "Icons": {"Name", "Filename", "Parameters", "WorkingDir", "HotKey", "Comment", "IconFilename", "IconIndex",
              "AppUserModelID", "Components", "Tasks", "Languages", "Check", "Flags", "MinVersion",
              "OnlyBelowVersion"},
    "Registry": {"Root", "Subkey", "ValueType", "ValueName", "ValueData", "Permissions", "Components", "Tasks",
                 "Languages", "Check", "Flags", "MinVersion", "OnlyBelowVersion"},
    "Run": {"Filename", "Description", "Parameters", "WorkingDir", "StatusMsg", "RunOnceId", "Verb", "Flags",
            "Components", "Tasks", "Languages", "Check", "MinVersion", "OnlyBelowVersion"},
    "UninstallDelete": {"Type", "Name", "Components", "Tasks", "Languages", "Check"},
}
ISS_FLAGS = {
    "Tasks": {"checkedonce", "dontinheritcheck", "exclusive", "restart", "unchecked"},
    "Files": {"ignoreversion", "recursesubdirs", "createallsubdirs", "restartreplace", "uninsneveruninstall",
              "onlyifdoesntexist", "skipifsourcedoesntexist", "replacesameversion", "promptifolder", "confirmoverwrite",
              "comparetimestamp", "touch", "sign", "signonce", "nocompression", "solidbreak", "isreadme"},
    "Icons": {"createonlyiffileexists", "dontcloseonexit", "excludefromshowinnewinstall", "foldershortcut",
              "preventpinning", "runmaximized", "runminimized", "uninsneveruninstall", "useapppaths"},
    "Registry": {"createvalueifdoesntexist", "deletekey", "deletevalue", "dontcreatekey", "noerror",
                 "preservestringtype", "uninsclearvalue", "uninsdeletekey", "uninsdeletekeyifempty",
                 "uninsdeletevalue", "uninsneveruninstall"},
    "Run": {"nowait", "postinstall", "skipifsilent", "skipifnotsilent", "runhidden", "runasoriginaluser",
            "runascurrentuser", "shellexec", "unchecked", "waituntilidle", "waituntilterminated", "hidewizard"},
}
_ISS_ENTRY_PARAM = re.compile(r'\s*(\w+)\s*:\s*("(?:[^"]|"")*"|[^;]*)\s*(?:;|$)')


def _iss_defines(text: str) -> dict[str, str]:
    return dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"', text, flags=re.MULTILINE))


def _iss_expand(value: str, defines: dict[str, str]) -> str:
    return re.sub(r"\{#(\w+)\}", lambda m: defines.get(m[1], m[0]), value)


def iss_sections(text: str) -> dict[str, list[str]]:
    """The script's lines by section, without comments, blank lines and preprocessor lines."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if match := re.fullmatch(r"\[(\w+)\]", line):
            current = match[1]
            sections.setdefault(current, [])
        elif current and line and not line.startswith((";", "#")):
            sections[current].append(line)
    return sections


def iss_entry(line: str) -> dict[str, str]:
    """`Name: "a"; Flags: b c` as a dict, quotes removed (raises ValueError if it is not one)."""
    params: dict[str, str] = {}
    position = 0
    while position < len(line):
        match = _ISS_ENTRY_PARAM.match(line, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read {line[position:]!r}")
        value = match[2].strip()
        params[match[1]] = value[1:-1].replace('""', '"') if value.startswith('"') else value
        position = match.end()
    return params


def _pascal_blocks_balance(code: str) -> bool:
    without = re.sub(r"'(?:[^']|'')*'", "''", code)  # strings
    without = re.sub(r"\{[^}]*\}|\(\*.*?\*\)|//[^\n]*", " ", without, flags=re.DOTALL)  # comments
    words = re.findall(r"\b(begin|case|try|end)\b", without, flags=re.IGNORECASE)
    depth = 0
    for word in (w.lower() for w in words):
        depth += -1 if word == "end" else 1
        if depth < 0:
            return False
    return depth == 0


def _known_build_output(path: Path) -> bool:
    """Whether `path` is something the spec's Windows build writes into dist/copilot-insight/."""
    bundle = cfg.onedir(cfg.ROOT / "dist")
    try:
        inside = path.relative_to(bundle).as_posix()
    except ValueError:
        return False
    return inside in {f"{cfg.EXECUTABLE}.exe", f"{cfg.EXECUTABLE}-cli.exe", "_internal/*"}


def _check_iss_entries(sections: dict[str, list[str]], defines: dict[str, str], where: Path,
                       base: Path) -> Problems:
    problems: Problems = []
    for section, allowed in ISS_PARAMETERS.items():
        for line in sections.get(section, []):
            try:
                entry = iss_entry(line)
            except ValueError as exc:
                problems.append(f"{where.name} [{section}]: {exc}")
                continue
            problems += [f"{where.name} [{section}]: unknown parameter {name}" for name in entry if name not in allowed]
            problems += [f"{where.name} [{section}]: unknown flag {flag}"
                         for flag in entry.get("Flags", "").split() if flag not in ISS_FLAGS.get(section, set())]
            if section == "Files":
                source = (base / _iss_expand(entry.get("Source", ""), defines).replace("\\", "/")).resolve()
                if not _known_build_output(source) and not source.exists():
                    problems.append(f"{where.name} [Files]: Source {source} is neither in the repository nor "
                                    "a known output of the spec's Windows build")
    return problems


def _check_iss_setup(setup: list[str], defines: dict[str, str], where: Path, base: Path) -> Problems:
    keys = dict(line.split("=", 1) for line in setup if "=" in line)
    problems = [f"{where.name} [Setup]: {key} is missing" for key in ISS_SETUP_KEYS if key not in keys]
    for key in ("SetupIconFile", "OutputDir"):
        if key in keys:
            target = (base / _iss_expand(keys[key], defines).replace("\\", "/")).resolve()
            expected = cfg.ICON_ICO if key == "SetupIconFile" else cfg.ROOT / "dist"
            if target != expected.resolve():
                problems.append(f"{where.name} [Setup]: {key} is {target}, expected {expected}")
    if keys.get("AppVersion") != "{#AppVersion}":
        problems.append(f"{where.name}: AppVersion must be {{#AppVersion}}, given by build.ps1 from pyproject.toml")
    return problems


def check_inno_setup(iss: Path = ISS, base: Path | None = None) -> Problems:
    """Sections, entries, Source paths, the Run value, the version and the Pascal code of the .iss.

    Relative paths resolve against `base`, by default the script's folder (as Inno Setup's do).
    """
    folder = iss.parent if base is None else base
    text = iss.read_text(encoding="utf-8")
    defines = _iss_defines(text)
    sections = iss_sections(text)
    problems = [f"{iss.name}: section [{name}] is missing" for name in ISS_SECTIONS if name not in sections]
    if "AppVersion" in defines:
        problems.append(f"{iss.name}: defines AppVersion itself; it must come from pyproject.toml via build.ps1")
    if not re.search(r"^#ifndef AppVersion\s*$.*?^\s*#error", text, flags=re.MULTILINE | re.DOTALL):
        problems.append(f"{iss.name}: must stop with #error when AppVersion is not given")
    problems += _check_iss_setup(sections.get("Setup", []), defines, iss, folder)
    problems += _check_iss_entries(sections, defines, iss, folder)
    autostart = importlib.import_module("desktop_app.system.autostart")
    if defines.get("RunKey") != autostart.RUN_KEY_PATH or defines.get("RunValueName") != autostart.RUN_VALUE_NAME:
        problems.append(f"{iss.name}: the Run key/value differ from desktop_app/system/autostart.py's")
    if defines.get("AppId") != cfg.APP_ID or defines.get("AppName") != cfg.APP_NAME:
        problems.append(f"{iss.name}: AppId/AppName differ from bundle_config.py")
    code = text.split("[Code]", 1)[1] if "[Code]" in text else ""
    if not _pascal_blocks_balance(code):
        problems.append(f"{iss.name} [Code]: begin/case/try and end do not balance")
    for needed in ("CurUninstallStepChanged", "DelTree", "MB_DEFBUTTON2", "/PURGEDATA", "{localappdata}"):
        if needed not in code:
            problems.append(f"{iss.name} [Code]: {needed} is missing (the uninstaller keeps data unless asked)")
    return problems


# --- PowerShell -----------------------------------------------------------------------------------


def _powershell_code(text: str) -> str:
    """`text` without comments and string contents (enough to count brackets)."""
    text = re.sub(r"<#.*?#>", " ", text, flags=re.DOTALL)
    text = re.sub(r'"(?:[^"`]|`.)*"', '""', text)
    text = re.sub(r"'(?:[^']|'')*'", "''", text)
    return re.sub(r"#[^\n]*", " ", text)


def check_powershell(script: Path = BUILD_PS1, iss: Path = ISS) -> Problems:
    """Brackets balance; strict mode; the spec, the .iss and pyproject's version are what it uses."""
    text = script.read_text(encoding="utf-8")
    code = _powershell_code(text)
    problems: Problems = []
    stack: list[str] = []
    pairs = {")": "(", "}": "{", "]": "["}
    for char in code:
        if char in "({[":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            problems.append(f"{script.name}: unbalanced {char!r}")
            break
    if stack and not problems:
        problems.append(f"{script.name}: unclosed {''.join(stack)!r}")
    for needle in ('$ErrorActionPreference = "Stop"', "Set-StrictMode", "pyproject.toml", "tomllib",
                   "/DAppVersion=$Version", "[build]", "--smoke-test"):
        if needle not in text:
            problems.append(f"{script.name}: {needle} is missing")
    for relative in re.findall(r'"(installers\\[^"]+)"', text):
        if not (cfg.ROOT / relative.replace("\\", "/")).exists():
            problems.append(f"{script.name}: names {relative}, which does not exist")
    if f'"{iss.name}"' not in text:
        problems.append(f"{script.name}: does not compile {iss.name}")
    base = next((line.split("=", 1)[1] for line in iss_sections(iss.read_text(encoding="utf-8")).get("Setup", [])
                 if line.startswith("OutputBaseFilename=")), "")
    expected = _iss_expand(base, {"AppId": cfg.APP_ID, "AppVersion": "$Version"}) + ".exe"
    if expected not in text:
        problems.append(f"{script.name}: expects an installer other than {expected} (the .iss's OutputBaseFilename)")
    return problems


# --- macOS ------------------------------------------------------------------------------------------


def check_macos_plists(info: Path = INFO_PLIST, entitlements: Path = ENTITLEMENTS) -> Problems:
    """Both plists parse; the app is tray-only; entitlements are hardened-runtime booleans."""
    problems: Problems = []
    try:
        with info.open("rb") as stream:
            keys = plistlib.load(stream)
        with entitlements.open("rb") as stream:
            rights = plistlib.load(stream)
    except (OSError, plistlib.InvalidFileException, ValueError, ExpatError) as exc:
        return [f"a macOS plist does not parse: {exc}"]
    if keys.get("LSUIElement") is not True:
        problems.append(f"{info.name}: LSUIElement must be true (a tray-only app, no Dock icon)")
    problems += [f"{info.name}: {key} comes from the spec (pyproject.toml's version, bundle_config's id)"
                 for key in ("CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion") if key in keys]
    if keys.get("CFBundleName") != cfg.APP_NAME:
        problems.append(f"{info.name}: CFBundleName is not {cfg.APP_NAME!r}")
    if not rights:
        problems.append(f"{entitlements.name}: no entitlements")
    problems += [f"{entitlements.name}: {key} is not a true boolean hardened-runtime entitlement"
                 for key, value in rights.items()
                 if value is not True or not key.startswith("com.apple.security.")]
    if "com.apple.security.app-sandbox" in rights:
        problems.append(f"{entitlements.name}: the app cannot run sandboxed (it listens, writes a LaunchAgent)")
    return problems


# --- shell scripts and the Desktop Entry --------------------------------------------------------------


def check_shell_scripts(scripts: tuple[Path, ...] = SHELL_SCRIPTS) -> Problems:
    """Each script has a bash shebang, strict mode, the executable bit, and passes `bash -n` (and shellcheck)."""
    problems: Problems = []
    bash = shutil.which("bash")
    shellcheck = shutil.which("shellcheck")
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        if not text.startswith("#!/usr/bin/env bash\n"):
            problems.append(f"{script.name}: must start with #!/usr/bin/env bash")
        if "set -euo pipefail" not in text:
            problems.append(f"{script.name}: must `set -euo pipefail`")
        if not script.stat().st_mode & 0o111:
            problems.append(f"{script.name}: is not executable")
        for tool, args in ((bash, ["-n"]), (shellcheck, ["-S", "warning"])):
            if tool is None:
                continue
            result = subprocess.run([tool, *args, str(script)], capture_output=True, text=True, timeout=60,
                                    check=False)
            if result.returncode != 0:
                problems.append(f"{script.name}: {Path(tool).name} {' '.join(args)}: "
                                f"{(result.stdout + result.stderr).strip()}")
    if bash is None:
        problems.append("bash is not installed: the shell scripts could not be checked")
    return problems


def check_desktop_entry(entry: Path = DESKTOP_FILE) -> Problems:
    """The menu entry parses and names the app's executable and icon (desktop-file-validate where installed)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    try:
        parser.read_string(entry.read_text(encoding="utf-8"))
        section = parser["Desktop Entry"]
    except (configparser.Error, KeyError) as exc:
        return [f"{entry.name}: {exc}"]
    expected = {"Type": "Application", "Name": cfg.APP_NAME, "Exec": cfg.EXECUTABLE, "Icon": cfg.APP_ID,
                "Terminal": "false"}
    problems = [f"{entry.name}: {key} is {section.get(key)!r}, expected {value!r}"
                for key, value in expected.items() if section.get(key) != value]
    if not section.get("Categories", "").endswith(";"):
        problems.append(f"{entry.name}: Categories must end with ';'")
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        result = subprocess.run([validator, str(entry)], capture_output=True, text=True, timeout=60, check=False)
        findings = [line for line in (result.stdout + result.stderr).splitlines() if " hint: " not in line]
        if result.returncode != 0 or findings:
            problems.append(f"{entry.name}: desktop-file-validate: {' '.join(findings)}")
    return problems


# --- one version, one name ------------------------------------------------------------------------------


def check_versions() -> Problems:
    """pyproject.toml's version is the installed one, and no installer file writes a version of its own."""
    version = cfg.project_version()
    problems: Problems = []
    app = importlib.import_module("desktop_app")
    if app.__version__ != version:
        problems.append(f"desktop_app.__version__ is {app.__version__}, pyproject.toml says {version}: "
                        "reinstall the project (pip install -e .)")
    if (app.APP_NAME, app.APP_ID) != (cfg.APP_NAME, cfg.APP_ID):
        problems.append("bundle_config.py's APP_NAME/APP_ID differ from desktop_app's")
    for path in (ISS, BUILD_PS1, INFO_PLIST, DESKTOP_FILE, *SHELL_SCRIPTS):
        if re.search(rf"(?<![\d.]){re.escape(version)}(?![\d.])", path.read_text(encoding="utf-8")):
            problems.append(f"{_shown(path)} repeats the version {version}: read pyproject.toml instead")
    return problems


# --- optional: a real Inno Setup compiler -------------------------------------------------------------


def _windows_path(path: Path) -> str:
    return str(path) if sys.platform == "win32" else "Z:" + str(path).replace("/", "\\")


def compile_inno_setup(iscc: Path, iss: Path = ISS) -> Problems:
    """Compile the .iss with a real ISCC.exe (through `wine` off Windows) against a stand-in bundle.

    The script and the icon are copied into a temporary tree laid out like the repository, with
    placeholder files where the spec's Windows build puts the executables and `_internal`, so the
    compiler reads every section, runs the preprocessor and compiles the Pascal code. Nothing of
    the repository is written.
    """
    with tempfile.TemporaryDirectory(prefix="copilot-insight-iscc-") as folder:
        root = Path(folder)
        script = root / "installers" / "windows" / iss.name
        script.parent.mkdir(parents=True)
        shutil.copy2(iss, script)
        (root / "resources" / "icons").mkdir(parents=True)
        shutil.copy2(cfg.ICON_ICO, root / "resources" / "icons" / cfg.ICON_ICO.name)
        bundle = cfg.onedir(root / "dist")
        (bundle / "_internal").mkdir(parents=True)
        for name in (f"{cfg.EXECUTABLE}.exe", f"{cfg.EXECUTABLE}-cli.exe", "_internal/python3.dll"):
            (bundle / name).write_bytes(b"stand-in")
        command = [str(iscc), f"/DAppVersion={cfg.project_version()}", _windows_path(script)]
        if sys.platform != "win32":
            command.insert(0, shutil.which("wine") or "wine")
        env = {**os.environ, "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml="}
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)
        output = (result.stdout + result.stderr).replace("\r", "")
        built = list((root / "dist").glob("*-setup.exe"))
    if result.returncode != 0 or "Successful compile" not in output or not built:
        return [f"ISCC could not compile {iss.name}:\n{output.strip()}"]
    return [f"ISCC: {line.strip()}" for line in output.splitlines() if "warning" in line.lower()]


CHECKS: dict[str, Callable[[], Problems]] = {
    "spec": check_spec,
    "exclusions": check_exclusions,
    "inno-setup": check_inno_setup,
    "powershell": check_powershell,
    "macos-plists": check_macos_plists,
    "shell-scripts": check_shell_scripts,
    "desktop-entry": check_desktop_entry,
    "versions": check_versions,
}


def main(argv: list[str] | None = None) -> int:
    """Run every check (and ISCC when asked); print each problem; return 1 if there was one."""
    parser = argparse.ArgumentParser(description="Check the installer files statically.")
    parser.add_argument("--iscc", type=Path, metavar="ISCC.EXE",
                        help="also compile the Inno Setup script with this compiler (through wine off Windows)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(cfg.ROOT))
    checks = dict(CHECKS)
    if args.iscc is not None:
        checks["inno-setup-compile"] = lambda: compile_inno_setup(args.iscc)
    failed = False
    for name, check in checks.items():
        problems = check()
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  - {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
