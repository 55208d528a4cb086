<#
.SYNOPSIS
    Build the Windows release of Copilot Insight: the PyInstaller bundle, then the Inno Setup installer.

.DESCRIPTION
    Run from the repository in PowerShell 5.1 or 7, with Python 3.12+ and Inno Setup 6 installed:

        powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1

    1. Creates .venv if needed and installs the project with its build extra (PyInstaller), from pyproject.toml.
    2. Runs installers\copilot-insight.spec: dist\copilot-insight\ with copilot-insight.exe (the tray app)
       and copilot-insight-cli.exe (the commands).
    3. Runs the bundle's smoke test (copilot-insight-cli.exe --smoke-test --no-error-dialogs).
    4. Compiles installers\windows\copilot-insight.iss with ISCC, passing the version from pyproject.toml:
       dist\copilot-insight-<version>-windows-x64-setup.exe

.PARAMETER Python
    The Python 3.12+ used to create .venv (default: the py launcher's 3.13, then python on PATH).

.PARAMETER Iscc
    Path of ISCC.exe (default: PATH, then the usual Inno Setup 6 folders).

.PARAMETER SkipSmokeTest
    Do not run the bundle's smoke test before packaging.
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [string]$Iscc = "",
    [switch]$SkipSmokeTest
)

Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
$Venv = Join-Path $Root ".venv"
$VenvPython = Join-Path $Venv "Scripts\python.exe"
$Spec = Join-Path $Root "installers\copilot-insight.spec"
$Script = Join-Path $PSScriptRoot "copilot-insight.iss"
$Dist = Join-Path $Root "dist"
$Bundle = Join-Path $Dist "copilot-insight"

function Invoke-Checked {
    param([string]$Program, [string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$Program $($Arguments -join ' ') failed with exit code $LASTEXITCODE"
    }
}

function Find-Python {
    if ($Python) { return $Python }
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($version in @("-3.13", "-3.12", "-3.14")) {
            & py $version -c "import sys" 2>$null
            if ($LASTEXITCODE -eq 0) { return "py $version" }
        }
    }
    if (Get-Command python -ErrorAction SilentlyContinue) { return "python" }
    throw "No Python 3.12+ found: install one from python.org or pass -Python C:\path\to\python.exe"
}

function Find-Iscc {
    if ($Iscc) { return $Iscc }
    $command = Get-Command ISCC.exe -ErrorAction SilentlyContinue
    if ($command) { return $command.Source }
    foreach ($folder in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))) {
        if (-not $folder) { continue }
        $candidate = Join-Path $folder "Inno Setup 6\ISCC.exe"
        if (Test-Path $candidate) { return $candidate }
    }
    throw "ISCC.exe (Inno Setup 6) not found: install it (winget install JRSoftware.InnoSetup) or pass -Iscc"
}

$started = Get-Date
Push-Location $Root
try {
    if (-not (Test-Path $VenvPython)) {
        $launcher = (Find-Python) -split " "
        $rest = @()
        if ($launcher.Count -gt 1) { $rest = $launcher[1..($launcher.Count - 1)] }
        Write-Host "==> Creating .venv with $($launcher -join ' ')"
        Invoke-Checked $launcher[0] ($rest + @("-m", "venv", $Venv))
    }
    Write-Host "==> Installing the project with its build extra (PyInstaller)"
    Invoke-Checked $VenvPython @("-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ("{0}[build]" -f $Root))

    # The one version of every installer: pyproject.toml's.
    $Version = (& $VenvPython -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])").Trim()
    if ($LASTEXITCODE -ne 0 -or -not $Version) { throw "Could not read the version from pyproject.toml" }

    Write-Host "==> PyInstaller installers\copilot-insight.spec (version $Version)"
    Invoke-Checked $VenvPython @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", $Dist, "--workpath", (Join-Path $Root "build\pyinstaller"), $Spec)

    if (-not $SkipSmokeTest) {
        Write-Host "==> Smoke test of the bundle"
        Invoke-Checked (Join-Path $Bundle "copilot-insight-cli.exe") @("--smoke-test", "--no-error-dialogs")
    }

    Write-Host "==> Inno Setup installers\windows\copilot-insight.iss"
    Invoke-Checked (Find-Iscc) @("/Q", "/DAppVersion=$Version", $Script)

    $setup = Join-Path $Dist "copilot-insight-$Version-windows-x64-setup.exe"
    $bundleBytes = (Get-ChildItem $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
    $minutes = ((Get-Date) - $started).TotalMinutes
    Write-Host ("Built in {0:N1} min. Bundle {1:N1} MiB; installer {2} ({3:N1} MiB)." -f
        $minutes, ($bundleBytes / 1MB), $setup, ((Get-Item $setup).Length / 1MB))
}
finally {
    Pop-Location
}
