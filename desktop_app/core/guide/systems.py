"""The CA guide's operating-system sections: trusting the CA in each system's store.

Windows, macOS, Debian/Ubuntu, Fedora/RHEL and Arch, each with its steps, a check and the way back.
"""

from collections.abc import Callable

from desktop_app.core.ca import CA_FILE_STEM
from desktop_app.core.guide.model import SYSTEM_KEYS, GuideContext, GuideSection, Step
from desktop_app.core.guide.steps import (
    CURL_MANPAGE,
    GITHUB_NETWORK_CONCEPTS,
    GITHUB_NETWORK_HOWTO,
    GITHUB_TROUBLESHOOTING,
    RHEL_SHARED_CERTIFICATES,
    cmd_file,
    curl_checks,
    download_step,
    fingerprint_step,
    posix_file,
    pwsh,
    pwsh_file,
    sh,
)


def _windows(ctx: GuideContext) -> GuideSection:
    bare = ctx.fingerprint.replace(":", "")
    like = pwsh(f"*{ctx.ca_name}*")
    return GuideSection(
        key="windows", title="Windows", kind="system",
        summary=("Adds the CA to your Windows user's Trusted Root Certification Authorities, without administrator "
                 "rights. Edge, Chrome, Visual Studio, VS Code, Copilot and Windows' curl.exe read this store."),
        download="cer",
        steps=(
            download_step(ctx, "cer"),
            Step(f"Check that it is the right certificate before you trust it. In PowerShell this prints its SHA-256 "
                 f"fingerprint without colons; it must read {bare} (that is {ctx.fingerprint}). If it differs, stop "
                 "and ask your team lead.",
                 f"(Get-FileHash -Algorithm SHA256 {pwsh_file(ctx, 'cer')}).Hash", "powershell"),
            Step(f"Trust it for your Windows user, in PowerShell (no administrator rights needed). Windows shows a "
                 f"security warning naming {ctx.ca_name}; its thumbprint is a SHA-1 value, so it differs from the "
                 "SHA-256 fingerprint above. Click Yes only if the fingerprint above matched.",
                 f"Import-Certificate -FilePath {pwsh_file(ctx, 'cer')} -CertStoreLocation Cert:\\CurrentUser\\Root",
                 "powershell"),
            Step("Or do the same in Command Prompt, and confirm the same warning:",
                 f"certutil -user -addstore Root {cmd_file(ctx, 'cer')}", "cmd"),
            Step(f"Or without a command: double-click {ctx.ca_file('cer')}, click Install Certificate..., choose "
                 "Current User, then Place all certificates in the following store, click Browse and pick Trusted "
                 "Root Certification Authorities, click Next and Finish, and confirm the security warning with Yes."),
            Step("Restart the editors and terminals you use with Copilot so they load the new certificate."),
        ),
        check=(
            Step(f"List it: the certificate {ctx.ca_name} must appear.",
                 f"Get-ChildItem Cert:\\CurrentUser\\Root | Where-Object Subject -like {like}", "powershell"),
            *curl_checks(ctx, "curl.exe"),
        ),
        remove=(
            Step("Remove it in Command Prompt:", f'certutil -user -delstore Root "{ctx.ca_name}"', "cmd"),
            Step("Or in PowerShell (confirm the warning with Yes):",
                 f"Get-ChildItem Cert:\\CurrentUser\\Root | Where-Object Subject -like {like} | Remove-Item",
                 "powershell"),
        ),
        references=(
            "https://learn.microsoft.com/en-us/powershell/module/pki/import-certificate",
            "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/certutil",
            "https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.utility/get-filehash",
            CURL_MANPAGE, GITHUB_NETWORK_HOWTO, GITHUB_NETWORK_CONCEPTS,
        ),
    )


def _macos(ctx: GuideContext) -> GuideSection:
    pem = posix_file(ctx, "pem")
    name = sh(ctx.ca_name)
    return GuideSection(
        key="macos", title="macOS", kind="system",
        summary=("Adds the CA to a keychain and marks it trusted. Safari, Chrome, VS Code, Xcode and Copilot read "
                 "the keychain; some Node.js tools do not, and their sections add NODE_EXTRA_CA_CERTS."),
        download="pem",
        steps=(
            download_step(ctx, "pem"),
            fingerprint_step(ctx),
            Step("Trust it for your user, in Terminal (macOS asks for your password to change trust settings):",
                 f"security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db {pem}", "shell"),
            Step("Or for every user of this Mac, in the System keychain (needs an administrator password):",
                 f"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {pem}",
                 "shell"),
            Step(f"Or without a command: open Keychain Access, drag {ctx.ca_file('pem')} into the login keychain, "
                 f"double-click {ctx.ca_name}, check that the SHA-256 fingerprint under Fingerprints matches, open "
                 "Trust and set When using this certificate to Always Trust, then close the window and confirm with "
                 "your password."),
            Step("Restart the editors and terminals you use with Copilot so they load the new certificate."),
        ),
        check=(
            Step(f"List the certificates you trust: {ctx.ca_name} must appear (add -d to the command if you used the "
                 "System keychain).", "security dump-trust-settings", "shell"),
            *curl_checks(ctx),
            Step(f"If curl reports a certificate problem although the steps above worked, this macOS curl may not read "
                 f"the keychain: add --cacert {pem} to test the proxy with the file instead."),
        ),
        remove=(
            Step("Remove it from your login keychain (the first command needs the downloaded file; without it, "
                 f"delete {ctx.ca_name} in Keychain Access):",
                 f"security remove-trusted-cert {pem}\n"
                 f"security delete-certificate -c {name} ~/Library/Keychains/login.keychain-db", "shell"),
            Step("Or from the System keychain, if you used it:",
                 f"sudo security remove-trusted-cert -d {pem}\n"
                 f"sudo security delete-certificate -c {name} /Library/Keychains/System.keychain", "shell"),
        ),
        references=(
            "https://support.apple.com/guide/keychain-access/add-certificates-to-a-keychain-kyca2431/mac",
            "https://support.apple.com/guide/mac-help/change-certificate-trust-policies-on-mac-mchlp2824/mac",
            "https://keith.github.io/xcode-man-pages/security.1.html",
            GITHUB_NETWORK_HOWTO, GITHUB_TROUBLESHOOTING,
        ),
    )


def _bundle_check(ctx: GuideContext, bundle: str) -> Step:
    return Step("Check that the system bundle now contains the CA: openssl must answer OK.",
                f"openssl verify -CAfile {bundle} {posix_file(ctx, 'pem')}", "shell")


def _debian(ctx: GuideContext) -> GuideSection:
    local = f"/usr/local/share/ca-certificates/{CA_FILE_STEM}.crt"
    return GuideSection(
        key="debian", title="Debian / Ubuntu", kind="system",
        summary=("Adds the CA to the system store that OpenSSL, curl, Python and Copilot read "
                 "(/etc/ssl/certs/ca-certificates.crt). Needs sudo."),
        download="pem",
        steps=(
            download_step(ctx, "pem"),
            fingerprint_step(ctx),
            Step("Make sure the ca-certificates package is installed (it usually is):",
                 "sudo apt-get install ca-certificates", "shell"),
            Step("Copy it into the folder for local CAs. The name must end in .crt, or update-ca-certificates ignores "
                 "it (the content stays PEM):", f"sudo cp {posix_file(ctx, 'pem')} {local}", "shell"),
            Step("Rebuild the system store; it reports 1 added:", "sudo update-ca-certificates", "shell"),
            Step("Firefox and Chromium-based programs (including VS Code's built-in network stack) can keep their own "
                 "NSS store on Debian and Ubuntu; the VS Code section shows how to add the CA there if needed."),
        ),
        check=(_bundle_check(ctx, "/etc/ssl/certs/ca-certificates.crt"), *curl_checks(ctx)),
        remove=(Step("Remove it and rebuild the store:",
                     f"sudo rm {local} && sudo update-ca-certificates --fresh", "shell"),),
        references=(
            "https://manpages.debian.org/stable/ca-certificates/update-ca-certificates.8.en.html",
            "https://ubuntu.com/server/docs/security-trust-store",
            GITHUB_NETWORK_HOWTO, GITHUB_TROUBLESHOOTING,
        ),
    )


def _fedora(ctx: GuideContext) -> GuideSection:
    anchor = f"/etc/pki/ca-trust/source/anchors/{ctx.ca_file('pem')}"
    return GuideSection(
        key="fedora", title="Fedora / RHEL", kind="system",
        summary=("Adds the CA to the shared system store (ca-certificates and p11-kit) that OpenSSL, GnuTLS, NSS, "
                 "curl, Python and Copilot read. Needs sudo."),
        download="pem",
        steps=(
            download_step(ctx, "pem"),
            fingerprint_step(ctx),
            Step("Copy it into the trust anchors folder:", f"sudo cp {posix_file(ctx, 'pem')} {anchor}", "shell"),
            Step("Rebuild the system store:", "sudo update-ca-trust", "shell"),
        ),
        check=(_bundle_check(ctx, "/etc/pki/tls/certs/ca-bundle.crt"), *curl_checks(ctx)),
        remove=(Step("Remove it and rebuild the store:", f"sudo rm {anchor} && sudo update-ca-trust", "shell"),),
        references=(
            "https://docs.fedoraproject.org/en-US/quick-docs/using-shared-system-certificates/",
            RHEL_SHARED_CERTIFICATES,
            GITHUB_NETWORK_HOWTO, GITHUB_TROUBLESHOOTING,
        ),
    )


def _arch(ctx: GuideContext) -> GuideSection:
    pem = posix_file(ctx, "pem")
    return GuideSection(
        key="arch", title="Arch Linux", kind="system",
        summary=("Adds the CA as a trust anchor with p11-kit's trust tool, which also refreshes "
                 "/etc/ssl/certs/ca-certificates.crt. Needs sudo."),
        download="pem",
        steps=(
            download_step(ctx, "pem"),
            fingerprint_step(ctx),
            Step("Store it as a trust anchor (the trust command comes with p11-kit, which ca-certificates needs):",
                 f"sudo trust anchor --store {pem}", "shell"),
        ),
        check=(_bundle_check(ctx, "/etc/ssl/certs/ca-certificates.crt"), *curl_checks(ctx)),
        remove=(Step("Remove the anchor again (with the same file):", f"sudo trust anchor --remove {pem}", "shell"),),
        references=(
            "https://wiki.archlinux.org/title/Transport_Layer_Security#Add_a_certificate_to_a_trust_store",
            GITHUB_NETWORK_HOWTO, GITHUB_TROUBLESHOOTING,
        ),
    )


_SYSTEM_BUILDERS: dict[str, Callable[[GuideContext], GuideSection]] = {
    "windows": _windows, "macos": _macos, "debian": _debian, "fedora": _fedora, "arch": _arch,
}


def system_sections(ctx: GuideContext) -> tuple[GuideSection, ...]:
    """How to trust the CA in each OS's trust store, in `SYSTEM_KEYS` order."""
    return tuple(_SYSTEM_BUILDERS[key](ctx) for key in SYSTEM_KEYS)
