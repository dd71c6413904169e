//! Microsoft Sentinel template checks: analytic rules (`kind: Scheduled` / `NRT`) and hunting queries, validated
//! the way the Azure-Sentinel repository's CI does (`.script/tests/detectionTemplateSchemaValidation`: the
//! `ScheduledTemplateInternalModel` / `QueryBasedTemplateInternalModel` / `AnalyticsTemplateInternalModelBase`
//! models and their validation attributes; `.script/tests/KqlvalidationsTests`, which needs `id` and `query`).
//!
//! Modelled on that CI (not copied): required fields per kind, GUID ids, severity and tactic enums (matched
//! case-insensitively, as Newtonsoft's enum parsing does), technique ids and the tactics they need
//! (`NoTechniquesWithoutMatchingTactics`), `queryFrequency`/`queryPeriod` between 5 minutes and 14 days
//! (`RangeTimeSpanIsoFormat("00:05:00", "14.00:00:00")`), period ≥ frequency, frequency ≥ 1 hour once the
//! period reaches 2 days (`FrequencyLimitationForLongPeriodQuery`), trigger operators and a threshold in
//! 0..=10000, `version` as X.Y.Z, entity mappings (1..=10 entities, per the Sentinel service limits; 1..=3
//! field mappings, per learn.microsoft.com/azure/sentinel/entities-reference; identifiers per entity type and
//! the required identifier combinations from `EntityMappingIdentifiers.cs`), custom details (at most 20, key
//! and column name shapes), alert details override placeholders (at most 3), and that every column a template
//! names is one the query returns.
#![warn(clippy::indexing_slicing)]

use saphyr::{MarkedYaml, Scalar, YamlData};

macro_rules! code {
    ($name:literal) => {
        concat!("kqlite::sentinel::", $name)
    };
}

/// What kind of Sentinel template a YAML document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateKind {
    Scheduled,
    Nrt,
    Hunting,
    /// has a query but no kind it could be told by (treated like hunting)
    Other,
}

/// One validation finding. line/col are 1-based positions in the YAML file of the offending key or value
/// (for a missing field: the position of the parent mapping's first key).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFinding {
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub line: usize,
    pub col: usize,
}

type Node<'a> = MarkedYaml<'a>;

/// Tactics as Sentinel spells them (the CI's `Tactic` enum, less `Unknown` and the obsolete values).
#[rustfmt::skip]
const TACTICS: &[&str] = &[
    "Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence", "PrivilegeEscalation",
    "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement", "Collection", "CommandAndControl",
    "Exfiltration", "Impact", "PreAttack", "ImpairProcessControl", "InhibitResponseFunction",
];
const SEVERITIES: &[&str] = &["Informational", "Low", "Medium", "High"];
/// `ScheduledTemplateTriggerOperatorConverter`: exact spellings only.
const TRIGGER_OPERATORS: &[&str] = &["gt", "lt", "eq", "ne", "GreaterThan", "LessThan", "Equal", "NotEqual"];
const AGGREGATION_KINDS: &[&str] = &["SingleAlert", "AlertPerResult"];
/// Columns of the old entity mapping that a Scheduled rule must still map (`NewEntityMappingsAttribute`).
#[rustfmt::skip]
const LEGACY_COLUMNS: &[&str] = &["AccountCustomEntity", "HostCustomEntity", "IPCustomEntity", "URLCustomEntity",
    "ProcessCustomEntity", "FileHashCustomEntity"];

/// Entity type, its identifiers (the CI's list, plus the documented IP `AddressScope`), and the identifier
/// combinations of which one must be mapped (`|` between alternatives, `+` inside one).
#[rustfmt::skip]
const ENTITIES: &[(&str, &str, &str)] = &[
    ("Account", "Name FullName NTDomain DnsDomain UPNSuffix Sid AadTenantId AadUserId PUID IsDomainJoined DisplayName ObjectGuid CloudAppAccountId", "FullName|Sid|Name|AadUserId|PUID|ObjectGuid"),
    ("AzureResource", "ResourceId", "ResourceId"),
    ("CloudApplication", "AppId Name InstanceName", "AppId|Name"),
    ("DNS", "DomainName", "DomainName"),
    ("File", "Directory Name", "Name"),
    ("FileHash", "Algorithm Value", "Algorithm+Value"),
    ("Host", "DnsDomain NTDomain HostName FullName NetBiosName AzureID OMSAgentID OSFamily OSVersion IsDomainJoined", "FullName|HostName|NetBiosName|AzureID|OMSAgentID"),
    ("IoTDevice", "DeviceId DeviceName Manufacturer Model FirmwareVersion OperatingSystem MacAddress Protocols SerialNumber Source IoTSecurityAgentId DeviceType", "DeviceId"),
    ("IP", "Address AddressScope", "Address"),
    ("Mailbox", "MailboxPrimaryAddress DisplayName Upn ExternalDirectoryObjectId RiskLevel", "MailboxPrimaryAddress"),
    ("MailCluster", "NetworkMessageIds CountByDeliveryStatus CountByThreatType CountByProtectionStatus Threats Query QueryTime MailCount IsVolumeAnomaly Source ClusterSourceIdentifier ClusterSourceType ClusterQueryStartTime ClusterQueryEndTime ClusterGroup", "Query|Source"),
    ("MailMessage", "Recipient Urls Threats Sender P1Sender P1SenderDisplayName P1SenderDomain SenderIP P2Sender P2SenderDisplayName P2SenderDomain ReceivedDate NetworkMessageId InternetMessageId Subject BodyFingerprintBin1 BodyFingerprintBin2 BodyFingerprintBin3 BodyFingerprintBin4 BodyFingerprintBin5 AntispamDirection DeliveryAction DeliveryLocation Language ThreatDetectionMethods", "NetworkMessageId|Recipient"),
    ("Malware", "Name Category", "Name"),
    ("Process", "ProcessId CommandLine ElevationToken CreationTimeUtc", "CommandLine|ProcessId"),
    ("RegistryKey", "Hive Key", "Key|Hive"),
    ("RegistryValue", "Name Value ValueType", "Name"),
    ("SecurityGroup", "DistinguishedName SID ObjectGuid", "DistinguishedName|SID|ObjectGuid"),
    ("SubmissionMail", "NetworkMessageId Timestamp Recipient Sender SenderIp Subject ReportType SubmissionId SubmissionDate Submitter", "SubmissionId|NetworkMessageId|Recipient|Submitter"),
    ("URL", "Url", "Url"),
];

/// Technique → tactic table of the CI's `KillChainTechniquesHelper` (numbers without the `T`). Techniques not in
/// it are not checked here (the CI rejects them until its table learns them).
#[rustfmt::skip]
const TECHNIQUE_TACTICS: &[(&str, &str)] = &[
    ("PreAttack", "1583 1584 1585 1586 1587 1588 1589 1590 1591 1592 1593 1594 1595 1596 1597 1598"),
    ("InitialAccess", "1078 1091 1133 1195 1199 1200 1189 1190 1566 0810 0817 0818 0819 0822 0883 0847 0848 0865 0862 0860 0866 0886"),
    ("Persistence", "1037 1053 1078 1098 1136 1137 1176 1197 1133 1205 1505 1525 1542 1543 1546 1547 1554 1574 0889 0839 0873 0857 0859 1556"),
    ("PrivilegeEscalation", "1037 1053 1055 1068 1078 1134 1484 1543 1546 1547 1548 1574 0874 0890 1611"),
    ("DefenseEvasion", "1006 1014 1027 1036 1055 1070 1078 1112 1127 1134 1140 1197 1202 1205 1207 1211 1216 1218 1220 1221 1222 1480 1484 1497 1535 1542 1548 1550 1553 1556 1562 1564 1574 1578 1599 1600 1601 0858 0820 0872 0849 0851 0856 1612 1610"),
    ("CredentialAccess", "1003 1040 1056 1110 1111 1187 1212 1528 1539 1552 1555 1556 1557 1558 1606 1613 1614 1621"),
    ("Discovery", "1007 1010 1012 1016 1018 1033 1040 1046 1049 1057 1069 1082 1083 1087 1120 1124 1135 1201 1217 1482 1497 1518 1526 1538 1580 0840 0842 0846 0888 0887"),
    ("LateralMovement", "1021 1072 1080 1091 1210 1534 1550 1563 1570 0866 0886 0859 0812 0867 0843"),
    ("Execution", "1047 1053 1059 1072 1106 1129 1203 1204 1559 1569 0807 0871 0823 0821 0834 0853 0863 0874 0858"),
    ("Collection", "1005 1025 1039 1056 1074 1113 1114 1115 1119 1123 1125 1185 1213 1530 1557 1560 1602 0887 0802 0811 0868 0877 0830 0801 0861 0845 0852 1609 1610"),
    ("Exfiltration", "1011 1020 1029 1030 1041 1048 1052 1537 1567"),
    ("CommandAndControl", "1001 1008 1071 1090 1092 1095 1102 1104 1105 1132 1205 1219 1568 1571 1572 1573 0885 0884 0869"),
    ("Impact", "1485 1486 1489 1490 1491 1495 1496 1498 1499 1529 1531 1561 1565 0879 0813 0815 0826 0827 0828 0837 0880 0829 0831 0832 0882"),
    ("ImpairProcessControl", "0839 0856 0806 0836 0855"),
    ("InhibitResponseFunction", "0857 0851 0800 0878 0803 0804 0805 0809 0814 0816 0835 0838 0881"),
    ("Reconnaissance", "1595 1592 1589 1590 1591 1598 1597 1596 1593 1594"),
    ("ResourceDevelopment", "1583 1586 1584 1587 1585 1588 1608"),
];

const RULE_REQUIRED: &[&str] = &["id", "kind", "name", "description", "severity", "query"];
const SCHEDULED_REQUIRED: &[&str] =
    &["requiredDataConnectors", "queryFrequency", "queryPeriod", "triggerOperator", "triggerThreshold"];
const HUNTING_REQUIRED: &[&str] = &["id", "name", "description", "query"];

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// The value (and key) of a mapping's entry.
fn entry<'b, 'a>(node: &'b Node<'a>, key: &str) -> Option<(&'b Node<'a>, &'b Node<'a>)> {
    let YamlData::Mapping(m) = &node.data else { return None };
    m.iter().find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key))
}

fn value<'b, 'a>(node: &'b Node<'a>, key: &str) -> Option<&'b Node<'a>> {
    entry(node, key).map(|(_, v)| v)
}

/// A scalar's text (the CI reads YAML untyped: every scalar is a string to it).
fn text(node: &Node) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn is_null(node: &Node) -> bool {
    matches!(node.data, YamlData::Value(Scalar::Null))
}

fn shape(node: &Node) -> &'static str {
    match &node.data {
        YamlData::Mapping(_) => "a mapping",
        YamlData::Sequence(_) => "a list",
        YamlData::Value(Scalar::Null) => "null",
        YamlData::Value(_) => "a scalar",
        _ => "an unsupported YAML node",
    }
}

fn lower_alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Edit distance counting a swap of neighbouring characters as one edit (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let at = |row: &[usize], j: usize| row.get(j).copied().unwrap_or(usize::MAX / 2);
    let (mut before, mut prev): (Vec<usize>, Vec<usize>) = (Vec::new(), (0..=b.len()).collect());
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let mut d = (at(&prev, j) + usize::from(ca != cb)).min(at(&prev, j + 1) + 1).min(at(&cur, j) + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                d = d.min(at(&before, j - 1) + 1);
            }
            cur.push(d);
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest candidate, compared without case, spaces or punctuation; None when nothing is close.
fn suggest<'c>(bad: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let bad = lower_alnum(bad);
    let limit = (bad.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(&bad, &lower_alnum(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`? " followed by the valid values (the first 20).
fn help_for(bad: &str, valid: &[&str], what: &str) -> String {
    let hint = suggest(bad, valid.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
    let more = if valid.len() > 20 { format!(", … ({} in all)", valid.len()) } else { String::new() };
    let shown: Vec<&str> = valid.iter().copied().take(20).collect();
    format!("{hint}{what}: {}{more}", shown.join(", "))
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `T1234` or `T1234.001`.
fn is_technique(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('T') else { return false };
    let (main, sub) = match rest.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |x: &str, n: usize| x.len() == n && x.chars().all(|c| c.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}

/// `^[a-zA-Z_]+\w*$` (`ValidEntityMappingsAttribute`, custom detail values), at most 500 characters.
fn is_column_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && s.chars().count() <= 500
}

/// A duration in seconds, as the CI's `ScheduledTemplateTimeSpanConverter` reads it (a .NET TimeSpan such as
/// `1.00:00:00` or `01:00`, or `<n>m` / `<n>h` / `<n>d`), or as ISO-8601 (`PT5M`, `P1D`), the ARM form.
fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let number =
        |x: &str| if !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()) { x.parse::<u64>().ok() } else { None };
    if let Some(iso) = s.strip_prefix('P') {
        let (date, time) = match iso.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, t),
            Some(_) => return None,
            None => (iso, ""),
        };
        let (mut total, mut any) = (0u64, false);
        for (part, units) in
            [(date, &[('W', 7 * DAY), ('D', DAY)][..]), (time, &[('H', HOUR), ('M', MINUTE), ('S', 1)][..])]
        {
            let mut digits = String::new();
            for c in part.chars() {
                if c.is_ascii_digit() {
                    digits.push(c);
                    continue;
                }
                let unit = units.iter().find(|(u, _)| *u == c)?.1;
                total = total.checked_add(number(&digits)?.checked_mul(unit)?)?;
                digits.clear();
                any = true;
            }
            if !digits.is_empty() {
                return None;
            }
        }
        return any.then_some(total);
    }
    if s.contains(':') {
        let (days, clock) = match s.split_once('.') {
            Some((d, c)) if !d.contains(':') => (number(d)?, c),
            _ => (0, s),
        };
        let parts: Vec<&str> = clock.split(':').collect();
        let field = |i: usize, max: u64| -> Option<u64> {
            let p = parts.get(i)?;
            let p = if i == 2 { p.split('.').next().unwrap_or(p) } else { p };
            number(p).filter(|v| *v < max)
        };
        let secs = match parts.len() {
            2 => 0,
            3 => field(2, 60)?,
            _ => return None,
        };
        return days.checked_mul(DAY)?.checked_add(field(0, 24)? * HOUR + field(1, 60)? * MINUTE + secs);
    }
    if let Some(days) = number(s) {
        return days.checked_mul(DAY);
    }
    let (unit, n) = if let Some(n) = s.strip_suffix('m') {
        (MINUTE, n)
    } else if let Some(n) = s.strip_suffix('h') {
        (HOUR, n)
    } else {
        (DAY, s.strip_suffix('d')?)
    };
    number(n)?.checked_mul(unit)
}

fn show_duration(secs: u64) -> String {
    match secs {
        s if s % DAY == 0 => format!("{}d", s / DAY),
        s if s % HOUR == 0 => format!("{}h", s / HOUR),
        s if s % MINUTE == 0 => format!("{}m", s / MINUTE),
        s => format!("{s}s"),
    }
}

/// The `{{Column}}` placeholders of an alert format string (`{{([^{}]*)}}`).
fn placeholders(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = rest.get(i + 2..).unwrap_or("");
        let end = after.find(['{', '}']).unwrap_or(after.len());
        let tail = after.get(end..).unwrap_or("");
        if tail.starts_with("}}") {
            out.push(after.get(..end).unwrap_or(""));
            rest = tail.get(2..).unwrap_or("");
        } else {
            rest = rest.get(i + 1..).unwrap_or("");
        }
    }
    out
}

/// The kind of a document: `kind: Scheduled|NRT` → analytic rule; no kind but `query` plus (`tactics` or
/// `description`) and no `triggerOperator` → Hunting; else Other. None when the document has no `query` key.
pub fn template_kind(doc: &MarkedYaml) -> Option<TemplateKind> {
    value(doc, "query")?;
    if let Some(kind) = value(doc, "kind").filter(|k| !is_null(k)) {
        let kind = text(kind).unwrap_or_default();
        return Some(if kind.eq_ignore_ascii_case("Scheduled") {
            TemplateKind::Scheduled
        } else if kind.eq_ignore_ascii_case("NRT") {
            TemplateKind::Nrt
        } else {
            TemplateKind::Other
        });
    }
    let hunting = (value(doc, "tactics").is_some() || value(doc, "description").is_some())
        && value(doc, "triggerOperator").is_none();
    Some(if hunting { TemplateKind::Hunting } else { TemplateKind::Other })
}

/// The rule's `id` value and its position, for uniqueness checks across a pack by the caller.
pub fn template_id(doc: &MarkedYaml) -> Option<(String, usize, usize)> {
    let id = value(doc, "id")?;
    Some((text(id)?, id.span.start.line(), id.span.start.col() + 1))
}

struct Check<'r> {
    out: Vec<RuleFinding>,
    columns: Option<&'r [String]>,
}

impl Check<'_> {
    fn add(&mut self, code: &'static str, at: &Node, message: String, help: Option<String>) {
        let (line, col) = (at.span.start.line(), at.span.start.col() + 1);
        self.out.push(RuleFinding { code, message, help, line, col });
    }

    fn wrong_type(&mut self, field: &str, at: &Node, want: &str) {
        let message = format!("`{field}` must be {want}, not {}", shape(at));
        self.add(code!("invalid_field_type"), at, message, None);
    }

    fn missing(&mut self, field: &str, parent: &Node, who: &str) {
        let message = format!("`{field}` is missing: {who} need it");
        self.add(code!("missing_field"), parent, message, None);
    }

    /// A scalar's text; a list or mapping is reported, null is None.
    fn scalar(&mut self, field: &str, at: &Node) -> Option<String> {
        let t = text(at);
        if t.is_none() && !is_null(at) {
            self.wrong_type(field, at, "a string");
        }
        t
    }

    /// `node[key]` and its text: None when absent or null, reported when not a scalar.
    fn get<'b, 'a>(&mut self, node: &'b Node<'a>, key: &str) -> Option<(&'b Node<'a>, String)> {
        let v = value(node, key)?;
        self.scalar(key, v).map(|t| (v, t))
    }

    fn list<'b, 'a>(&mut self, field: &str, at: &'b Node<'a>) -> Option<&'b [Node<'a>]> {
        match &at.data {
            YamlData::Sequence(items) => Some(items),
            _ if is_null(at) => None,
            _ => {
                self.wrong_type(field, at, "a list");
                None
            }
        }
    }

    fn mapping(&mut self, field: &str, at: &Node) -> bool {
        let ok = matches!(at.data, YamlData::Mapping(_));
        if !ok && !is_null(at) {
            self.wrong_type(field, at, "a mapping");
        }
        ok
    }

    fn bad_value(&mut self, code: &'static str, field: &str, at: &Node, bad: &str, valid: &[&str]) {
        let message = format!("`{field}` value `{bad}` is not valid");
        self.add(code, at, message, Some(help_for(bad, valid, "valid values are")));
    }

    /// A column the template names must be one of the query's result columns.
    fn column(&mut self, field: &str, at: &Node, name: &str) {
        let Some(columns) = self.columns else { return };
        if columns.iter().any(|c| c == name) {
            return;
        }
        let valid: Vec<&str> = columns.iter().map(String::as_str).collect();
        let message = format!("`{field}` names column `{name}`, which the query does not return");
        let help = help_for(name, &valid, "the query's result columns are");
        self.add(code!("unknown_column"), at, message, Some(help));
    }

    fn length(&mut self, field: &str, at: &Node, s: &str, max: usize) {
        let n = s.encode_utf16().count();
        if s.trim().is_empty() {
            self.add(code!("empty_field"), at, format!("`{field}` is empty"), None);
        } else if n > max {
            let message = format!("`{field}` is {n} characters long; the limit is {max}");
            self.add(code!("field_too_long"), at, message, None);
        }
    }
}

/// Validates one template. `result_columns`: the query's result column names when the query bound (None when
/// it did not: then the entityMappings/customDetails/alertDetailsOverride column checks are skipped).
pub fn validate(doc: &MarkedYaml, kind: TemplateKind, result_columns: Option<&[String]>) -> Vec<RuleFinding> {
    let mut c = Check { out: Vec::new(), columns: result_columns };
    if !matches!(doc.data, YamlData::Mapping(_)) {
        c.wrong_type("the template", doc, "a mapping");
        return c.out;
    }
    let (rule, scheduled) =
        (matches!(kind, TemplateKind::Scheduled | TemplateKind::Nrt), kind == TemplateKind::Scheduled);
    let (who, required): (&str, Vec<&str>) = match kind {
        TemplateKind::Scheduled => {
            ("Scheduled rules", RULE_REQUIRED.iter().chain(SCHEDULED_REQUIRED).copied().collect())
        }
        TemplateKind::Nrt => ("NRT rules", RULE_REQUIRED.to_vec()),
        TemplateKind::Hunting | TemplateKind::Other => ("hunting queries", HUNTING_REQUIRED.to_vec()),
    };
    for field in required {
        match entry(doc, field) {
            None => c.missing(field, doc, who),
            Some((key, v)) if is_null(v) => {
                c.add(code!("missing_field"), key, format!("`{field}` is empty: {who} need it"), None)
            }
            Some(_) => {}
        }
    }
    if !rule {
        if let Some((v, t)) = c.get(doc, "kind") {
            let message = format!("`kind` `{t}` is not a template kind the Sentinel CI knows");
            c.add(code!("invalid_kind"), v, message, Some(help_for(&t, &["Scheduled", "NRT"], "valid kinds are")));
        } else if SCHEDULED_REQUIRED.iter().skip(1).any(|f| value(doc, f).is_some()) {
            let message = "`kind` is missing, but the template has scheduling fields".to_string();
            c.add(code!("missing_field"), doc, message, Some("add `kind: Scheduled` (or `kind: NRT`)".into()));
        }
    }
    if let Some((v, t)) = c.get(doc, "id").filter(|(_, t)| !is_guid(t)) {
        let help = "use a GUID such as 6f3a8c52-1b9e-4d7a-9c0e-2f4b5a6d7e8f (8-4-4-4-12 hex digits)".into();
        c.add(code!("invalid_id"), v, format!("`id` `{t}` is not a GUID"), Some(help));
    }
    for (field, max) in [("name", 256), ("description", 5000), ("query", 10000)] {
        if let Some((v, t)) = c.get(doc, field).filter(|_| rule) {
            c.length(field, v, &t, max);
        }
    }
    if let Some((v, t)) = c.get(doc, "severity").filter(|(_, t)| !SEVERITIES.iter().any(|s| s.eq_ignore_ascii_case(t)))
    {
        c.bad_value(code!("invalid_severity"), "severity", v, &t, SEVERITIES);
    }
    let version_ok = |t: &str| {
        let mut parts = t.split('.');
        t.len() <= 20
            && parts.clone().count() == 3
            && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    if let Some((v, t)) = c.get(doc, "version").filter(|(_, t)| rule && !version_ok(t)) {
        let help = "write it as X.Y.Z, all numbers (e.g. 1.0.0)".into();
        c.add(code!("invalid_version"), v, format!("`version` `{t}` is not in X.Y.Z form"), Some(help));
    }
    check_mitre(&mut c, doc, scheduled);
    if scheduled {
        check_schedule(&mut c, doc);
    }
    check_connectors(&mut c, doc);
    check_entities(&mut c, doc);
    check_alert_details(&mut c, doc);
    c.out.sort_by_key(|f| (f.line, f.col));
    c.out
}

fn check_mitre(c: &mut Check, doc: &Node, scheduled: bool) {
    // (techniques are only tied to tactics once the tactics themselves are right)
    let (mut listed, before): (Vec<&str>, usize) = (Vec::new(), c.out.len());
    if let Some(items) = value(doc, "tactics").and_then(|v| c.list("tactics", v)) {
        for item in items {
            let Some(t) = c.scalar("tactics", item) else { continue };
            match TACTICS.iter().find(|x| x.eq_ignore_ascii_case(&t)) {
                Some(x) => listed.push(*x),
                None => c.bad_value(code!("invalid_tactic"), "tactics", item, &t, TACTICS),
            }
        }
    }
    let tactics_ok = c.out.len() == before;
    let Some(items) = value(doc, "relevantTechniques").and_then(|v| c.list("relevantTechniques", v)) else { return };
    for item in items {
        let Some(t) = c.scalar("relevantTechniques", item) else { continue };
        if !is_technique(&t) {
            let message = format!("`relevantTechniques` value `{t}` is not a technique id");
            let help = "write MITRE ATT&CK technique ids as T1234 or, for a sub-technique, T1234.001".into();
            c.add(code!("invalid_technique"), item, message, Some(help));
            continue;
        }
        let number = t.get(1..5).unwrap_or("");
        let owners: Vec<&str> = TECHNIQUE_TACTICS
            .iter()
            .filter(|(_, ns)| ns.split(' ').any(|n| n == number))
            .map(|(tactic, _)| *tactic)
            .collect();
        if scheduled && tactics_ok && !owners.is_empty() && !owners.iter().any(|o| listed.contains(o)) {
            let message = format!("technique `{t}` has no matching tactic in `tactics`");
            let help = format!("add one of its tactics: {}", owners.join(", "));
            c.add(code!("technique_without_tactic"), item, message, Some(help));
        }
    }
}

/// A duration field of a Scheduled rule, checked against the 5 minutes..14 days range.
fn duration<'b, 'a>(c: &mut Check, doc: &'b Node<'a>, field: &str) -> Option<(u64, &'b Node<'a>)> {
    let (v, t) = c.get(doc, field)?;
    let Some(secs) = parse_duration(&t) else {
        let help = "write it as <n>m, <n>h or <n>d (5m, 1h, 14d), as a TimeSpan (01:00:00) or as ISO-8601 (PT1H)";
        c.add(code!("invalid_period"), v, format!("`{field}` `{t}` is not a duration"), Some(help.into()));
        return None;
    };
    if !(5 * MINUTE..=14 * DAY).contains(&secs) {
        let message = format!("`{field}` `{t}` is out of range");
        c.add(code!("period_out_of_range"), v, message, Some("it must be between 5m and 14d".into()));
    }
    Some((secs, v))
}

fn check_schedule(c: &mut Check, doc: &Node) {
    let frequency = duration(c, doc, "queryFrequency");
    let period = duration(c, doc, "queryPeriod");
    if let (Some((f, fnode)), Some((p, pnode))) = (frequency, period) {
        if p < f {
            let message =
                format!("`queryPeriod` ({}) is shorter than `queryFrequency` ({})", show_duration(p), show_duration(f));
            let help = "the query must look back at least as far as the interval between runs".into();
            c.add(code!("period_shorter_than_frequency"), pnode, message, Some(help));
        } else if p >= 2 * DAY && f < HOUR {
            let (f, p) = (show_duration(f), show_duration(p));
            let message = format!("`queryFrequency` {f} is too short for a `queryPeriod` of {p}");
            let help = "when `queryPeriod` is 2 days or more, `queryFrequency` must be at least 1h".into();
            c.add(code!("frequency_too_short_for_period"), fnode, message, Some(help));
        }
    }
    if let Some((v, t)) = c.get(doc, "triggerOperator").filter(|(_, t)| !TRIGGER_OPERATORS.contains(&t.as_str())) {
        c.bad_value(code!("invalid_trigger"), "triggerOperator", v, &t, TRIGGER_OPERATORS);
    }
    let threshold_ok = |t: &str| t.trim().parse::<i64>().is_ok_and(|n| (0..=10000).contains(&n));
    if let Some((v, t)) = c.get(doc, "triggerThreshold").filter(|(_, t)| !threshold_ok(t)) {
        let message = format!("`triggerThreshold` `{t}` is not valid");
        c.add(code!("invalid_threshold"), v, message, Some("use a whole number from 0 to 10000".into()));
    }
    if let Some(v) = value(doc, "eventGroupingSettings").filter(|v| c.mapping("eventGroupingSettings", v)) {
        match c.get(v, "aggregationKind") {
            None => c.missing("aggregationKind", v, "event grouping settings"),
            Some((k, t)) if !AGGREGATION_KINDS.iter().any(|a| a.eq_ignore_ascii_case(&t)) => {
                c.bad_value(code!("invalid_event_grouping"), "aggregationKind", k, &t, AGGREGATION_KINDS);
            }
            Some(_) => {}
        }
    }
    // rules that still use the old `AccountCustomEntity`-style columns must map them in entityMappings
    let query = value(doc, "query");
    let Some(text) = query.and_then(text) else { return };
    let mapped = mapped_columns(doc);
    for old in LEGACY_COLUMNS.iter().filter(|o| text.contains(**o) && !mapped.iter().any(|m| m == *o)) {
        let message = format!("the query uses the old entity column `{old}` but no entity mapping maps it");
        let help = "map the column in `entityMappings` (the old implicit entity mapping is gone)".into();
        if let Some(q) = query {
            c.add(code!("legacy_entity_column"), q, message, Some(help));
        }
    }
}

fn mapped_columns(doc: &Node) -> Vec<String> {
    let mut out = Vec::new();
    let Some(YamlData::Sequence(entities)) = value(doc, "entityMappings").map(|n| &n.data) else { return out };
    for e in entities {
        let Some(YamlData::Sequence(fields)) = value(e, "fieldMappings").map(|n| &n.data) else { continue };
        out.extend(fields.iter().filter_map(|f| value(f, "columnName").and_then(text)));
    }
    out
}

fn check_connectors(c: &mut Check, doc: &Node) {
    let Some(items) = value(doc, "requiredDataConnectors").and_then(|v| c.list("requiredDataConnectors", v)) else {
        return;
    };
    for item in items {
        if !c.mapping("requiredDataConnectors entry", item) {
            continue;
        }
        match value(item, "connectorId") {
            Some(v) if !is_null(v) => {
                c.scalar("connectorId", v);
            }
            _ => c.missing("connectorId", item, "required data connectors"),
        }
        match value(item, "dataTypes") {
            Some(v) if !is_null(v) => {
                for t in c.list("dataTypes", v).unwrap_or_default() {
                    c.scalar("dataTypes", t);
                }
            }
            _ => c.missing("dataTypes", item, "required data connectors"),
        }
    }
}

fn check_entities(c: &mut Check, doc: &Node) {
    let Some(list) = value(doc, "entityMappings") else { return };
    let Some(items) = c.list("entityMappings", list) else { return };
    if items.is_empty() {
        let help = Some("map 1 to 10 entities, or leave the field out".into());
        c.add(code!("empty_list"), list, "`entityMappings` is empty".into(), help);
    } else if items.len() > 10 {
        let message = format!("`entityMappings` has {} entities; Sentinel allows at most 10", items.len());
        c.add(code!("too_many_entity_mappings"), items.get(10).unwrap_or(list), message, None);
    }
    let names: Vec<&str> = ENTITIES.iter().map(|e| e.0).collect();
    for item in items {
        if !c.mapping("entityMappings entry", item) {
            continue;
        }
        let typed = c.get(item, "entityType");
        let entity =
            typed.as_ref().and_then(|(v, t)| ENTITIES.iter().find(|e| e.0.eq_ignore_ascii_case(t)).map(|e| (e, *v)));
        match typed {
            None => c.missing("entityType", item, "entity mappings"),
            Some((v, t)) if entity.is_none() => c.bad_value(code!("unknown_entity_type"), "entityType", v, &t, &names),
            Some(_) => {}
        }
        let fields = match value(item, "fieldMappings") {
            Some(v) if !is_null(v) => c.list("fieldMappings", v).map(|f| (f, v)),
            _ => {
                c.missing("fieldMappings", item, "entity mappings");
                None
            }
        };
        let Some((fields, fields_node)) = fields else { continue };
        if fields.is_empty() {
            let help = Some("map 1 to 3 identifiers".into());
            c.add(code!("empty_list"), fields_node, "`fieldMappings` is empty".into(), help);
        } else if fields.len() > 3 {
            let message =
                format!("`fieldMappings` has {} identifiers; Sentinel allows at most 3 per entity", fields.len());
            c.add(code!("too_many_field_mappings"), fields.get(3).unwrap_or(fields_node), message, None);
        }
        let (mut used, mut all_known) = (Vec::<String>::new(), !fields.is_empty());
        for field in fields {
            if !c.mapping("fieldMappings entry", field) {
                all_known = false;
                continue;
            }
            match c.get(field, "identifier") {
                None => {
                    all_known = false;
                    c.missing("identifier", field, "field mappings");
                }
                Some((v, id)) => {
                    if let Some(((name, ids, _), _)) = entity {
                        let valid: Vec<&str> = ids.split(' ').collect();
                        if !valid.contains(&id.as_str()) {
                            all_known = false;
                            let message = format!("`{id}` is not an identifier of entity type {name}");
                            let help = Some(help_for(&id, &valid, "its identifiers are"));
                            c.add(code!("unknown_identifier"), v, message, help);
                        } else if used.contains(&id) {
                            let message = format!("identifier `{id}` is mapped twice in one entity");
                            c.add(code!("duplicate_identifier"), v, message, None);
                        }
                    }
                    used.push(id);
                }
            }
            match c.get(field, "columnName") {
                None => c.missing("columnName", field, "field mappings"),
                Some((v, col)) if !is_column_name(&col) => {
                    let message = format!("`columnName` `{col}` is not a valid column name");
                    let help = "a column name starts with a letter or underscore and holds only letters, digits and underscores".into();
                    c.add(code!("invalid_column_name"), v, message, Some(help));
                }
                Some((v, col)) => c.column("columnName", v, &col),
            }
        }
        if let Some(((name, _, required), at)) = entity.filter(|_| all_known) {
            let satisfied = required.split('|').any(|group| group.split('+').all(|i| used.iter().any(|u| u == i)));
            if !satisfied {
                let message = format!("entity type {name} lacks a required identifier");
                let help = format!("map one of: {}", required.replace('|', ", ").replace('+', " + "));
                c.add(code!("missing_required_identifier"), at, message, Some(help));
            }
        }
    }
}

fn check_alert_details(c: &mut Check, doc: &Node) {
    let custom = value(doc, "customDetails").filter(|v| c.mapping("customDetails", v));
    if let Some((v, YamlData::Mapping(m))) = custom.map(|v| (v, &v.data)) {
        if m.len() > 20 {
            let message = format!("`customDetails` has {} entries; Sentinel allows at most 20", m.len());
            c.add(code!("invalid_custom_details"), v, message, None);
        }
        for (key, col) in m {
            let k = text(key).unwrap_or_default();
            let mut chars = k.chars();
            let key_ok = chars.next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && chars.all(|ch| ch.is_alphanumeric() || ch == '_');
            if !key_ok || k.chars().count() > 20 {
                let message = format!("`customDetails` key `{k}` is not valid");
                let help = "a key starts with a letter, holds only letters, digits and underscores, and is at most 20 characters".into();
                c.add(code!("invalid_custom_details"), key, message, Some(help));
            }
            match c.scalar("customDetails", col) {
                Some(name) if !is_column_name(&name) => {
                    let message = format!("`customDetails` value `{name}` is not a column name");
                    let help = Some("name one result column of the query".into());
                    c.add(code!("invalid_custom_details"), col, message, help);
                }
                Some(name) => c.column("customDetails", col, &name),
                None => c.missing("column", key, "custom details"),
            }
        }
    }
    let Some(v) = value(doc, "alertDetailsOverride").filter(|v| c.mapping("alertDetailsOverride", v)) else { return };
    for (field, max) in [("alertDisplayNameFormat", 256), ("alertDescriptionFormat", 5000)] {
        let Some((f, s)) = c.get(v, field) else { continue };
        c.length(field, f, &s, max);
        let found = placeholders(&s);
        if found.len() > 3 {
            let message = format!("`{field}` has {} placeholders; Sentinel allows at most 3", found.len());
            c.add(code!("too_many_placeholders"), f, message, None);
        }
        for p in found {
            c.column(field, f, p.trim());
        }
    }
    for field in ["alertTacticsColumnName", "alertSeverityColumnName"] {
        if let Some((f, name)) = c.get(v, field) {
            c.column(field, f, &name);
        }
    }
    let props =
        value(v, "alertDynamicProperties").and_then(|p| c.list("alertDynamicProperties", p)).unwrap_or_default();
    for prop in props {
        if !c.mapping("alertDynamicProperties entry", prop) {
            continue;
        }
        if let Some((f, name)) = c.get(prop, "value") {
            c.column("alertDynamicProperties", f, &name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr::LoadableYamlNode;

    const SCHEDULED: &str = "id: 0b9ae89d-8cad-461c-808f-0494f70ad5c4
name: Failed sign-ins from one IP
description: |
  Many failed sign-ins.
severity: Medium
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - SigninLogs
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110
query: |
  SigninLogs | summarize Failures = count() by IPAddress, UserPrincipalName
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
customDetails:
  Failures: Failures
alertDetailsOverride:
  alertDisplayNameFormat: Failed sign-ins from {{IPAddress}}
version: 1.0.0
kind: Scheduled
";

    const HUNTING: &str = "id: 3f0c20d5-6228-48ef-92f3-9ff7822c1954
name: Accounts enumerated
description: |
  Lists enumeration.
requiredDataConnectors:
  - connectorId: SecurityEvents
    dataTypes:
      - SecurityEvent
tactics:
  - Discovery
relevantTechniques:
  - T1087
query: |
  SecurityEvent | where EventID == 4798
entityMappings:
  - entityType: Host
    fieldMappings:
      - identifier: HostName
        columnName: Computer
";

    fn columns() -> Vec<String> {
        ["IPAddress", "UserPrincipalName", "Failures", "Computer"].iter().map(|s| s.to_string()).collect()
    }

    fn run_with(yaml: &str, cols: Option<&[String]>) -> Vec<RuleFinding> {
        let docs = MarkedYaml::load_from_str(yaml).unwrap();
        let doc = docs.first().unwrap();
        validate(doc, template_kind(doc).unwrap(), cols)
    }

    fn run(yaml: &str) -> Vec<RuleFinding> {
        run_with(yaml, Some(&columns()))
    }

    fn edit(from: &str, to: &str) -> String {
        assert!(SCHEDULED.contains(from), "{from}");
        SCHEDULED.replacen(from, to, 1)
    }

    /// The only finding, which must have this code (after the prefix) and line.
    fn only(findings: &[RuleFinding], code: &str, line: usize) -> RuleFinding {
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = findings[0].clone();
        assert_eq!((f.code.trim_start_matches("kqlite::sentinel::"), f.line), (code, line), "{f:#?}");
        f
    }

    #[test]
    fn valid_templates_have_no_findings() {
        assert_eq!(run(SCHEDULED), vec![]);
        assert_eq!(run(HUNTING), vec![]);
        let nrt = ["queryFrequency: 1h\n", "queryPeriod: 1h\n", "triggerOperator: gt\n", "triggerThreshold: 0\n"]
            .iter()
            .fold(SCHEDULED.replace("kind: Scheduled", "kind: NRT"), |s, f| s.replace(f, ""));
        assert_eq!(run(&nrt), vec![]);
        // the CI's spellings: enums without case, durations as TimeSpan or ISO-8601, numbers as strings
        let relaxed =
            edit("severity: Medium", "severity: medium").replace("1h\nqueryPeriod: 1h", "01:00:00\nqueryPeriod: PT1H");
        assert_eq!(run(&relaxed.replace("Threshold: 0", "Threshold: '10'")), vec![]);
        // techniques the CI's table does not know, and hunting queries, are not tied to tactics
        assert_eq!(run(&edit("  - T1110", "  - T1649")), vec![]);
        assert_eq!(run(&edit("  - T1110", "  - T1110.001")), vec![]);
        assert_eq!(run(&HUNTING.replace("T1087", "T1566")), vec![]);
        // without result columns, column names are not checked
        assert_eq!(run_with(&edit("columnName: UserPrincipalName", "columnName: Nope"), None), vec![]);
    }

    #[test]
    fn kinds_and_ids() {
        let kind = |y: &str| template_kind(MarkedYaml::load_from_str(y).unwrap().first().unwrap());
        assert_eq!(kind(SCHEDULED), Some(TemplateKind::Scheduled));
        assert_eq!(kind(&SCHEDULED.replace("kind: Scheduled", "kind: nrt")), Some(TemplateKind::Nrt));
        assert_eq!(kind(HUNTING), Some(TemplateKind::Hunting));
        assert_eq!(kind("query: T\nname: x\n"), Some(TemplateKind::Other));
        assert_eq!(kind("query: T\ndescription: x\ntriggerOperator: gt\n"), Some(TemplateKind::Other));
        assert_eq!(kind("name: x\n"), None);
        let docs = MarkedYaml::load_from_str(SCHEDULED).unwrap();
        assert_eq!(template_id(&docs[0]), Some(("0b9ae89d-8cad-461c-808f-0494f70ad5c4".into(), 1, 5)));
        let docs = MarkedYaml::load_from_str("- query: x\n").unwrap();
        only(&validate(&docs[0], TemplateKind::Other, None), "invalid_field_type", 1);
    }

    /// Each edit of the valid Scheduled rule gives one finding: its code, line, column and a piece of its help.
    #[test]
    #[rustfmt::skip]
    fn each_mistake_is_one_finding() {
        let ip = "  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: IPAddress\n";
        let acct = "      - identifier: FullName\n        columnName: UserPrincipalName\n";
        let addr = "      - identifier: Address\n        columnName: IPAddress\n";
        let hash = "  - entityType: FileHash\n    fieldMappings:\n      - identifier: Algorithm\n        columnName: Failures\n";
        let legacy = "IPAddress, UserPrincipalName\n  | extend AccountCustomEntity = UserPrincipalName\n";
        let cases: &[(&str, &str, &str, usize, usize, &str)] = &[
            ("severity: Medium\n", "", "missing_field", 1, 1, ""),
            ("queryPeriod: 1h\n", "", "missing_field", 1, 1, ""),
            ("severity: Medium", "severity:", "missing_field", 5, 1, ""),
            ("kind: Scheduled", "kind: Sheduled", "invalid_kind", 34, 7, "did you mean `Scheduled`"),
            ("id: 0b9ae89d", "id: 0b9ae89x", "invalid_id", 1, 5, "8-4-4-4-12"),
            ("severity: Medium", "severity: Severe", "invalid_severity", 5, 11, "Informational, Low, Medium, High"),
            ("severity: Medium", "severity: Meduim", "invalid_severity", 5, 11, "did you mean `Medium`"),
            ("version: 1.0.0", "version: 1.0", "invalid_version", 33, 10, "X.Y.Z"),
            ("name: Failed sign-ins from one IP", &format!("name: {}", "x".repeat(257)), "field_too_long", 2, 7, ""),
            ("triggerOperator: gt", "triggerOperator: gte", "invalid_trigger", 12, 18, "did you mean `gt`"),
            ("triggerThreshold: 0", "triggerThreshold: 10001", "invalid_threshold", 13, 19, "0 to 10000"),
            ("triggerThreshold: 0", "triggerThreshold: -1", "invalid_threshold", 13, 19, ""),
            ("  - CredentialAccess", "  - Credential Access", "invalid_tactic", 15, 5, "did you mean `CredentialAccess`"),
            ("tactics:\n  - CredentialAccess", "tactics: CredentialAccess", "invalid_field_type", 14, 10, ""),
            ("  - T1110", "  - T111", "invalid_technique", 17, 5, "T1234.001"),
            ("  - T1110", "  - T1566", "technique_without_tactic", 17, 5, "InitialAccess"),
            ("queryFrequency: 1h", "queryFrequency: 1x", "invalid_period", 10, 17, "5m, 1h, 14d"),
            ("queryFrequency: 1h", "queryFrequency: 2m", "period_out_of_range", 10, 17, "between 5m and 14d"),
            ("queryFrequency: 1h", "queryFrequency: 2h", "period_shorter_than_frequency", 11, 14, ""),
            ("1h\nqueryPeriod: 1h", "30m\nqueryPeriod: 3d", "frequency_too_short_for_period", 10, 17, "at least 1h"),
            ("version: 1.0.0", "eventGroupingSettings:\n  aggregationKind: PerResult", "invalid_event_grouping", 34, 20, "AlertPerResult"),
            ("    dataTypes:\n      - SigninLogs\n", "", "missing_field", 7, 5, ""),
            ("  - connectorId: AzureActiveDirectory\n    dataTypes:\n      - SigninLogs", "  - AzureActiveDirectory", "invalid_field_type", 7, 5, ""),
            ("entityType: Account", "entityType: Acount", "unknown_entity_type", 21, 17, "did you mean `Account`"),
            ("identifier: FullName", "identifier: Fullname", "unknown_identifier", 23, 21, "did you mean `FullName`"),
            ("columnName: UserPrincipalName", "columnName: UserPrincipalNam", "unknown_column", 24, 21, "did you mean `UserPrincipalName`"),
            ("columnName: IPAddress", "columnName: IP-Address", "invalid_column_name", 28, 21, ""),
            ("identifier: Address", "identifier: AddressScope", "missing_required_identifier", 25, 17, "map one of: Address"),
            ("customDetails:", &format!("{hash}customDetails:"), "missing_required_identifier", 29, 17, "Algorithm + Value"),
            (addr, &addr.repeat(2), "duplicate_identifier", 29, 21, ""),
            (ip, &ip.repeat(10), "too_many_entity_mappings", 61, 5, ""),
            (acct, &["FullName", "Name", "NTDomain", "Sid"].map(|i| acct.replace("FullName", i)).concat(), "too_many_field_mappings", 29, 9, ""),
            ("IP\n    fieldMappings:\n", "IP\n    fieldMappings: []\n    x:\n", "empty_list", 26, 20, "1 to 3"),
            ("Failures: Failures", "Failures: Failure", "unknown_column", 30, 13, "did you mean `Failures`"),
            ("Failures: Failures", "1Failures: Failures", "invalid_custom_details", 30, 3, "starts with a letter"),
            ("{{IPAddress}}", "{{IPAdress}}", "unknown_column", 32, 27, "did you mean `IPAddress`"),
            ("{{IPAddress}}", "{{IPAddress}}{{IPAddress}}{{Failures}}{{Failures}}", "too_many_placeholders", 32, 27, ""),
            ("version", "  alertSeverityColumnName: Sev\nversion", "unknown_column", 33, 28, "result columns are"),
            ("IPAddress, UserPrincipalName\n", legacy, "legacy_entity_column", 19, 3, "entityMappings"),
        ];
        for (from, to, code, line, col, help) in cases {
            let f = only(&run(&edit(from, to)), code, *line);
            assert_eq!(f.col, *col, "{f:#?}");
            assert!(f.help.unwrap_or_default().contains(help), "{code}: {help}");
        }
    }

    #[test]
    fn required_fields_per_kind() {
        only(&run(&HUNTING.replace("name: Accounts enumerated\n", "")), "missing_field", 1);
        // an NRT rule needs no schedule, but still its severity
        let nrt =
            edit("kind: Scheduled", "kind: NRT").replace("severity: Medium\n", "").replace("queryPeriod: 1h\n", "");
        only(&run(&nrt), "missing_field", 1);
        // an NRT rule's techniques are not tied to its tactics (the CI checks Scheduled rules only)
        assert_eq!(run(&edit("kind: Scheduled", "kind: NRT").replace("T1110", "T1566")), vec![]);
        // a rule without kind
        let f = run(&edit("kind: Scheduled\n", ""));
        assert!(f.iter().any(|f| f.code.ends_with("missing_field") && f.message.contains("`kind`")), "{f:#?}");
    }

    #[test]
    fn helpers() {
        for (s, secs) in
            [("5m", 300), ("1h", 3600), ("14d", 14 * DAY), ("PT5M", 300), ("P1D", DAY), ("P1DT2H", 26 * HOUR)]
        {
            assert_eq!(parse_duration(s), Some(secs), "{s}");
        }
        for (s, secs) in [("01:00:00", 3600), ("1.00:00:00", DAY), ("00:05", 300), ("2", 2 * DAY)] {
            assert_eq!(parse_duration(s), Some(secs), "{s}");
        }
        for s in ["", "m", "5s", "PT", "P1H", "25:00:00", "1x", "5 m"] {
            assert_eq!(parse_duration(s), None, "{s}");
        }
        assert_eq!(show_duration(3 * DAY), "3d");
        assert_eq!(placeholders("a {{x}} {{{y}} {{ z }} {{w"), vec!["x", "y", " z "]);
        assert!(is_guid("0B9AE89D-8CAD-461C-808F-0494F70AD5C4") && !is_guid("0b9ae89d8cad461c808f0494f70ad5c4"));
        assert_eq!(suggest("initial access", TACTICS.iter().copied()), Some("InitialAccess"));
        assert_eq!(suggest("Exfil", TACTICS.iter().copied()), None);
        assert_eq!((distance("kitten", "sitting"), distance("hihg", "high")), (3, 1));
    }
}
