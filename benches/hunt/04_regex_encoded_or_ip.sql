-- matches regex is an unanchored RE2 search, as regexp_matches is (both engines use RE2 syntax; the data is ASCII,
-- so \d, \s and \b mean the same in RE2 and in kqlite's Rust regex).
SELECT DeviceName, FileName,
       CASE WHEN regexp_matches(ProcessCommandLine, '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}') THEN 'ipv4 literal'
            ELSE 'base64 blob' END AS Indicator,
       count(*) AS Executions, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM {DeviceProcessEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
  AND (regexp_matches(ProcessCommandLine, '(?i)\s-e(nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{20,}')
       OR regexp_matches(ProcessCommandLine, '\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b'))
GROUP BY 1, 2, 3
