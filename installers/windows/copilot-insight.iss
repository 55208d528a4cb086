; Inno Setup 6 script: the Windows installer of Copilot Insight.
;
; Built by installers\windows\build.ps1, which runs PyInstaller first (dist\copilot-insight\) and then
;   ISCC.exe /DAppVersion=<version from pyproject.toml> installers\windows\copilot-insight.iss
; Output: dist\copilot-insight-<version>-windows-x64-setup.exe
;
; Installs per user by default (no administrator needed; the setup offers all users), into
; {autopf}\Copilot Insight: the tray application copilot-insight.exe, the console twin
; copilot-insight-cli.exe for the commands, a Start-menu shortcut, optionally a desktop icon and
; launch at login (the same HKCU Run value the app's own setting writes). The uninstaller removes the
; program, its shortcuts and the Run value, and keeps the data folder (%LOCALAPPDATA%\copilot-insight:
; settings, usage database, CA) unless the user says yes to deleting it, or passes /PURGEDATA.

#ifndef AppVersion
  #error AppVersion is not defined: build with installers\windows\build.ps1 (it passes the version from pyproject.toml)
#endif

#define AppName "Copilot Insight"
#define AppId "copilot-insight"
#define AppExe "copilot-insight.exe"
#define RunValueName "Copilot Insight"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define Bundle "..\..\dist\copilot-insight"

[Setup]
AppId={{7C1F3E52-5B7A-4C1E-9A0E-2E8C61A0B4D3}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Copilot Insight developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
UsedUserAreasWarning=no
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename={#AppId}-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\copilot-insight.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
MinVersion=10.0

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start {#AppName} when I sign in to Windows"; GroupDescription: "Start:"; Flags: unchecked

[Files]
Source: "{#Bundle}\{#AppExe}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Bundle}\copilot-insight-cli.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#Bundle}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Per-developer GitHub Copilot usage"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; The value the app's "Launch at login" setting reads and writes (desktop_app/system/autostart.py).
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValueName}"; ValueData: """{app}\{#AppExe}"""; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the program itself may leave beside it; the data folder is handled in [Code].
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\{#AppId}');
end;

function PurgeRequested(): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), '/PURGEDATA') = 0 then
      Result := True;
end;

function ShouldDeleteData(): Boolean;
begin
  if PurgeRequested() then
    Result := True
  else if UninstallSilent() then
    Result := False
  else
    Result := MsgBox('Also delete your Copilot Insight data?' + #13#10 + #13#10 +
      DataFolder() + #13#10 + 'holds the settings, the recorded usage and the proxy''s CA. ' +
      'Keep it to reinstall later without setting everything up again.',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
    { Also the value the app's own setting wrote when the installer's task was not chosen. }
    RegDeleteValue(HKEY_CURRENT_USER, '{#RunKey}', '{#RunValueName}');
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder()) and ShouldDeleteData() then
    DelTree(DataFolder(), True, True, True);
end;
