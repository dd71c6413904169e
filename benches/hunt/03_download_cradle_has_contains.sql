-- has = whole term, case-insensitive: RE2 with non-alphanumeric boundaries; contains = case-insensitive substring:
-- contains(lower(x), needle). case() takes the first true branch, as CASE WHEN does.
WITH m AS (
    SELECT Timestamp, DeviceName, AccountName, FileName, InitiatingProcessFileName, ProcessCommandLine,
           regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])DownloadString([^[:alnum:]]|$)') AS has_download,
           contains(lower(ProcessCommandLine), 'urlcache') AS has_urlcache,
           contains(lower(ProcessCommandLine), '-enc') AS has_enc
    FROM {DeviceProcessEvents}
    WHERE Timestamp > {now} - INTERVAL 3 DAY
)
SELECT CASE WHEN has_download THEN 'download cradle'
            WHEN has_urlcache THEN 'certutil download'
            WHEN has_enc THEN 'encoded command'
            ELSE 'policy bypass' END AS Technique,
       FileName, InitiatingProcessFileName,
       count(*) AS Executions, count(DISTINCT DeviceName) AS Devices, count(DISTINCT AccountName) AS Accounts,
       max(Timestamp) AS LastSeen
FROM m
WHERE regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])iex([^[:alnum:]]|$)')
   OR has_download
   OR has_enc
   OR contains(lower(ProcessCommandLine), 'bypass')
   OR has_urlcache
GROUP BY 1, 2, 3
