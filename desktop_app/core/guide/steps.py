"""The CA guide's shared pieces: quoting for each shell, file paths, and the steps every section repeats.

The download, fingerprint and `insight.check` steps are written once here, so every OS and client
section says them the same way; documentation links used by several sections live here too.
"""

from desktop_app.core.ca import CHECK_HOST, CaFormat
from desktop_app.core.guide.model import GuideContext, Step

GITHUB_NETWORK_HOWTO = "https://docs.github.com/en/copilot/how-tos/configure-personal-settings/configure-network-settings"
GITHUB_NETWORK_CONCEPTS = "https://docs.github.com/en/copilot/concepts/network-settings-for-github-copilot"
GITHUB_TROUBLESHOOTING = "https://docs.github.com/en/copilot/how-tos/troubleshoot-copilot/troubleshoot-network-errors"
GITHUB_LOGS = "https://docs.github.com/en/copilot/how-tos/troubleshoot-copilot/view-logs"
NODE_EXTRA_CA_CERTS_DOC = "https://nodejs.org/api/cli.html#node_extra_ca_certsfile"
CURL_MANPAGE = "https://curl.se/docs/manpage.html"
RHEL_SHARED_CERTIFICATES = ("https://docs.redhat.com/en/documentation/red_hat_enterprise_linux/9/html/"
                            "securing_networks/using-shared-system-certificates_securing-networks")
WINDOWS_PROXY_HELP = ("https://support.microsoft.com/en-us/windows/use-a-proxy-server-in-windows-"
                      "03096c53-0554-4ffe-b6ab-8b1deee8dae1")

USE_TEAM_URL = ("The proxy URL below has placeholders for your name and password: use the URL your team lead "
                "sent you instead, which has both filled in.")


def check_url(scheme: str = "https") -> str:
    return f"{scheme}://{CHECK_HOST}/"


def sh(value: str) -> str:
    """`value` in single quotes for bash, zsh and other POSIX shells."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def pwsh(value: str) -> str:
    """`value` in single quotes for PowerShell (and Vim, which also doubles the quote)."""
    return "'" + value.replace("'", "''") + "'"


def lua(value: str) -> str:
    """`value` as a single-quoted Lua string."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def posix_file(ctx: GuideContext, fmt: CaFormat) -> str:
    """The downloaded file in a macOS or Linux shell command."""
    return f"~/Downloads/{ctx.ca_file(fmt)}"


def posix_env_file(ctx: GuideContext, fmt: CaFormat) -> str:
    """The downloaded file as a double-quoted shell value (`~` is not expanded inside quotes)."""
    return f'"$HOME/Downloads/{ctx.ca_file(fmt)}"'


def pwsh_file(ctx: GuideContext, fmt: CaFormat) -> str:
    """The downloaded file as a double-quoted PowerShell value."""
    return f'"$env:USERPROFILE\\Downloads\\{ctx.ca_file(fmt)}"'


def cmd_file(ctx: GuideContext, fmt: CaFormat) -> str:
    """The downloaded file in a Command Prompt command."""
    return f'"%USERPROFILE%\\Downloads\\{ctx.ca_file(fmt)}"'


def download_step(ctx: GuideContext, fmt: CaFormat) -> Step:
    where = f"from the setup page {ctx.setup_url}" if ctx.setup_url else "from your team lead"
    return Step(f"Get the CA certificate {ctx.ca_file(fmt)} {where} and save it in your Downloads folder. The "
                "commands below expect it there; if you saved it elsewhere, change the path.")


def fingerprint_step(ctx: GuideContext) -> Step:
    return Step(f"Check that it is the right certificate before you trust it: the SHA-256 fingerprint printed must "
                f"be {ctx.fingerprint}. If it differs, stop and ask your team lead.",
                f"openssl x509 -noout -fingerprint -sha256 -in {posix_file(ctx, 'pem')}", "shell")


def os_first_step(store: str) -> Step:
    return Step(f"Do the section for your operating system first: {store}")


def curl_checks(ctx: GuideContext, curl: str = "curl", proxy: str = "", *,
                 windows_too: bool = False) -> tuple[Step, ...]:
    """Ask the proxy about itself over HTTP (name and password) and HTTPS (trust of the CA as well)."""
    windows = curl == "curl.exe"
    proxy = proxy or (pwsh if windows else sh)(ctx.placeholder_url)
    notes = "" if proxy.startswith(("$", '"')) else f" {USE_TEAM_URL}"
    if windows_too:
        notes += " On Windows, run it in PowerShell as curl.exe" + (
            " with $env:HTTPS_PROXY in place of $HTTPS_PROXY." if "$HTTPS_PROXY" in proxy else ".")
    language = "powershell" if windows else "shell"
    checks: tuple[Step, ...] = (
        Step("With the proxy running, open its check page over plain HTTP. The proxy answers this name itself: "
             "'connected as' followed by your name shows that it accepts your name and password." + notes,
             f"{curl} --proxy {proxy} {check_url('http')}", language),
        Step("Then over HTTPS: 'connected as' with your name now also proves that this computer trusts the CA. A "
             "certificate error means the CA is not trusted yet; 407 means the name or password is wrong; a refused "
             "connection or a timeout means the proxy is not running or not reachable.",
             f"{curl} --proxy {proxy} {check_url()}", language),
    )
    if windows or windows_too:
        checks += (Step("Windows' curl.exe checks certificates against the Windows store. If it reports that the "
                        "revocation function was unable to check revocation (0x80092012), add "
                        "--ssl-revoke-best-effort to the command."),)
    return checks


def node_ca_steps(ctx: GuideContext) -> tuple[Step, ...]:
    """Tell Node.js programs (Copilot's language servers, the Copilot CLI) about the CA."""
    return (
        Step("Node.js programs take extra CAs from NODE_EXTRA_CA_CERTS. On macOS and Linux, set it in the shell you "
             "start the program from, and add the line to ~/.bashrc or ~/.zshrc to keep it (programs started from "
             "the Dock or a desktop menu may not read that file; starting them from the terminal always works):",
             f"export NODE_EXTRA_CA_CERTS={posix_env_file(ctx, 'pem')}", "shell"),
        Step("On Windows, set it once for your user in PowerShell, then restart the program:",
             f"[Environment]::SetEnvironmentVariable('NODE_EXTRA_CA_CERTS', {pwsh_file(ctx, 'pem')}, 'User')",
             "powershell"),
    )


def node_ca_remove() -> Step:
    return Step("Remove the NODE_EXTRA_CA_CERTS line from your shell profile (on Windows, run "
                "[Environment]::SetEnvironmentVariable('NODE_EXTRA_CA_CERTS', $null, 'User')) and restart.")


def dashboard_check(action: str) -> Step:
    return Step(f"{action} The request appears under your name in your team lead's dashboard.")
