"""The firewall advice: both ports, the command for each OS."""

from desktop_app.core.guide.firewall import firewall_advice


def test_linux_names_ufw_and_firewalld_for_each_port():
    advice = firewall_advice("Linux", [8080, 8081], "/usr/bin/python3")
    assert "TCP ports 8080, 8081" in advice.sentence
    assert advice.command.splitlines() == [
        "sudo ufw allow 8080/tcp; sudo ufw allow 8081/tcp",
        "sudo firewall-cmd --permanent --add-port=8080/tcp --add-port=8081/tcp",
        "sudo firewall-cmd --reload"]


def test_windows_opens_both_ports_in_one_rule():
    advice = firewall_advice("Windows", [3128, 3129], r"C:\Program Files\Copilot Insight\copilot-insight.exe")
    assert advice.language == "powershell"
    assert advice.command == ('New-NetFirewallRule -DisplayName "Copilot Insight" -Direction Inbound -Protocol TCP '
                              "-LocalPort 3128,3129 -Action Allow")
    assert "as administrator" in advice.sentence


def test_macos_allows_the_program_not_ports():
    advice = firewall_advice("Darwin", [8080], "/Applications/Copilot Insight.app/Contents/MacOS/copilot-insight")
    assert "click Allow" in advice.sentence and "TCP ports 8080" in advice.sentence
    assert advice.command == ("sudo /usr/libexec/ApplicationFirewall/socketfilterfw --unblockapp "
                              "'/Applications/Copilot Insight.app/Contents/MacOS/copilot-insight'")
