"""The CA guide's client sections: setting the proxy in each Copilot client.

VS Code, JetBrains IDEs, Visual Studio, Vim, Neovim, the Copilot CLI, Xcode, command-line tools, and
(for computers without the CA) Copilot's own OpenTelemetry (`otel_guide`).
"""

import json
from collections.abc import Callable

from desktop_app.core.guide.model import CLIENT_KEYS, GuideContext, GuideSection, Step, url_host
from desktop_app.core.guide.otel_guide import opentelemetry_section
from desktop_app.core.guide.steps import (
    CURL_MANPAGE,
    GITHUB_LOGS,
    GITHUB_NETWORK_CONCEPTS,
    GITHUB_NETWORK_HOWTO,
    GITHUB_TROUBLESHOOTING,
    NODE_EXTRA_CA_CERTS_DOC,
    USE_TEAM_URL,
    WINDOWS_PROXY_HELP,
    check_url,
    curl_checks,
    dashboard_check,
    lua,
    node_ca_remove,
    node_ca_steps,
    os_first_step,
    posix_env_file,
    posix_file,
    pwsh,
    pwsh_file,
    sh,
)


def _vscode_settings(ctx: GuideContext) -> str:
    settings = {
        "http.proxy": ctx.placeholder_url,
        "http.proxyStrictSSL": True,
        "http.proxySupport": "override",
        "http.systemCertificates": True,
    }
    return json.dumps(settings, indent=2).removeprefix("{\n").removesuffix("\n}") + ","


def _vscode(ctx: GuideContext) -> GuideSection:
    nssdb = "sql:$HOME/.pki/nssdb"
    name = sh(ctx.ca_name)
    return GuideSection(
        key="vscode", title="Visual Studio Code", kind="client",
        summary=("Sends VS Code and the GitHub Copilot extensions through the proxy. They check the proxy's "
                 "certificates against the operating system's trust store."),
        download="pem",
        steps=(
            os_first_step("VS Code and the Copilot extensions trust the CA through the operating system's store."),
            Step("Open the Command Palette (Ctrl+Shift+P; Shift+Command+P on macOS), run Preferences: Open User "
                 "Settings (JSON) and add these lines inside the outer braces. " + USE_TEAM_URL,
                 _vscode_settings(ctx), "json"),
            Step("Keep http.proxyStrictSSL true. Never set it to false: VS Code would then accept any certificate, "
                 "not just this CA."),
            Step("On Linux, if Copilot Chat still reports a certificate error after your OS section, add the CA to "
                 "the NSS store VS Code's built-in network stack reads too (certutil comes with libnss3-tools on "
                 "Debian and Ubuntu, nss-tools on Fedora, nss on Arch):",
                 f'certutil -d {nssdb} -A -t "CT,," -n {name} -i {posix_file(ctx, "pem")}', "shell"),
            Step("Run Developer: Reload Window from the Command Palette, or restart VS Code."),
        ),
        check=(
            dashboard_check("Ask Copilot Chat something and accept a completion."),
            Step("If it fails, run Developer: Chat Diagnostics from the Command Palette: its Reachability section "
                 "shows whether each Copilot host answers through the proxy. View, Output, then GitHub Copilot Chat "
                 "(or GitHub Copilot) in the drop-down shows proxy and certificate errors."),
            *curl_checks(ctx, windows_too=True),
        ),
        remove=(
            Step("Delete the four http. lines you added from settings.json (or set http.proxy to an empty string) "
                 "and reload the window."),
            Step("If you added the CA to the NSS store, remove it there too:",
                 f"certutil -d {nssdb} -D -n {name}", "shell"),
        ),
        references=(
            "https://code.visualstudio.com/docs/setup/network",
            GITHUB_NETWORK_HOWTO, GITHUB_NETWORK_CONCEPTS, GITHUB_LOGS, GITHUB_TROUBLESHOOTING,
        ),
    )


def _jetbrains(ctx: GuideContext) -> GuideSection:
    return GuideSection(
        key="jetbrains", title="JetBrains IDEs", kind="client",
        summary=("Sends IntelliJ IDEA, PyCharm, WebStorm, Rider and the other JetBrains IDEs, with the GitHub "
                 "Copilot plugin, through the proxy."),
        download="pem",
        steps=(
            os_first_step("the Copilot plugin reads the operating system's trust store."),
            Step("Open Settings (File, Settings on Windows and Linux; the IDE's name, Settings on macOS), then "
                 "Appearance & Behavior, System Settings, HTTP Proxy. Choose Manual proxy configuration, then HTTP."),
            Step("Enter the proxy's address:", f"Host name: {ctx.host}\nPort number: {ctx.port}", "text"),
            Step("Tick Proxy authentication and enter the name and password your team lead sent you as Login and "
                 "Password. GitHub's documentation notes that the IDE keeps them in plain text in its settings."),
            Step(f"If the IDE reports an untrusted certificate, open Settings, Tools, Server Certificates (in recent "
                 f"versions: Appearance & Behavior, System Settings, Server Certificates), click + and add "
                 f"{ctx.ca_file('pem')} from your Downloads folder. Leave Accept non-trusted certificates "
                 "automatically off: it would accept any certificate."),
            Step("The Copilot plugin runs the Copilot language server on Node.js. If it still reports certificate "
                 "errors, set NODE_EXTRA_CA_CERTS for the IDE as below and restart it."),
            *node_ca_steps(ctx),
        ),
        check=(
            Step(f"On the HTTP Proxy page, click Check connection and enter {check_url()}. It should report a "
                 "successful connection; an error names the problem (the certificate, or the name and password)."),
            Step(f"Tools, GitHub Copilot, Log CA Certificates writes the certificates the plugin trusts to idea.log "
                 f"(Help, Show Log); {ctx.ca_name} must be among them. Tools, GitHub Copilot, Log Diagnostics shows "
                 "whether the Copilot hosts are reachable."),
            dashboard_check("Ask Copilot Chat something."),
            *curl_checks(ctx, windows_too=True),
        ),
        remove=(
            Step("Settings, Appearance & Behavior, System Settings, HTTP Proxy: choose No proxy."),
            Step("If you added the certificate under Server Certificates, select it there and remove it."),
            node_ca_remove(),
        ),
        references=(
            "https://www.jetbrains.com/help/idea/settings-http-proxy.html",
            "https://www.jetbrains.com/help/idea/settings-tools-server-certificates.html",
            GITHUB_NETWORK_HOWTO, GITHUB_LOGS, NODE_EXTRA_CA_CERTS_DOC,
        ),
    )


def _visual_studio(ctx: GuideContext) -> GuideSection:
    return GuideSection(
        key="visual-studio", title="Visual Studio", kind="client",
        summary=("Visual Studio 2022 with GitHub Copilot. Copilot for Visual Studio reads the proxy from Windows but "
                 "not the proxy's name and password, so the URL with both goes into a user environment variable."),
        download="cer",
        steps=(
            os_first_step("Visual Studio and Copilot use Windows' certificate store (the Windows section)."),
            Step("In PowerShell, store the proxy URL as a user environment variable; Copilot for Visual Studio reads "
                 "HTTPS_PROXY, and so do other programs that honour it. " + USE_TEAM_URL,
                 f"[Environment]::SetEnvironmentVariable('HTTPS_PROXY', {pwsh(ctx.placeholder_url)}, 'User')",
                 "powershell"),
            Step(f"Optionally send Visual Studio itself (sign-in, extensions, updates) through the proxy as well: "
                 f"Windows Settings, Network & internet, Proxy, Manual proxy setup, Set up; turn on Use a proxy "
                 f"server, enter {ctx.host} as the address and {ctx.port} as the port, and save. Other programs then "
                 "use the proxy too and may ask for your name and password; leave this off if your team lead turned "
                 "on Copilot only, which refuses other sites."),
            Step("Restart Visual Studio so it reads the new variable."),
        ),
        check=(
            dashboard_check("Ask Copilot Chat something."),
            Step("If it fails: View, Output, then choose GitHub Copilot in the Show output from list."),
            Step("Open a new PowerShell window, which sees the new variable, for the two checks below."),
            *curl_checks(ctx, "curl.exe", "$env:HTTPS_PROXY"),
        ),
        remove=(
            Step("Delete the variable and restart Visual Studio:",
                 "[Environment]::SetEnvironmentVariable('HTTPS_PROXY', $null, 'User')", "powershell"),
            Step("If you set the Windows proxy, turn Use a proxy server off again."),
        ),
        references=(
            GITHUB_NETWORK_HOWTO,
            WINDOWS_PROXY_HELP,
            GITHUB_LOGS, GITHUB_NETWORK_CONCEPTS,
        ),
    )


def _vim(ctx: GuideContext) -> GuideSection:
    return GuideSection(
        key="vim", title="Vim (copilot.vim)", kind="client",
        summary="GitHub's copilot.vim plugin in Vim. For Neovim, see the Neovim section.",
        download="pem",
        steps=(
            os_first_step("copilot.vim's language server reads the operating system's trust store."),
            Step("Add these lines to your vimrc (~/.vimrc; ~/_vimrc on Windows). " + USE_TEAM_URL,
                 f"let g:copilot_proxy = {pwsh(ctx.placeholder_url)}\nlet g:copilot_proxy_strict_ssl = v:true",
                 "vim"),
            *node_ca_steps(ctx),
            Step("Restart Vim."),
        ),
        check=(
            Step("Ask copilot.vim whether it works; it reports the error if not:", ":Copilot status", "vim"),
            dashboard_check("Type some code and accept a suggestion."),
            *curl_checks(ctx, windows_too=True),
        ),
        remove=(Step("Delete the two let lines from your vimrc and restart Vim."), node_ca_remove()),
        references=(
            "https://github.com/github/copilot.vim/blob/release/doc/copilot.txt",
            GITHUB_NETWORK_CONCEPTS, NODE_EXTRA_CA_CERTS_DOC, GITHUB_LOGS,
        ),
    )


def _neovim(ctx: GuideContext) -> GuideSection:
    return GuideSection(
        key="neovim", title="Neovim (copilot.lua, copilot.vim)", kind="client",
        summary="zbirenbaum/copilot.lua or GitHub's copilot.vim in Neovim; both read the same two variables.",
        download="pem",
        steps=(
            os_first_step("the Copilot language server reads the operating system's trust store."),
            Step("Set the proxy before Copilot starts: in init.lua above require('copilot').setup() for "
                 "copilot.lua, or in the plugin's init function for copilot.vim. " + USE_TEAM_URL,
                 f"vim.g.copilot_proxy = {lua(ctx.placeholder_url)}\nvim.g.copilot_proxy_strict_ssl = true", "lua"),
            Step("Keep copilot_proxy_strict_ssl set to true: copilot.lua turns certificate checks off when a proxy is "
                 "set without it."),
            *node_ca_steps(ctx),
            Step("Restart Neovim."),
        ),
        check=(
            Step("Ask the plugin whether it works (copilot.lua also has :checkhealth copilot):",
                 ":Copilot status", "vim"),
            dashboard_check("Type some code and accept a suggestion."),
            *curl_checks(ctx, windows_too=True),
        ),
        remove=(Step("Delete the two vim.g lines and restart Neovim."), node_ca_remove()),
        references=(
            "https://github.com/zbirenbaum/copilot.lua",
            "https://github.com/zbirenbaum/copilot.lua/blob/master/lua/copilot/client/config.lua",
            "https://github.com/github/copilot.vim/blob/release/doc/copilot.txt",
            GITHUB_NETWORK_CONCEPTS, NODE_EXTRA_CA_CERTS_DOC,
        ),
    )


def _copilot_cli(ctx: GuideContext) -> GuideSection:
    url = ctx.placeholder_url
    return GuideSection(
        key="copilot-cli", title="GitHub Copilot CLI", kind="client",
        summary=("The copilot command (npm package @github/copilot). It reads HTTPS_PROXY and HTTP_PROXY and, "
                 "being a Node.js program, takes extra CAs from NODE_EXTRA_CA_CERTS."),
        download="pem",
        steps=(
            os_first_step("recent versions of the CLI also read the operating system's certificates; "
                           "NODE_EXTRA_CA_CERTS covers the others."),
            Step("In bash or zsh, set these before starting copilot, and add them to ~/.bashrc or ~/.zshrc to keep "
                 "them. " + USE_TEAM_URL,
                 f"export HTTPS_PROXY={sh(url)}\nexport HTTP_PROXY={sh(url)}\n"
                 f"export NODE_EXTRA_CA_CERTS={posix_env_file(ctx, 'pem')}", "shell"),
            Step("In PowerShell, for the current window (use [Environment]::SetEnvironmentVariable with 'User' to "
                 "keep them):",
                 f"$env:HTTPS_PROXY = {pwsh(url)}\n$env:HTTP_PROXY = {pwsh(url)}\n"
                 f"$env:NODE_EXTRA_CA_CERTS = {pwsh_file(ctx, 'pem')}", "powershell"),
            Step("Start copilot from that terminal."),
        ),
        check=(
            *curl_checks(ctx, proxy='"$HTTPS_PROXY"', windows_too=True),
            dashboard_check("Run copilot and ask something; if it fails, the log in ~/.copilot/logs/ says why."),
        ),
        remove=(
            Step("Unset the variables (and delete them from your shell profile):",
                 "unset HTTPS_PROXY HTTP_PROXY NODE_EXTRA_CA_CERTS", "shell"),
            Step("In PowerShell:", "Remove-Item Env:HTTPS_PROXY, Env:HTTP_PROXY, Env:NODE_EXTRA_CA_CERTS",
                 "powershell"),
        ),
        references=(
            "https://docs.github.com/en/copilot/reference/copilot-cli-reference/cli-command-reference",
            "https://github.com/github/copilot-cli/issues/972",
            GITHUB_NETWORK_CONCEPTS, NODE_EXTRA_CA_CERTS_DOC,
        ),
    )


def _xcode(ctx: GuideContext) -> GuideSection:
    return GuideSection(
        key="xcode", title="Xcode (GitHub Copilot for Xcode)", kind="client",
        summary="The GitHub Copilot for Xcode app (github/CopilotForXcode), which has its own proxy settings.",
        download="pem",
        steps=(
            os_first_step("Copilot for Xcode checks certificates against the macOS keychain (the macOS section)."),
            Step("Open the GitHub Copilot for Xcode app, click Advanced at the top of its window and find the Proxy "
                 "section."),
            Step("Enter this proxy URL (without a name or password), your name and password from your team lead in "
                 "the username and password fields, and leave the strict SSL switch on.",
                 f"http://{url_host(ctx.host)}:{ctx.port}", "text"),
            Step("Click Refresh configurations (or quit and reopen the app) so the change takes effect."),
        ),
        check=(
            dashboard_check("Accept a Copilot suggestion or ask Copilot Chat something in Xcode."),
            Step("If it fails: Advanced, Logging, turn on Verbose Logging, then Open Copilot Log Folder and look for "
                 "proxy or certificate errors."),
            *curl_checks(ctx),
        ),
        remove=(Step("Clear the proxy URL, username and password under Advanced, Proxy, then click Refresh "
                     "configurations."),),
        references=("https://github.com/github/CopilotForXcode", GITHUB_LOGS, GITHUB_NETWORK_CONCEPTS),
    )


def _cli_tools(ctx: GuideContext) -> GuideSection:
    pem = posix_file(ctx, "pem")
    return GuideSection(
        key="cli-tools", title="curl, Python and Node.js tools", kind="client",
        summary=("Terminal tools: curl, Python programs (the openai SDK, httpx, requests) and Node.js tools. They "
                 "read the proxy from HTTPS_PROXY; each has its own way to trust the CA."),
        download="pem",
        steps=(
            Step("Send them through the proxy (in PowerShell: $env:HTTPS_PROXY = 'the URL'). " + USE_TEAM_URL,
                 f"export HTTPS_PROXY={sh(ctx.placeholder_url)}", "shell"),
            Step("curl on Linux, and Python's ssl module on Linux, use the system store once your OS section is "
                 "done. To trust the CA for one curl call only:",
                 f"curl --cacert {pem} --proxy \"$HTTPS_PROXY\" {check_url()}", "shell"),
            Step("httpx and the openai SDK honour SSL_CERT_FILE, and requests honours REQUESTS_CA_BUNDLE. Both "
                 "replace the default bundle, so point them at the system bundle after installing the CA "
                 "system-wide (Debian, Ubuntu and Arch: /etc/ssl/certs/ca-certificates.crt; Fedora and RHEL: "
                 f"/etc/pki/tls/certs/ca-bundle.crt) rather than at {ctx.ca_file('pem')} alone, which only works "
                 "for programs that talk to nothing but Copilot:",
                 "export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n"
                 "export REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt", "shell"),
            Step("On macOS (or in Git Bash on Windows) there is no such file: build one from certifi's bundle plus "
                 "the CA and point both variables at it.",
                 f'cat "$(python3 -m certifi)" {pem} > ~/copilot-insight-bundle.pem', "shell"),
            Step("Node.js tools add the CA to their own bundle instead of replacing it:",
                 f"export NODE_EXTRA_CA_CERTS={posix_env_file(ctx, 'pem')}", "shell"),
        ),
        check=(
            *curl_checks(ctx, proxy='"$HTTPS_PROXY"', windows_too=True),
            Step("The same from Python (httpx reads HTTPS_PROXY and SSL_CERT_FILE):",
                 f"python3 -c \"import httpx; print(httpx.get('{check_url()}').text)\"", "shell"),
        ),
        remove=(Step("Unset the variables and delete them from your shell profile:",
                     "unset HTTPS_PROXY SSL_CERT_FILE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS", "shell"),),
        references=(
            CURL_MANPAGE,
            "https://www.python-httpx.org/environment_variables/",
            "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification",
            "https://docs.python.org/3/library/ssl.html#ssl.get_default_verify_paths",
            NODE_EXTRA_CA_CERTS_DOC,
        ),
    )


_CLIENT_BUILDERS: dict[str, Callable[[GuideContext], GuideSection]] = {
    "vscode": _vscode, "jetbrains": _jetbrains, "visual-studio": _visual_studio, "vim": _vim, "neovim": _neovim,
    "copilot-cli": _copilot_cli, "xcode": _xcode, "cli-tools": _cli_tools, "opentelemetry": opentelemetry_section,
}


def client_sections(ctx: GuideContext) -> tuple[GuideSection, ...]:
    """How to set up each Copilot client, in `CLIENT_KEYS` order."""
    return tuple(_CLIENT_BUILDERS[key](ctx) for key in CLIENT_KEYS)
