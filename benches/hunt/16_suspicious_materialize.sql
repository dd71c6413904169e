-- materialize() = a MATERIALIZED common table expression, computed once and read twice.
WITH Suspicious AS MATERIALIZED (
    SELECT Timestamp, DeviceName, AccountName, FileName, ProcessCommandLine
    FROM {DeviceProcessEvents}
    WHERE Timestamp > {now} - INTERVAL 1 DAY
      AND lower(FileName) IN ('powershell.exe', 'cmd.exe', 'rundll32.exe', 'mshta.exe', 'certutil.exe', 'wmic.exe')
), PerDevice AS (
    SELECT DeviceName, count(*) AS DeviceTotal FROM Suspicious GROUP BY DeviceName
), Launches AS (
    SELECT DeviceName, AccountName, FileName, count(*) AS Launches,
           count(DISTINCT ProcessCommandLine) AS CommandLines, max(Timestamp) AS LastSeen
    FROM Suspicious
    GROUP BY DeviceName, AccountName, FileName
)
SELECT l.DeviceName, l.AccountName, l.FileName, l.Launches, l.CommandLines, l.LastSeen, p.DeviceTotal,
       100.0 * l.Launches / p.DeviceTotal AS SharePercent
FROM Launches l
JOIN PerDevice p ON l.DeviceName = p.DeviceName
