-- make_set = list(DISTINCT x); its order is unspecified in both engines, so arrays are compared as sets.
SELECT DeviceId, DeviceName, count(*) AS Processes,
       list(DISTINCT FileName) AS Binaries,
       list(DISTINCT AccountName) AS Accounts,
       list(DISTINCT InitiatingProcessFileName) AS Parents,
       count(DISTINCT ProcessCommandLine) AS DistinctCommandLines,
       count(DISTINCT SHA1) AS DistinctHashes,
       min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen
FROM {DeviceProcessEvents}
WHERE Timestamp > {now} - INTERVAL 7 DAY
GROUP BY DeviceId, DeviceName
