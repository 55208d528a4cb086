"""What to tell the lead about this computer's firewall: the ports developers must reach, per OS.

Pure text. The proxy and the setup page listen on two TCP ports; a firewall that blocks incoming
connections keeps every developer out although everything works on the lead's own computer.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FirewallAdvice:
    """A sentence about the ports and, where the OS has one, the command that opens them."""

    sentence: str
    command: str  # "" when the OS asks the user itself (macOS)
    language: str  # how `command` is written: shell or powershell


def _ports(ports: Sequence[int]) -> str:
    return ", ".join(str(port) for port in ports)


def firewall_advice(system: str, ports: Sequence[int], program: str) -> FirewallAdvice:
    """The advice for `system` (`platform.system()`: Linux, Darwin, Windows) about TCP `ports`.

    `program` is the executable that listens (macOS's firewall allows programs, not ports).
    """
    listed = _ports(ports)
    if system == "Windows":
        joined = ",".join(str(port) for port in ports)
        return FirewallAdvice(
            f"Windows Defender Firewall must let developers' computers in on TCP ports {listed}. Windows may ask "
            "when the proxy first starts; otherwise run this in PowerShell as administrator:",
            f'New-NetFirewallRule -DisplayName "Copilot Insight" -Direction Inbound -Protocol TCP '
            f"-LocalPort {joined} -Action Allow", "powershell")
    if system == "Darwin":
        return FirewallAdvice(
            f"If the macOS firewall is on, it asks whether to accept incoming connections when the proxy first "
            f"starts: click Allow (developers need TCP ports {listed}). If you clicked Deny, allow it again with:",
            f"sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp '{program}'", "shell")
    ufw = " ".join(f"sudo ufw allow {port}/tcp;" for port in ports).rstrip(";")
    firewalld = " ".join(f"--add-port={port}/tcp" for port in ports)
    return FirewallAdvice(
        f"If this computer runs a firewall, it must let developers' computers in on TCP ports {listed}. "
        "With ufw (Ubuntu, Debian) or firewalld (Fedora, RHEL):",
        f"{ufw}\nsudo firewall-cmd --permanent {firewalld}\nsudo firewall-cmd --reload", "shell")
