//! `parse_user_agent(ua, look_for)` (parse-user-agent-function): browser, operating system and device of a
//! User-Agent string, as Kusto's bag `{"Browser": {Family, MajorVersion, MinorVersion, Patch},
//! "OperatingSystem": {Family, MajorVersion, MinorVersion, Patch, PatchMinor}, "Device": {Family, Brand, Model}}`
//! with only the parts asked for. Kusto uses the ua-parser project's pattern file; kqlite carries a compact
//! table of the families hunting queries meet (Edge, Chrome, Firefox, Safari, Opera, IE, AdobeAIR, curl,
//! PowerShell, python-requests; Windows, macOS, iOS, Android, Linux, Chrome OS; iPhone, iPad, Android
//! models). Anything else is family "Other" with empty versions, as ua-parser reports unknown agents.

use super::{row, Result, TypeCodes};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use regex::Regex;
use serde_json::{json, Value};
use std::sync::{Arc, LazyLock};

/// (pattern, family); the pattern's groups 1..3 are major, minor, patch.
const BROWSERS: &[(&str, &str)] = &[
    (r"Edg(?:e|A|iOS)?/(\d+)\.(\d+)(?:\.(\d+))?", "Edge"),
    (r"OPR/(\d+)\.(\d+)(?:\.(\d+))?", "Opera"),
    (r"AdobeAIR/(\d+)\.(\d+)(?:\.(\d+))?", "AdobeAIR"),
    (r"Series60/(\d+)\.(\d+)()", "Nokia OSS Browser"),
    (r"(?:Chrome|CriOS)/(\d+)\.(\d+)(?:\.(\d+))?", "Chrome"),
    (r"(?:Firefox|FxiOS)/(\d+)\.(\d+)(?:\.(\d+))?", "Firefox"),
    (r"MSIE (\d+)\.(\d+)()", "IE"),
    (r"Trident/.*rv:(\d+)\.(\d+)()", "IE"),
    (r"Version/(\d+)\.(\d+)(?:\.(\d+))?.*Mobile.*Safari/", "Mobile Safari"),
    (r"Version/(\d+)\.(\d+)(?:\.(\d+))?.*Safari/", "Safari"),
    (r"curl/(\d+)\.(\d+)(?:\.(\d+))?", "curl"),
    (r"PowerShell/(\d+)\.(\d+)(?:\.(\d+))?", "PowerShell"),
    (r"python-requests/(\d+)\.(\d+)(?:\.(\d+))?", "Python Requests"),
];

/// Fixed (major, minor) versions of an OS pattern; None reads the pattern's groups 1..3.
type Fixed = Option<(&'static str, &'static str)>;

/// (pattern, family, versions)
const SYSTEMS: &[(&str, &str, Fixed)] = &[
    (r"Windows NT 10\.0", "Windows", Some(("10", ""))),
    (r"Windows NT 6\.3", "Windows", Some(("8", "1"))),
    (r"Windows NT 6\.2", "Windows", Some(("8", ""))),
    (r"Windows NT 6\.1", "Windows", Some(("7", ""))),
    (r"Windows NT 6\.0", "Windows", Some(("Vista", ""))),
    (r"Windows NT 5\.1", "Windows", Some(("XP", ""))),
    (r"CPU (?:iPhone )?OS (\d+)_(\d+)(?:_(\d+))?", "iOS", None),
    (r"Mac OS X (\d+)[_.](\d+)(?:[_.](\d+))?", "Mac OS X", None),
    (r"Android (\d+)(?:\.(\d+))?(?:\.(\d+))?", "Android", None),
    (r"SymbianOS/(\d+)\.(\d+)", "Symbian OS", None),
    (r"CrOS \S+ (\d+)\.(\d+)\.(\d+)", "Chrome OS", None),
    (r"Ubuntu", "Ubuntu", Some(("", ""))),
    (r"Linux", "Linux", Some(("", ""))),
    (r"Windows", "Windows", Some(("", ""))),
];

static BROWSER_RE: LazyLock<Vec<(Regex, &'static str)>> =
    LazyLock::new(|| BROWSERS.iter().filter_map(|(p, f)| Regex::new(p).ok().map(|r| (r, *f))).collect());
type OsRule = (Regex, &'static str, Fixed);
static OS_RE: LazyLock<Vec<OsRule>> =
    LazyLock::new(|| SYSTEMS.iter().filter_map(|(p, f, v)| Regex::new(p).ok().map(|r| (r, *f, *v))).collect());
static NOKIA_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"Nokia(N?\d+)(-\d+)?").ok());
static ANDROID_MODEL_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"Android [^;]*; ([^;)]+?) Build/").ok());

fn group(c: &regex::Captures, i: usize) -> String {
    c.get(i).map_or(String::new(), |m| m.as_str().to_string())
}

fn browser(ua: &str) -> Value {
    for (re, family) in BROWSER_RE.iter() {
        if let Some(c) = re.captures(ua) {
            return json!({"Family": family, "MajorVersion": group(&c, 1), "MinorVersion": group(&c, 2), "Patch": group(&c, 3)});
        }
    }
    json!({"Family": "Other", "MajorVersion": "", "MinorVersion": "", "Patch": ""})
}

fn os(ua: &str) -> Value {
    for (re, family, fixed) in OS_RE.iter() {
        if let Some(c) = re.captures(ua) {
            let (major, minor, patch) = match fixed {
                Some((a, b)) => (a.to_string(), b.to_string(), String::new()),
                None => (group(&c, 1), group(&c, 2), group(&c, 3)),
            };
            return json!({"Family": family, "MajorVersion": major, "MinorVersion": minor, "Patch": patch, "PatchMinor": ""});
        }
    }
    json!({"Family": "Other", "MajorVersion": "", "MinorVersion": "", "Patch": "", "PatchMinor": ""})
}

fn device(ua: &str) -> Value {
    if let Some(c) = NOKIA_RE.as_ref().and_then(|r| r.captures(ua)) {
        let model = group(&c, 1);
        return json!({"Family": format!("Nokia {model}"), "Brand": "Nokia", "Model": format!("{model}{}", group(&c, 2))});
    }
    for apple in ["iPhone", "iPad", "iPod"] {
        if ua.contains(apple) {
            return json!({"Family": apple, "Brand": "Apple", "Model": apple});
        }
    }
    if ua.contains("Macintosh") {
        return json!({"Family": "Mac", "Brand": "Apple", "Model": "Mac"});
    }
    if let Some(c) = ANDROID_MODEL_RE.as_ref().and_then(|r| r.captures(ua)) {
        let model = group(&c, 1);
        return json!({"Family": model, "Brand": "Generic_Android", "Model": model});
    }
    json!({"Family": "Other", "Brand": "", "Model": ""})
}

/// The bag for one agent and the parts asked for ("browser", "os", "device").
pub fn parse(ua: &str, look_for: &[String]) -> Value {
    let mut m = serde_json::Map::new();
    for part in look_for {
        match part.to_ascii_lowercase().as_str() {
            "browser" => {
                m.insert("Browser".into(), browser(ua));
            }
            "os" => {
                m.insert("OperatingSystem".into(), os(ua));
            }
            "device" => {
                m.insert("Device".into(), device(ua));
            }
            _ => {}
        }
    }
    Value::Object(m)
}

/// `kql_parse_user_agent(type codes, ua, look_for)`: look_for a string or an array of strings. Broadcast.
pub fn parse_user_agent(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let mut types = TypeCodes::new(a, "kql_parse_user_agent")?;
    let values = a.get(1..).unwrap_or(&[]);
    let mut out = StringBuilder::new();
    for r in 0..n {
        let ts = types.at(r)?.to_vec();
        let cell = |i: usize| {
            values.get(i).zip(ts.get(i)).map(|(x, t)| crate::values::cell_json(x.as_ref(), row(x.as_ref(), r), *t))
        };
        let ua = match cell(0) {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        let look: Vec<String> = match cell(1) {
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => vec![],
        };
        out.append_value(parse(&ua, &look).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36";
        let v = parse(chrome, &["browser".into(), "os".into()]);
        assert_eq!(v["Browser"]["Family"], "Chrome");
        assert_eq!(v["Browser"]["Patch"], "6099");
        assert_eq!(v["OperatingSystem"]["Family"], "Windows");
        let nokia = "Mozilla/5.0 (SymbianOS/9.2; U; Series60/3.1 NokiaN81-3/10.0.032 Profile/MIDP-2.0 Configuration/CLDC-1.1 ) AppleWebKit/413 (KHTML, like Gecko) Safari/4";
        let v = parse(nokia, &["browser".into(), "os".into(), "device".into()]);
        assert_eq!(v["Browser"]["Family"], "Nokia OSS Browser");
        assert_eq!(v["OperatingSystem"]["Family"], "Symbian OS");
        assert_eq!(v["Device"]["Model"], "N81-3");
    }
}
