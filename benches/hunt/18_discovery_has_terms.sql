-- has / has_any / has_all: whole terms, case-insensitive (RE2 with non-alphanumeric boundaries): "net" matches
-- "net user" and "Net.WebClient" but not "netsvcs" (a contains would let the svchost lines in). !contains =
-- NOT contains(lower(x), needle). bin(_, 1d) = floor to the day (UTC).
WITH d AS (
    SELECT Timestamp, DeviceName, AccountName, ProcessCommandLine
    FROM {DeviceProcessEvents}
    WHERE Timestamp > {now} - INTERVAL 7 DAY
      AND (regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])(net|nltest)([^[:alnum:]]|$)')
           OR (regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])whoami([^[:alnum:]]|$)')
               AND regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])all([^[:alnum:]]|$)')))
      AND NOT contains(lower(ProcessCommandLine), 'net.webclient')
)
SELECT AccountName,
       CASE WHEN regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])(group|localgroup)([^[:alnum:]]|$)') THEN 'groups'
            WHEN regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])user([^[:alnum:]]|$)') THEN 'users'
            WHEN regexp_matches(ProcessCommandLine, '(?i)(^|[^[:alnum:]])nltest([^[:alnum:]]|$)') THEN 'domain controllers'
            ELSE 'identity' END AS Discovery,
       ProcessCommandLine, date_trunc('day', Timestamp) AS Day,
       count(*) AS Runs, count(DISTINCT DeviceName) AS Devices, min(Timestamp) AS FirstSeen
FROM d
GROUP BY 1, 2, 3, 4
