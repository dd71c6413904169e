-- union withsource=SourceTable: UNION ALL with the table name as a column; =~ is lower() = lower().
WITH u AS (
    SELECT 'DeviceProcessEvents' AS SourceTable, Timestamp, DeviceName, ActionType, InitiatingProcessFileName
    FROM {DeviceProcessEvents}
    UNION ALL
    SELECT 'DeviceNetworkEvents', Timestamp, DeviceName, ActionType, InitiatingProcessFileName
    FROM {DeviceNetworkEvents}
    UNION ALL
    SELECT 'DeviceFileEvents', Timestamp, DeviceName, ActionType, InitiatingProcessFileName
    FROM {DeviceFileEvents}
)
SELECT SourceTable, DeviceName, ActionType, count(*) AS Events, min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM u
WHERE Timestamp > {now} - INTERVAL 1 DAY
  AND lower(InitiatingProcessFileName) = 'rundll32.exe'
GROUP BY 1, 2, 3
