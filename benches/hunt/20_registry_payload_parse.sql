-- parse x with * "://" Host "/" Path " " *: the first "://", then Host up to the next "/", Path up to the next
-- " " (non-greedy, as Kusto's simple parse); a value that does not match gives empty (null) columns, as
-- regexp_extract gives ''. has "http" / has "https" are whole-term, case-insensitive matches.
SELECT DeviceName,
       regexp_extract(RegistryValueData, '^.*?://(.*?)/(.*?) .*$', 1) AS PayloadHost,
       regexp_extract(RegistryValueData, '^.*?://(.*?)/(.*?) .*$', 2) AS PayloadPath,
       ActionType,
       count(*) AS Writes, count(DISTINCT RegistryKey) AS Keys, max(Timestamp) AS LastWrite
FROM {DeviceRegistryEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
  AND regexp_matches(RegistryValueData, '(?i)(^|[^[:alnum:]])(http|https)([^[:alnum:]]|$)')
GROUP BY 1, 2, 3, 4
