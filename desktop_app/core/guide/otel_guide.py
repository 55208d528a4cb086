"""The CA guide's section for developers who cannot install the CA: Copilot's own OpenTelemetry.

The Copilot CLI (and the shared Copilot runtime) and VS Code's Copilot Chat can export OpenTelemetry
themselves (copilot-protocol.md §10); the proxy's receiver takes it with the developer's proxy
credentials. Nothing is intercepted, so no CA is needed, but less is seen: the section says what.
The snippets with a developer's real credentials are `snippets.otel_snippet`.
"""

from typing import Final

from desktop_app.core.guide.model import NAME_PLACEHOLDER, PASSWORD_PLACEHOLDER, GuideContext, GuideSection, Step
from desktop_app.core.guide.snippets import OTEL_NOT_COVERED
from desktop_app.core.guide.steps import pwsh, sh

KEY: Final = "opentelemetry"
BASE64_PLACEHOLDER: Final = "YOUR-BASE64"
CLI_REFERENCE: Final = "https://docs.github.com/en/copilot/reference/copilot-cli-reference/cli-command-reference"
VSCODE_MONITORING: Final = "https://github.com/microsoft/vscode/tree/main/extensions/copilot/docs/monitoring"
OTLP_EXPORTER_SPEC: Final = "https://opentelemetry.io/docs/specs/otel/protocol/exporter/"
_BASE64: Final = "base64 | tr -d '\\n'"  # GNU base64 wraps at 76 characters; a header is one line


def _endpoint(ctx: GuideContext) -> str:
    host = f"[{ctx.host}]" if ":" in ctx.host else ctx.host
    return f"http://{host}:{ctx.otlp_port}"


def _posix(ctx: GuideContext) -> str:
    credentials = sh(f"{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}")
    return ("export COPILOT_OTEL_ENABLED=true\n"
            f"export OTEL_EXPORTER_OTLP_ENDPOINT={sh(_endpoint(ctx))}\n"
            f'export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Basic $(printf %s {credentials} | {_BASE64})"\n'
            f'export NO_PROXY="{ctx.host}${{NO_PROXY:+,$NO_PROXY}}"')


def _powershell(ctx: GuideContext) -> str:
    credentials = pwsh(f"{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}")
    return ("$env:COPILOT_OTEL_ENABLED = 'true'\n"
            f"$env:OTEL_EXPORTER_OTLP_ENDPOINT = {pwsh(_endpoint(ctx))}\n"
            "$env:OTEL_EXPORTER_OTLP_HEADERS = 'Authorization=Basic ' + "
            f"[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes({credentials}))\n"
            f"$env:NO_PROXY = {pwsh(ctx.host)} + $(if ($env:NO_PROXY) {{ ',' + $env:NO_PROXY }})")


def _vscode(ctx: GuideContext) -> str:
    return (f'"github.copilot.chat.otel.enabled": true,\n'
            f'"github.copilot.chat.otel.exporterType": "otlp-http",\n'
            f'"github.copilot.chat.otel.otlpEndpoint": "{_endpoint(ctx)}",\n'
            f'"github.copilot.chat.otel.headers": {{ "Authorization": "Basic {BASE64_PLACEHOLDER}" }},\n'
            f'"github.copilot.chat.otel.captureContent": false,\n'
            f'"http.noProxy": ["{ctx.host}"],')


def _steps(ctx: GuideContext) -> tuple[Step, ...]:
    if ctx.otlp_port is None:
        return (Step("Your team lead has turned the OpenTelemetry receiver off. Ask them to turn it on (Settings, "
                     "OpenTelemetry port) if you cannot install the CA certificate."),)
    return (
        Step("Use this instead of the proxy and the CA certificate: skip the system sections and leave the proxy "
             "settings of the other client sections unset. Your team lead's copy of these settings has your name "
             "and password filled in."),
        Step("Copilot CLI in bash or zsh: set these before starting copilot, and add them to ~/.bashrc or ~/.zshrc "
             "to keep them. Replace the name and password placeholders with your proxy credentials.",
             _posix(ctx), "shell"),
        Step("Copilot CLI in PowerShell, for the current window (add the lines to $PROFILE to keep them):",
             _powershell(ctx), "powershell"),
        Step("VS Code (Copilot Chat): print the Authorization value with the command below (your name and "
             f"password instead of the placeholders), then add the lines after it inside the braces of your user "
             f"settings.json, with the printed text instead of {BASE64_PLACEHOLDER}.",
             f"printf %s {sh(f'{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}')} | {_BASE64}", "shell"),
        Step("The VS Code settings:", _vscode(ctx), "json"),
        Step("What this does not cover: " + OTEL_NOT_COVERED + " JetBrains IDEs, Visual Studio, Vim, Neovim and "
             "Xcode do not export OpenTelemetry. Your prompts and Copilot's answers stay off "
             "(captureContent false); your team lead's recording level decides whether any are kept."),
    )


def _check(ctx: GuideContext) -> tuple[Step, ...]:
    dashboard = Step("Run copilot -p 'hello' (or ask Copilot Chat something) and ask your team lead whether it "
                     "appears in the dashboard, marked as seen through OpenTelemetry.")
    if ctx.otlp_port is None:
        return (dashboard,)
    credentials = sh(f"{NAME_PLACEHOLDER}:{PASSWORD_PLACEHOLDER}")
    return (
        Step("Check your name and password reach the receiver: this sends an empty export and prints {} when both "
             "are right (a wrong one prints a 401 message, which your team lead sees as a refused login).",
             f"curl -sS --noproxy '*' -u {credentials} -H 'Content-Type: application/json' -d '{{}}' "
             f"{_endpoint(ctx)}/v1/traces", "shell"),
        dashboard,
    )


def opentelemetry_section(ctx: GuideContext) -> GuideSection:
    """How to send Copilot's own usage telemetry to the team's receiver, without the CA."""
    return GuideSection(
        key=KEY, title="Without the CA: Copilot's own OpenTelemetry", kind="client",
        summary=("For a computer where you cannot install a CA certificate: the Copilot CLI and VS Code's Copilot "
                 "Chat send their own usage telemetry (model calls, tokens, AI credits, tools) to Copilot Insight, "
                 "signed in with your proxy name and password. Nothing is intercepted."),
        download="pem",
        steps=_steps(ctx),
        check=_check(ctx),
        remove=(Step("Unset the variables (and delete them from your shell profile):",
                     "unset COPILOT_OTEL_ENABLED OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS", "shell"),
                Step("In PowerShell:", "Remove-Item Env:COPILOT_OTEL_ENABLED, Env:OTEL_EXPORTER_OTLP_ENDPOINT, "
                     "Env:OTEL_EXPORTER_OTLP_HEADERS", "powershell"),
                Step("In VS Code, delete the github.copilot.chat.otel lines from settings.json.")),
        references=(CLI_REFERENCE, VSCODE_MONITORING, OTLP_EXPORTER_SPEC),
    )
